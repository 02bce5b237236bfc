"""The management review's input 9.3.2 c 6 (audit results) shows how the audit programme
stands: its audits planned, started, done and late, and the late ones listed (clause 9.2.2),
as they stood when the inputs were gathered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.models import ReviewKind
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import service as audits
from qms.services.audits.common import programme_of
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from qms.services.reviews.tables import Section
from tests.factories import load_example, services_for

CYCLE = 2026
MR = ReviewKind.MANAGEMENT


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database, as_of=date(2025, 11, 1))  # auditors hold their role all year
    app: Services = services_for(database, FixedClock(datetime(2025, 12, 1, 9, tzinfo=UTC)))
    programme.plan(app, "cvidal", CYCLE)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, CYCLE, "put_in_effect", "tbrunet")
    app.engine.clock.at = datetime(2026, 11, 25, 9, tzinfo=UTC)  # type: ignore[attr-defined]
    return app


def start(app: Services, process: str) -> int:
    spec = audits.AuditPlan(
        process=process,
        cycle=CYCLE,
        details={"scope": "The year", "criteria": "ISO 9001", "objectives": "Check"},
    )
    record = audits.plan(app, "cvidal", spec)
    assert record.lead_auditor is not None
    lead = record.lead_auditor.handle
    audits.fire(app, record.id, "issue_plan", lead, {"audit_plan": "one day"})
    audits.fire(app, record.id, "start", lead, {"started_on": "2026-11-25"})
    return record.id


def audit_results(app: Services, review_id: int) -> Section:
    return next(s for s in reviews_steps.assembled(app, MR, review_id) if s.key == "c6")


def test_audit_results_show_the_programme_and_its_late_audits(app: Services) -> None:
    with app.database.reading() as session:
        entries = audits_queries.entries(session, programme_of(session, CYCLE))
    months_passed = sum(e.planned_on < date(2026, 11, 1) for e in entries)  # today: 25 Nov
    start(app, "STE-02")  # the first audit of the year, started at last
    review = reviews.plan(app, MR, "tbrunet", reviews.Plan(date(2026, 12, 1)))
    c6 = audit_results(app, review.id)
    assert not c6.missing
    counts = f"programme 2026: {len(entries)} planned, 1 started, 0 done, {months_passed - 1} late"
    assert counts in c6.summary
    (late,) = [t for t in c6.tables if t.title.startswith("Late audits of the 2026 programme")]
    assert len(late.rows) == months_passed - 1 and late.flagged == frozenset(range(len(late.rows)))
    assert all(row[2] == "Not scheduled" for row in late.rows)
    assert {row[0] for row in late.rows} >= {"TRN-04", "RSC-04"}
    reviews_steps.gather(app, MR, review.id, "tbrunet")
    app.engine.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    start(app, "RSC-01")  # after the inputs were gathered: not in them
    again = audit_results(app, review.id)
    assert counts in again.summary
