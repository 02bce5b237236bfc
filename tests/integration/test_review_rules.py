"""The rules of a management review (clauses 9.3.2, 9.1.3): every input or a reason for its
absence, a period that is over, and inputs as they stood when they were gathered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import GuardFailed, PermissionDenied, ValidationError
from qms.models import ReviewKind
from qms.services import shared
from qms.services.capa import actions, nonconformities
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from qms.services.reviews import report as reviews_pack
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from qms.workflow import trail
from tests.factories import ROOT, load_example, services_for, snapshot

MR, PR = ReviewKind.MANAGEMENT, ReviewKind.PROCESS
TODAY = date(2026, 11, 25)
OVER = reviews.Plan(
    date(2026, 12, 1), period_start=date(2025, 11, 1), period_end=date(2026, 10, 31)
)
AUDITS = "The first internal audits of the programme are planned for January 2027"


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    app: Services = services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-09", "96")
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "79")  # a breach
    return app


def hold(app: Services, review_id: int, on: date = TODAY) -> None:
    reviews_steps.hold_management(app, review_id, "hmarchal", on, "The directors", "Agreed.")


def missing_keys(app: Services, review_id: int) -> list[str]:
    return [s.key for s in reviews_steps.assembled(app, MR, review_id) if s.missing]


def test_a_review_is_held_only_once_each_missing_input_has_a_reason(app: Services) -> None:
    review = reviews.plan(app, MR, "tbrunet", OVER)
    with pytest.raises(ValidationError, match=r"is planned: gather its inputs first"):
        reviews_steps.explain_missing(app, review.id, "c6", AUDITS, "tbrunet")
    reviews_steps.gather(app, MR, review.id, "tbrunet")
    keys = missing_keys(app, review.id)
    assert "c6" in keys and "c5" not in keys
    assert not reviews_pack.pack(app, review.id).frozen  # the draft: its charts are kept
    before = snapshot(app.database)
    with pytest.raises(GuardFailed) as refused:
        hold(app, review.id)
    message = str(refused.value)
    assert f"{len(keys)} inputs of clause 9.3.2 are missing with no reason recorded: " in message
    for key in keys:
        assert reviews_steps.words(key) in message
    assert "c6 audit results" in message and message.endswith("(clause 9.3.2)")
    assert snapshot(app.database) == before

    for key in keys:
        if key != "c6":
            reviews_steps.explain_missing(app, review.id, key, f"Nothing for {key}", "tbrunet")
    with pytest.raises(
        GuardFailed,
        match=r"an input of clause 9.3.2 is missing with no reason recorded: c6 audit results\. "
        r"Record why each is missing \(`qms review input-missing 1 c6 --reason TEXT`\)",
    ):
        hold(app, review.id)
    with pytest.raises(GuardFailed, match=r"input c5 had data when the inputs were gathered"):
        reviews_steps.explain_missing(app, review.id, "c5", "No time", "tbrunet")
    with pytest.raises(ValidationError, match=r"input: 'c8' is not an input of clause 9.3.2"):
        reviews_steps.explain_missing(app, review.id, "c8", AUDITS, "tbrunet")
    with pytest.raises(ValidationError, match=r"reason: say why input c6 audit results is"):
        reviews_steps.explain_missing(app, review.id, "c6", "  ", "tbrunet")
    with pytest.raises(PermissionDenied, match=r"may not fire 'explain_missing_input'"):
        reviews_steps.explain_missing(app, review.id, "c6", AUDITS, "ebenoit")

    reviews_steps.explain_missing(app, review.id, "c6", AUDITS, "tbrunet")
    hold(app, review.id)
    html = reviews_pack.pack(app, review.id).html
    assert f"Why it is missing, recorded by Thomas Brunet on 25 Nov 2026: {AUDITS}" in html
    assert "(missing, reason recorded)" in html  # in the table of contents
    with app.database.reading() as session:
        rows = [
            r
            for r in trail.history_of(session, MR.value, review.id)
            if r.trigger == "explain_missing_input"
        ]
    assert sorted(name for r in rows for name in r.inputs) == sorted(
        f"reason_missing_{key}" for key in keys
    )


def test_notes_are_inputs_written_before_they_are_gathered(app: Services) -> None:
    review = reviews.plan(app, MR, "tbrunet", OVER)
    reviews.note(app, review.id, "b", "New national accreditation rules from 2027.", "tbrunet")
    reviews_steps.gather(app, MR, review.id, "tbrunet")
    assert "b" not in missing_keys(app, review.id)
    with pytest.raises(ValidationError, match=r"is inputs_gathered: its inputs were gathered"):
        reviews.note(app, review.id, "d", "Two posts vacant", "tbrunet")


def test_the_period_reviewed_is_over_when_the_review_is_held(app: Services) -> None:
    late = reviews.Plan(date(2026, 12, 1), period_end=date(2026, 12, 31))
    with pytest.raises(
        ValidationError,
        match=r"period_end: the period reviewed would end on 2026-12-31, after the review itself "
        r"\(2026-12-01\).*\(clause 9.3.2\)",
    ):
        reviews.plan(app, MR, "tbrunet", late)
    review = reviews.plan(app, MR, "tbrunet", reviews.Plan(date(2026, 12, 1)))  # to 2026-11-30
    reviews_steps.gather(app, MR, review.id, "tbrunet")
    for key in missing_keys(app, review.id):
        reviews_steps.explain_missing(app, review.id, key, "No record yet", "tbrunet")
    reviews_pack.pack(app, review.id)  # the draft: its charts are kept
    before = snapshot(app.database)
    with pytest.raises(
        GuardFailed,
        match=r"the period reviewed ends on 2026-11-30, after the day the review is held "
        r"\(2026-11-25\): a review looks back on a period that is over \(clause 9.3.2\)",
    ):
        hold(app, review.id)
    assert snapshot(app.database) == before

    process = reviews.plan(app, PR, "ebenoit", reviews.Plan(date(2026, 12, 10), "TRN-04"))
    reviews_steps.gather(app, PR, process.id, "ebenoit")
    held = reviews_steps.ProcessHeld(TODAY, "", "On track", "yes")
    with pytest.raises(GuardFailed, match=r"ends on 2026-11-30, after .* \(clause 9.1.3\)"):
        reviews_steps.hold_process(app, process.id, "ebenoit", held)


def test_records_created_after_the_gathering_do_not_change_its_inputs(app: Services) -> None:
    clock = app.engine.clock
    assert isinstance(clock, FixedClock)
    complaint = NewNonconformity(
        "Grades published late",
        "TRN-04",
        source="complaint",
        detected_on=date(2026, 10, 20),
        reference="Student council letter of 20 October",
    )
    nonconformities.new(app, "ebenoit", complaint)
    idea = NewAction("Post the exam calendar", "TRN-04", "cfontaine", date(2027, 1, 31))
    first_idea = actions.new(app, "ebenoit", idea)
    review = reviews.plan(app, MR, "tbrunet", OVER)
    gathered = reviews_steps.gather(app, MR, review.id, "tbrunet").inputs
    assert "1 complaint logged as nonconformities" in gathered["performance_and_trends"]
    assert "1 open suggestion," in gathered["improvement_opportunities"]
    assert "1 past its alert threshold" in gathered["performance_and_trends"]

    clock.advance(timedelta(hours=2))
    nonconformities.new(app, "ebenoit", complaint)  # a second complaint, logged later
    actions.new(app, "ebenoit", idea)  # a second suggestion
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-08", "50")  # a new breach
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "96", reason="Miscounted")
    reject = {"rejection_reason": "Already done"}
    shared.fire(
        app.database, app.engine, "improvement_action", first_idea.id, "reject", "ebenoit", reject
    )

    later = reviews_steps.management_inputs(reviews_steps.assembled(app, MR, review.id))
    assert later == gathered
    for key in missing_keys(app, review.id):
        reviews_steps.explain_missing(app, review.id, key, "No record yet", "tbrunet")
    hold(app, review.id)
    html = reviews_pack.pack(app, review.id).html
    assert "1 complaint logged as nonconformities" in html and "2 complaints" not in html
    assert "1 open suggestion," in html

    # a review gathered now sees them all
    process = reviews.plan(app, PR, "ebenoit", reviews.Plan(date(2026, 12, 10), "TRN-04"))
    now = reviews_steps.gather(app, PR, process.id, "ebenoit").inputs
    assert "2 complaints logged as nonconformities" in now["customer_feedback"]
    assert now["indicators_summary"].startswith(  # 2026-10 corrected from 79 to 96
        "3 indicators: 1 on target, 0 off target, 0 past their alert threshold"
    )
