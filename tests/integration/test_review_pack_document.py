"""The review pack a director reads: its PDF's text, and the PDF kept as it was frozen.

A review is held, decides two actions (one already started, so that a state with a
compound code is on the page), and records its outputs; the pack's PDF is then read as
a director reads it: the decisions section with its owners by name, no handle of a
person, no raw state code of the workflow files, a table of contents with page numbers,
the footer on a body page; and the pack of an institution with many indicators stays
bounded (each indicator in one full row, at most CHARTS_MOST charts).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import TrailError, ValidationError
from qms.models import (
    Direction,
    Frequency,
    Indicator,
    Measurement,
    MeasurementRevision,
    Person,
    Process,
    ReviewKind,
    ReviewPack,
)
from qms.services import shared
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from qms.services.indicators.periods import containing, last_n
from qms.services.reviews import decisions as reviews_decisions
from qms.services.reviews import report as reviews_pack
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from qms.services.reviews.decisions import Decision
from qms.services.reviews.digest import SHORT_MOST
from qms.services.reviews.figures import CHARTS_MOST
from qms.services.reviews.tables import INDICATOR_COLUMNS
from tests import pdftext
from tests.cli import run
from tests.factories import ROOT, load_example, services_for

MR = ReviewKind.MANAGEMENT
TODAY = date(2026, 11, 25)
PERIOD = reviews.Plan(
    date(2026, 12, 1), period_start=date(2025, 11, 1), period_end=date(2026, 10, 31)
)


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    app: Services = services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    for period, value in (
        ("2026-07", "95"),
        ("2026-08", "92"),
        ("2026-09", "96"),
        ("2026-10", "79"),
    ):
        indicators.record(app, "ebenoit", "TRN-04-GRADES", period, value)  # a chart, a breach
    indicators.record(app, "sboyer", "RSC-02-SUPPLIERS", "2026-Q3", "90")  # too few: a table
    return app


def held(app: Services) -> int:
    review = reviews.plan(app, MR, "tbrunet", PERIOD)
    reviews.note(app, review.id, "b", "New national accreditation rules from 2027.", "tbrunet")
    reviews_steps.gather(app, MR, review.id, "tbrunet")
    for s in reviews_steps.assembled(app, MR, review.id):
        if s.missing:
            reviews_steps.explain_missing(
                app, review.id, s.key, f"No record of {s.key} yet", "tbrunet"
            )
    reviews_steps.hold_management(
        app, review.id, "hmarchal", TODAY, "hmarchal, tbrunet", "Each decision below was agreed."
    )
    return review.id


def decided(app: Services, review_id: int) -> None:
    hire = Decision("Recruit two lecturers", "amoulin", date(2027, 3, 1), "RSC-01", "resources")
    taken = reviews_decisions.decide(app, MR, review_id, "hmarchal", hire)
    procedure = Decision(
        "Add delivery performance to the purchasing procedure",
        "tbrunet",
        date(2027, 2, 1),
        "STE-01",
        "qms_change",
    )
    reviews_decisions.decide(app, MR, review_id, "hmarchal", procedure)
    action = taken.action_id
    shared.fire(app.database, app.engine, "improvement_action", action, "approve", "ymasson", {})
    shared.fire(app.database, app.engine, "improvement_action", action, "start", "amoulin", {})


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, its lines in reading order (page numbers on their lines)."""
    return [re.sub(r"\s+", " ", " ".join(page)) for page in pdftext.lines(pdf)]


def test_the_frozen_pack_shows_the_decisions_by_name_and_label(app: Services) -> None:
    review_id = held(app)
    decided(app, review_id)
    reviews_steps.record_outputs(app, review_id, "hmarchal")
    found = reviews_pack.pack(app, review_id)
    assert found.frozen and found.revision == 2 and found.pdf is not None
    pages = text_of(found.pdf)
    text = " ".join(pages)
    outputs = text[text.rindex("9.3.3 — Outputs: the decisions of the review") :]
    assert (
        "Resource needs (1)" in outputs
        and "Changes to the quality management system (1)" in outputs
    )
    assert "Recruit two lecturers" in outputs and "Amélie Moulin" in outputs
    assert "In progress" in outputs and "Proposed" in outputs and "Thomas Brunet" in outputs
    assert "Hélène Marchal, Thomas Brunet" in pages[0]  # the attendees typed as handles
    with app.database.reading() as session:
        handles = set(session.scalars(select(Person.handle)))
    assert not [h for h in handles if re.search(rf"\b{re.escape(h)}\b", text)]
    codes = {  # the states whose code is no English word: a code printed raw shows
        state
        for name in app.registry.names
        for state in app.registry.current(name).states
        if "_" in state
    }
    assert {"in_progress", "inputs_gathered", "outputs_recorded"} <= codes
    assert not [c for c in codes if re.search(rf"\b{c}\b", text)]
    assert "_" not in re.sub(r"\S+@\S+", "", text)  # nor any other code with an underscore


def test_contents_footer_and_page_count(app: Services) -> None:
    review_id = held(app)
    found = reviews_pack.pack(app, review_id)
    assert found.pdf is not None and found.revision == 1
    pages = text_of(found.pdf)
    assert len(pages) >= 6  # cover, contents, summary, inputs, outputs
    contents = pdftext.lines(found.pdf)[1]
    assert contents[0] == "Contents"
    listed = [
        (m.group(1), int(m.group(2)))
        for line in contents
        if (m := re.fullmatch(r"(9\.3\.[23](?: [a-f](?: \d)?)?) — .+ (\d+)", line))
    ]
    assert [clause for clause, _ in listed][:2] == ["9.3.2 a", "9.3.2 b"] and len(listed) == 13
    for clause, page in listed:  # each entry's number is the page its section begins on
        assert f"{clause} — " in pages[page - 1], (clause, page)
    assert listed[-1][0] == "9.3.3" and "Outputs: the decisions" in pages[listed[-1][1] - 1]
    body = pages[3]
    review_title = "Management review 2026 (period ending 2026-10-31)"
    assert f"Management review pack · {review_title} · revision 1" in body
    assert "Audit trail: " in body and f"page 4 of {len(pages)}" in body
    outputs = " ".join(pages)[" ".join(pages).rindex("9.3.3 — Outputs") :]
    assert "decisions are recorded after the meeting" in outputs  # not yet: says so


def test_every_download_returns_the_stored_bytes_and_a_revision_keeps_the_old(
    app: Services,
) -> None:
    review_id = held(app)
    first = reviews_pack.pack(app, review_id)
    again = reviews_pack.pack(app, review_id)
    assert first.pdf is not None and first.pdf == again.pdf
    assert first.content_hash == hashlib.sha256(first.pdf).hexdigest()
    decided(app, review_id)
    reviews_steps.record_outputs(app, review_id, "hmarchal")
    assert reviews_pack.pack(app, review_id).revision == 2
    assert reviews_pack.pack(app, review_id, revision=1).pdf == first.pdf
    with pytest.raises(ValidationError, match=r"no pack revision 3 \(frozen revisions: 1, 2\)"):
        reviews_pack.pack(app, review_id, revision=3)
    with app.database.engine.begin() as conn:
        conn.execute(
            update(ReviewPack).where(ReviewPack.revision == 1).values(pdf=first.pdf + b"%")
        )
    with pytest.raises(TrailError, match="does not match the hash stored when it was frozen"):
        reviews_pack.pack(app, review_id, revision=1)


def test_the_command_writes_the_stored_bytes_and_prints_their_sha256(
    app: Services,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    review_id = held(app)
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    monkeypatch.setenv("QMS_REPORTS_DIR", str(ROOT / "reports"))
    outputs = []
    for name in ("one.pdf", "two.pdf"):
        made = run(capsys, "review", "pack", "--review", str(review_id), "-o", str(tmp_path / name))
        assert made.code == 0, made.err
        outputs.append(made.out)
    one, two = (tmp_path / "one.pdf").read_bytes(), (tmp_path / "two.pdf").read_bytes()
    assert one == two
    assert f"revision 1, frozen, sha256 {hashlib.sha256(one).hexdigest()}" in outputs[0]
    with app.database.reading() as session:
        stored = session.scalars(select(ReviewPack)).one()
        assert stored.pdf == one and stored.pdf_sha256 == hashlib.sha256(one).hexdigest()


MANY = 60  # indicators past their alert threshold and worsening: more than any bound


def many_indicators(app: Services) -> None:
    """Sixty monthly indicators, each with eight values sliding past its alert threshold:
    every one of them would be drawn and listed in every section of its topic, unbounded."""
    last = containing(date(2026, 10, 31), Frequency.MONTHLY)
    periods = last_n(last, 8)
    topics = ["customer_satisfaction", "quality_objective", "resources", "risks"]
    with app.database.unit_of_work() as uow:
        session = uow.session
        processes = list(session.scalars(select(Process.id).order_by(Process.id)))
        added = [
            Indicator(
                code=f"MNY-{n:02d}",
                process_id=processes[n % len(processes)],
                name=f"Share {n}",
                measures="A share",
                unit="%",
                direction=Direction.HIGHER,
                target=90.0,
                alert_threshold=80.0,
                frequency=Frequency.MONTHLY,
                data_source="test",
                topics=[topics[n % len(topics)]],
                position=500 + n,
            )
            for n in range(MANY)
        ]
        session.add_all(added)
        session.flush()
        at = datetime(2026, 11, 20, 9, tzinfo=UTC)
        for indicator in added:
            for k, period in enumerate(periods):
                value = 95.0 - 3 * k - indicator.position % 7  # worse each month
                measured = Measurement(
                    indicator_id=indicator.id,
                    period=period.label,
                    period_end=period.end,
                    value=value,
                    recorded_by="test",
                    recorded_at=at,
                )
                session.add(measured)
                session.flush()
                session.add(
                    MeasurementRevision(
                        measurement_id=measured.id, value=value, actor="test", at=at
                    )
                )
        uow.commit()


def full_rows(html: str) -> list[str]:
    """The code of each row of a table with the full columns of an indicator."""
    header = "".join(f"<th[^>]*>{re.escape(c)}</th>" for c in INDICATOR_COLUMNS)
    codes = []
    for table in re.findall(r"<table\b.*?</table>", html, re.DOTALL):
        if re.search(header, table):
            codes += re.findall(r'<tr(?: class="flag")?><td[^>]*>(\S+) ', table)  # not a heading
    return codes


def test_the_pack_of_many_indicators_stays_bounded(app: Services) -> None:
    many_indicators(app)
    review = reviews.plan(app, MR, "tbrunet", PERIOD)
    html = reviews_pack.render_html(app, review.id)
    charts = html.count("<svg")
    assert 0 < charts <= CHARTS_MOST  # the worst, not all sixty
    assert f"{charts} charts drawn (at most {CHARTS_MOST}, the worst first)" in html
    with app.database.reading() as session:
        codes = list(session.scalars(select(Indicator.code).where(Indicator.retired_on.is_(None))))
    listed = full_rows(html)
    assert sorted(listed) == sorted(codes)  # each indicator in one full row, once
    summary = html[html.index('id="summary"') : html.index('id="input-a"')]
    assert summary.count("MNY-") <= SHORT_MOST  # the worst few, and where the rest are
    assert "more: table in" in summary and 'href="#indicators-all"' in summary
