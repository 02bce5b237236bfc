"""Management and process reviews: inputs from the data, frozen pack, decisions as actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import PermissionDenied, TrailError, ValidationError
from qms.models import ImprovementAction, ManagementReview, ProcessReview, ReviewKind, ReviewPack
from qms.services import shared
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from qms.services.reviews import decisions as reviews_decisions
from qms.services.reviews import report as reviews_pack
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from qms.services.reviews.decisions import Decision
from qms.workflow import trail
from tests.factories import ROOT, load_example, services_for, snapshot

MR = ReviewKind.MANAGEMENT
TODAY = date(2026, 11, 25)
# A review of the twelve months to October, held today: its period is over.
OVER = reviews.Plan(
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
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-09", "96")
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "79")  # a breach
    indicators.record(app, "sboyer", "RSC-02-SUPPLIERS", "2026-Q3", "90")
    return app


def explain_every_missing_input(app: Services, review_id: int) -> list[str]:
    missing = [s.key for s in reviews_steps.assembled(app, MR, review_id) if s.missing]
    for key in missing:
        reviews_steps.explain_missing(
            app, review_id, key, f"Input {key}: qms holds no record of it yet", "tbrunet"
        )
    return missing


def held_review(app: Services) -> int:
    review = reviews.plan(app, MR, "tbrunet", OVER)
    reviews.note(app, review.id, "b", "New national accreditation rules from 2027.", "tbrunet")
    reviews_steps.gather(app, MR, review.id, "tbrunet")
    explain_every_missing_input(app, review.id)
    reviews_steps.hold_management(app, review.id, "hmarchal", TODAY, "The directors", "Agreed.")
    return review.id


def test_gathering_fills_every_input_and_flags_those_without_data(app: Services) -> None:
    review = reviews.plan(app, MR, "tbrunet", reviews.Plan(date(2026, 12, 1)))
    assert isinstance(review, ManagementReview)
    assert (review.period_start, review.period_end) == (date(2025, 12, 1), date(2026, 11, 30))
    entry = reviews_steps.gather(app, MR, review.id, "tbrunet")
    assert entry.to_state == "inputs_gathered"
    assert entry.inputs["previous_actions_status"].startswith(
        "MISSING: no previous management review is recorded"
    )
    assert entry.inputs["context_changes"].startswith("MISSING")
    assert (
        "9.3.2 c 5: 30 indicators: 0 on target, 1 off target, "
        "1 past its alert threshold, 28 without value" in entry.inputs["performance_and_trends"]
    )
    assert (
        "9.3.2 c 6: MISSING: no internal audit recorded" in entry.inputs["performance_and_trends"]
    )
    assert (
        "9.3.2 c 7: 1 external-provider indicator, 1 off target"
        in entry.inputs["performance_and_trends"]
    )
    listed = entry.inputs["missing_inputs"]
    assert listed.startswith("a status of actions from previous management reviews; b changes")
    assert "c6 audit results" in listed and "c5 " not in listed


def test_holding_freezes_the_pack_with_its_hash(app: Services) -> None:
    review_id = held_review(app)
    first = reviews_pack.pack(app, review_id)
    assert first.frozen
    assert "Held on" in first.html and "MISSING INPUT" in first.html
    assert "New national accreditation rules from 2027." in first.html
    # two values of TRN-04-GRADES are too few for a trend chart: they are shown in a table
    assert "Indicators with too few values for a chart" in first.html and "<svg" not in first.html
    assert "2026-09: 96 %" in first.html
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-08", "50")  # later data
    assert reviews_pack.pack(app, review_id).html == first.html
    with app.database.engine.begin() as conn:
        conn.execute(update(ReviewPack).values(html=first.html.replace("Agreed", "Refused")))
    with pytest.raises(TrailError, match="does not match the hash stored when it was frozen"):
        reviews_pack.pack(app, review_id)


def test_decisions_become_actions_and_outputs_need_one(app: Services) -> None:
    review_id = held_review(app)
    with pytest.raises(
        ValidationError,
        match=r"has no decision: record each with `qms review decide` first \(clause 9.3.3\)",
    ):
        reviews_steps.record_outputs(app, review_id, "hmarchal")
    before = snapshot(app.database)
    with pytest.raises(
        ValidationError, match="process: name the process that carries the action out"
    ):
        reviews_decisions.decide(
            app, MR, review_id, "hmarchal", Decision("Hire", "amoulin", date(2027, 3, 1))
        )
    with pytest.raises(ValidationError, match="due_date: 2026-01-01 is in the past"):
        reviews_decisions.decide(
            app, MR, review_id, "hmarchal", Decision("Hire", "amoulin", date(2026, 1, 1), "RSC-01")
        )
    assert snapshot(app.database) == before
    decision = reviews_decisions.decide(
        app,
        MR,
        review_id,
        "hmarchal",
        Decision("Recruit two lecturers", "amoulin", date(2027, 3, 1), "RSC-01", "resources"),
    )
    with app.database.reading() as session:
        action = session.get(ImprovementAction, decision.action_id)
        assert action is not None
        assert (
            action.origin,
            action.origin_ref,
            action.owner.handle if action.owner else None,
        ) == (
            "management_review",
            f"management_review #{review_id}",
            "amoulin",
        )
        assert action.due_date == date(2027, 3, 1) and action.state == "proposed"
    entry = reviews_steps.record_outputs(app, review_id, "hmarchal")
    assert "resources: Recruit two lecturers" in entry.inputs["decisions"]


def test_closing_plans_the_next_whose_input_a_is_this_ones_actions(app: Services) -> None:
    review_id = held_review(app)
    reviews_decisions.decide(
        app,
        MR,
        review_id,
        "hmarchal",
        Decision("Recruit two lecturers", "amoulin", date(2027, 3, 1), "RSC-01", "resources"),
    )
    reviews_steps.record_outputs(app, review_id, "hmarchal")
    with pytest.raises(PermissionDenied):
        reviews_steps.close(app, MR, review_id, "tbrunet")  # closing is for a director
    reviews_steps.close(app, MR, review_id, "hmarchal")
    with app.database.reading() as session:
        following = session.scalars(
            select(ManagementReview).where(ManagementReview.previous_review_id == review_id)
        ).one()
        assert (following.state, following.planned_on) == ("planned", date(2027, 11, 25))
        assert following.period_start == date(2026, 11, 1)
    built = {s.key: s for s in reviews_steps.assembled(app, MR, following.id)}
    assert not built["a"].missing
    assert built["a"].summary == (
        "1 action decided at the previous review: 0 closed, 1 not closed, 0 overdue"
    )


def test_one_open_management_review_at_a_time_planned_by_management(app: Services) -> None:
    with pytest.raises(PermissionDenied, match="may not plan a management review"):
        reviews.plan(app, MR, "ebenoit", reviews.Plan(date(2026, 12, 1)))
    reviews.plan(app, MR, "tbrunet", reviews.Plan(date(2026, 12, 1)))
    with pytest.raises(
        ValidationError, match=r"management_review #1 is already planned for 2026-12-01"
    ):
        reviews.plan(app, MR, "hmarchal", reviews.Plan(date(2027, 1, 10)))


def test_a_process_review_by_its_pilot_with_prefilled_inputs(app: Services) -> None:
    kind = ReviewKind.PROCESS
    with pytest.raises(PermissionDenied, match="may not plan the review of TRN-04"):
        reviews.plan(app, kind, "sboyer", reviews.Plan(date(2026, 12, 10), "TRN-04"))
    plan = reviews.Plan(date(2026, 12, 10), "TRN-04", date(2025, 11, 1), date(2026, 10, 31))
    review = reviews.plan(app, kind, "ebenoit", plan)
    entry = reviews_steps.gather(app, kind, review.id, "ebenoit")
    assert entry.inputs["indicators_summary"].startswith(
        "3 indicators: 0 on target, 0 off target, 1 past its alert threshold, 2 without value"
    )
    with pytest.raises(ValidationError, match=r"evaluation: required by .hold."):
        shared.fire(
            app.database,
            app.engine,
            kind,
            review.id,
            "hold",
            "ebenoit",
            {"held_on": TODAY, "evaluation": "", "intended_results_met": "yes"},
        )
    shared.fire(
        app.database,
        app.engine,
        kind,
        review.id,
        "hold",
        "ebenoit",
        {"held_on": TODAY, "evaluation": "On track", "intended_results_met": "partly"},
    )
    decision = reviews_decisions.decide(
        app,
        kind,
        review.id,
        "ebenoit",
        Decision("Remind examiners", "cfontaine", date(2027, 1, 15)),
    )
    reviews_steps.close(app, kind, review.id, "ebenoit")
    with app.database.reading() as session:
        history = trail.history_of(session, "process_review", review.id)
        assert f"action #{decision.action_id}" in history[-1].inputs["actions_decided"]
        nexts = session.scalars(
            select(ProcessReview).where(ProcessReview.previous_review_id == review.id)
        ).all()
        assert [(n.planned_on, n.process.code if n.process else None) for n in nexts] == [
            (date(2027, 11, 25), "TRN-04")
        ]
