"""Breaches: proposed to the pilot, never acted on silently; accepted as an action or dismissed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import PermissionDenied, ValidationError
from qms.models import BreachProposal, ImprovementAction, OutboxMessage
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import files as indicators_file
from qms.services.indicators import series as indicators_series
from qms.services.indicators import service as indicators
from tests.factories import ROOT, load_example, services_for, snapshot


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    app: Services = services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    return app


def open_breaches(app: Services) -> list[indicators_breaches.BreachRow]:
    with app.database.reading() as session:
        return indicators_breaches.rows(session, ("open",))


def test_a_value_past_the_threshold_proposes_an_action_to_the_pilot(app: Services) -> None:
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-09", "88")  # off target, no alert
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "79")  # higher is better
    indicators.record(app, "sboyer", "RSC-02-PAYMENT", "2026-10", "50")  # lower is better
    found = open_breaches(app)
    assert [(b.indicator, b.period, b.value) for b in found] == [
        ("TRN-04-GRADES", "2026-10", 79.0),
        ("RSC-02-PAYMENT", "2026-10", 50.0),
    ]
    with app.database.reading() as session:
        told = session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "indicator.breach")
        )
        assert sorted(m.payload["to"] for m in told) == ["ebenoit", "sboyer"]
        assert session.scalars(select(ImprovementAction)).all() == []  # nothing created silently


def test_the_pilot_accepts_and_an_improvement_action_is_proposed(app: Services) -> None:
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "79")
    breach = open_breaches(app)[0]
    action = indicators_breaches.accept(app, breach.id, "ebenoit", "cfontaine", date(2026, 12, 31))
    assert (action.origin, action.origin_ref, action.state) == (
        "indicator_breach",
        "TRN-04-GRADES 2026-10",
        "proposed",
    )
    with app.database.reading() as session:
        stored = session.get(BreachProposal, breach.id)
        assert stored is not None
        assert (stored.state, stored.action_id, stored.decided_by) == (
            "accepted",
            action.id,
            "ebenoit",
        )
    with pytest.raises(ValidationError, match="is accepted, not open"):
        indicators_breaches.dismiss(app, breach.id, "ebenoit", "changed my mind")


def test_only_the_pilot_decides_and_a_dismissal_needs_a_reason(app: Services) -> None:
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "79")
    breach = open_breaches(app)[0]
    before = snapshot(app.database)
    with pytest.raises(PermissionDenied, match="that is for the pilot of process TRN-04"):
        indicators_breaches.accept(app, breach.id, "tbrunet", "tbrunet", date(2026, 12, 31))
    with pytest.raises(ValidationError, match="reason: say why no action is needed"):
        indicators_breaches.dismiss(app, breach.id, "ebenoit", " ")
    assert snapshot(app.database) == before
    indicators_breaches.dismiss(app, breach.id, "ebenoit", "Exam board moved by the ministry")
    assert open_breaches(app) == []


def test_a_corrected_value_withdraws_the_proposal(app: Services) -> None:
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "7.9")
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-10", "97.9", reason="Typo")
    with app.database.reading() as session:
        states = session.scalars(select(BreachProposal.state)).all()
    assert states == ["withdrawn"]


def test_missing_measurements_past_their_due_date_are_listed(app: Services) -> None:
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-09", "96")
    with app.database.reading() as session:
        rows = indicators_series.missing(session, date(2026, 11, 25), date(2026, 8, 1))
    grades = [(r.period, r.due_on.isoformat()) for r in rows if r.indicator == "TRN-04-GRADES"]
    # 2026-10 is not due before 2026-11-30; 2026-09 is recorded.
    assert grades == [("2026-08", "2026-09-30")]
    assert any(r.indicator == "RSC-02-SUPPLIERS" and r.period == "2026-Q3" for r in rows)
