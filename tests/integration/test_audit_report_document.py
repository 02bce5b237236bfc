"""The issued audit report as a director reads it: names, labels, dates, cover matter and
footer; its PDF frozen (every download the stored bytes) and attached to its e-mail."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.models import OutboxStatus, Person, ReportRevision, Role, RoleAssignment
from qms.services import trail
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import findings as audits_findings
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import report as audits_report
from qms.services.audits import service as audits
from qms.services.audits import team as audits_team
from tests import pdftext
from tests.cli import run
from tests.factories import ROOT, load_example
from tests.reminders import RecordingTransport, at, scheduler_for, seed_actions, text_of

CYCLE = 2027
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
AUDIT_DAY = date(2027, 3, 3)
CLOSING_DAY = date(2027, 3, 4)
PROCESS = "TRN-04"


@pytest.fixture
def app(database: Database, tmp_path: Path) -> Services:
    from qms.bootstrap import bootstrap
    from qms.config import load_settings

    load_example(database)
    settings = load_settings(
        database_url=database.url,
        workflows_dir=ROOT / "workflows",
        reports_dir=ROOT / "reports",
        trail_seals_dir=tmp_path / "seals",
        base_url="https://qms.valbrune.example",
    )
    return bootstrap(settings, FixedClock(NOW), database)


def issued_audit(app: Services) -> int:
    """An audit of TRN-04 with an impartiality exception, a major nonconformity and an
    observation, taken to report_issued after the trail was sealed."""
    programme.plan(app, "cvidal", CYCLE)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, CYCLE, "put_in_effect", "tbrunet")
    details = {"scope": "Admissions 2027", "criteria": "ISO 9001 8.5.1", "objectives": "Check"}
    spec = audits.AuditPlan(process=PROCESS, cycle=CYCLE, lead="jcarre", details=details)
    audit_id = audits.plan(app, "cvidal", spec).id
    audits_team.approve_exception(app, "tbrunet", audit_id, "grenaud", "The only trained auditor")
    audits_team.assign(app, "cvidal", audit_id, "grenaud")
    audits.fire(app, audit_id, "issue_plan", "jcarre", {"audit_plan": "one day"})
    audits.fire(app, audit_id, "start", "jcarre", {"started_on": AUDIT_DAY.isoformat()})
    audits_checklist.create(app, "cvidal", audit_id)
    item = audits_checklist.answer(app, "jcarre", audit_id, 1, "not_conform", "3 of 5 files")
    with app.database.reading() as session:
        rows = audits_queries.checklist_rows(session, audit_id)
    for row in rows[1:]:
        audits_checklist.answer(app, "jcarre", audit_id, row.position, "conform", "seen")
    for kind, title in (("major_nonconformity", "Files incomplete"), ("observation", "Late")):
        finding = audits_findings.NewFinding(
            audit_id, kind, title, "8.5.1", "3 of 5 files", checklist_item=item.id
        )
        audits_findings.add(app, "jcarre", finding)
    inputs = {
        "closing_meeting_on": CLOSING_DAY.isoformat(),
        "conclusions": "Effective; the findings above need work",
        "criteria_fulfilment": "Largely met",
    }
    audits.fire(app, audit_id, "draft_report", "jcarre", inputs)
    trail.seal(app)
    audits.fire(app, audit_id, "issue_report", "tbrunet")
    return audit_id


def pdf_text(document: bytes) -> tuple[str, int]:
    """The report's text in reading order (page numbers on their lines), and its pages."""
    pages = pdftext.lines(document)
    return " ".join(" ".join(" ".join(page) for page in pages).split()), len(pages)


def stored(app: Services, audit_id: int) -> ReportRevision:
    with app.database.reading() as session:
        found = audits_report.stored(session, audit_id)
    assert found is not None
    return found


def state_codes(app: Services) -> set[str]:
    """Every state of every workflow file, as its code."""
    return {
        state for name in app.registry.names for state in app.registry.current(name).states if state
    }


def names_on(app: Services, day: date, roles: tuple[Role, ...]) -> list[str]:
    with app.database.reading() as session:
        rows = session.scalars(
            select(RoleAssignment)
            .join(RoleAssignment.process)
            .where(RoleAssignment.role.in_(roles))
            .where(RoleAssignment.process.has(code=PROCESS))
        )
        return [r.person.name for r in rows if r.holds_on(day)]


def test_the_issued_report_names_people_and_states_as_a_director_reads_them(app: Services) -> None:
    audit_id = issued_audit(app)
    text, _ = pdf_text(stored(app, audit_id).pdf)
    assert "internal_audit #" not in text and "audit_finding #" not in text
    assert "improvement_action" not in text and "nonconformity #" not in text
    underscored = {code for code in state_codes(app) if "_" in code}
    assert underscored and not {c for c in underscored if re.search(rf"\b{c}\b", text)}
    for label in re.findall(r"Where it stands (\w+)", text):  # "Recorded", not "recorded"
        assert label[0].isupper() and label not in state_codes(app), label
    assert "Internal audit of TRN-04 Admissions and student life" in text
    assert "Internal audit #1" in text and "Audit finding #1" in text
    with app.database.reading() as session:
        handles = set(session.scalars(select(Person.handle)))
    assert not {h for h in handles if re.search(rf"\b{h}\b", text)}  # names, never handles
    auditees = names_on(app, AUDIT_DAY, (Role.PILOT, Role.CORRESPONDENT))
    assert auditees and all(name in text for name in auditees)
    assert "(process pilot)" in text and "(quality correspondent)" in text
    assert "Juliette Carré Lead auditor" in text and "Gaëlle Renaud Internal auditor" in text
    assert "EXCEPTION GRANTED BY Thomas Brunet, quality manager" in text
    assert "by Thomas Brunet" in text  # the issuer
    assert f"Closing meeting {CLOSING_DAY:%-d %b %Y}" in text
    assert f"Opening meeting {AUDIT_DAY:%-d %b %Y}" in text
    assert "the findings above" in text
    see = re.search(r"They rest on the findings of section 7, page (\d+)\.", text)
    pages = [" ".join(page) for page in pdftext.lines(stored(app, audit_id).pdf)]
    assert see and "7. Findings with their evidence" in pages[int(see.group(1)) - 1]


def test_every_page_carries_the_reference_and_seal_and_the_contents_give_pages(
    app: Services,
) -> None:
    audit_id = issued_audit(app)
    text, pages = pdf_text(stored(app, audit_id).pdf)
    footer = f"Internal audit report · {PROCESS} · Internal audit #{audit_id} · revision 1"
    assert text.count(footer) == pages
    assert text.count("Audit trail: trail seal #1 of") == pages
    assert f"page {pages} of {pages}" in text
    by_page = [" ".join(page) for page in pdftext.lines(stored(app, audit_id).pdf)]
    contents = next(page for page in pdftext.lines(stored(app, audit_id).pdf) if "Contents" in page)
    for section in (
        "1. Audit objectives",
        "7. Findings with their evidence, by type",
        "10. Audit conclusions",
    ):  # each entry's number is the page its section begins on
        entry = next(line for line in contents if line.startswith(section))
        page = int(entry.rsplit(" ", 1)[1])
        assert section in by_page[page - 1].replace(entry, ""), (section, page)


def test_each_download_of_an_issued_revision_is_the_stored_pdf(
    app: Services, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    audit_id = issued_audit(app)
    revision = stored(app, audit_id)
    monkeypatch.setenv("QMS_DATABASE_URL", database.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    monkeypatch.setenv("QMS_REPORTS_DIR", str(ROOT / "reports"))
    downloads = []
    for n, extra in enumerate(((), ("--revision", "1"))):
        path = tmp_path / f"download-{n}.pdf"
        result = run(capsys, "audit", "report", "render", str(audit_id), "--pdf", str(path), *extra)
        assert result.code == 0, result.err
        assert f"revision 1, sha256 {revision.pdf_sha256}" in result.out
        downloads.append(path.read_bytes())
    assert downloads[0] == downloads[1] == revision.pdf
    import hashlib

    assert hashlib.sha256(downloads[0]).hexdigest() == revision.pdf_sha256


def test_the_report_email_carries_the_stored_pdf(app: Services, database: Database) -> None:
    audit_id = issued_audit(app)
    revision = stored(app, audit_id)
    transport = RecordingTransport()
    scheduler_for(database, FixedClock(NOW + timedelta(minutes=5)), transport).dispatch()
    (mail,) = [m for m in transport.take() if "Audit report of TRN-04" in str(m["Subject"])]
    (attached,) = list(mail.iter_attachments())
    assert attached.get_filename() == "audit-report-TRN-04-rev1.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == revision.pdf
    body = text_of(mail)
    assert "issued by Thomas Brunet" in body and "Reference: Internal audit #" in body
    assert "Attached: audit-report-TRN-04-rev1.pdf" in body
    assert "Internal audit of TRN-04 Admissions and student life" in str(mail["Subject"])


def test_a_report_email_whose_revision_is_gone_is_not_sent(
    app: Services, database: Database
) -> None:
    audit_id = issued_audit(app)
    with database.unit_of_work() as uow:
        uow.session.delete(uow.session.get(ReportRevision, stored(app, audit_id).id))
        uow.commit()
    transport = RecordingTransport()
    scheduler_for(database, FixedClock(NOW + timedelta(minutes=5)), transport).dispatch()
    assert not [m for m in transport.take() if "Audit report of" in str(m["Subject"])]
    from qms.models import OutboxMessage

    with database.reading() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "email.audit_report")
        ).one()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error is not None and "is not stored" in row.last_error


def test_a_reminder_subject_cites_the_record_not_its_kind_code(database: Database) -> None:
    load_example(database)
    start = date(2026, 2, 2)
    (action_id,) = seed_actions(database, 1, start + timedelta(days=1), owners=["ofaure"])
    transport = RecordingTransport()
    scheduler_for(database, FixedClock(at(start)), transport).tick()
    (reminder,) = [m for m in transport.take() if "Improvement action due" in str(m["Subject"])]
    subject = str(reminder["Subject"])
    assert "improvement_action" not in subject
    assert subject.endswith(
        f"Due in 1 day: Improvement action due — Improvement action #{action_id} Action 0"
    )
    assert "due in 1 day" in text_of(reminder) and "1 days" not in text_of(reminder)


def test_a_report_over_a_few_pages_opens_on_a_cover_without_the_footer(
    app: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_id = issued_audit(app)
    monkeypatch.setattr(audits_report, "COVER_AFTER_PAGES", 2)  # as if the report were long
    with app.database.reading() as session:
        record = audits.audit(session, audit_id)
        html, document = audits_report.document(app, session, record, None)
    text, pages = pdf_text(document)
    assert '<section class="cover">' in html and pages > 2
    first = pdf_text_of_page(document, 0)
    assert "Contents" in first and "Internal audit report · TRN-04" not in first
    assert text.count(f"Internal audit #{audit_id} · draft") == pages - 1


def pdf_text_of_page(document: bytes, index: int) -> str:
    return " ".join(" ".join(pdftext.lines(document)[index]).split())
