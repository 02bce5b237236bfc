"""Programme slippage reminders (clause 9.2.2), time injected: an audit of the programme
whose planned month has passed without it starting reminds the process's correspondent,
then the quality manager too once it has slipped a month, and stops once it starts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qms.clock import FixedClock
from qms.db import Database
from qms.models import Person, Role, RoleAssignment
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import service as audits
from qms.services.audits.common import programme_of
from qms.services.audits.coverage import month_end
from tests.factories import load_example
from tests.reminders import RecordingTransport, app_for, at, scheduler_for, text_of

CYCLE = 2027


@pytest.fixture
def example(database: Database) -> Database:
    load_example(database)
    return database


def email_of(database: Database, handle: str) -> str:
    with database.reading() as session:
        return session.scalars(select(Person.email).where(Person.handle == handle)).one()


def quality_managers(database: Database) -> list[str]:
    with database.reading() as session:
        rows = session.scalars(
            select(Person.email)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(RoleAssignment.role == Role.QUALITY_MANAGER)
        )
        return sorted(set(rows))


def start_audit(app, process: str) -> None:  # type: ignore[no-untyped-def]
    spec = audits.AuditPlan(
        process=process,
        cycle=CYCLE,
        lead="jcarre",
        details={"scope": "Exams", "criteria": "ISO 9001 8.5.1", "objectives": "Check"},
    )
    record = audits.plan(app, "cvidal", spec)
    audits.fire(app, record.id, "issue_plan", "jcarre", {"audit_plan": "one day"})
    audits.fire(app, record.id, "start", "jcarre", {"started_on": "2027-01-01"})


def test_a_slipped_audit_reminds_its_correspondent_then_the_quality_manager(
    example: Database,
) -> None:
    clock = FixedClock(at(date(2026, 11, 25)))
    app = app_for(example, clock)
    programme.plan(app, "cvidal", CYCLE)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, CYCLE, "put_in_effect", "tbrunet")
    with example.reading() as session:
        rows = audits_queries.entries(session, programme_of(session, CYCLE))
    entry = next(e for e in rows if e.process == "TRN-04")  # its correspondent: grenaud
    deadline = month_end(entry.planned_on)
    clock.at = at(deadline)
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    subject = f"— Audit programme entry #{entry.id} audit of TRN-04 planned in"
    received: dict[int, list[str]] = {}
    texts: list[str] = []
    for _ in range(50):
        scheduler.tick()
        mine = [m for m in transport.take() if subject in str(m["Subject"])]
        if mine:
            received[(scheduler.today - deadline).days] = sorted(str(m["To"]) for m in mine)
            texts += [text_of(m) for m in mine]
        if scheduler.today == deadline + timedelta(days=36):
            start_audit(app, "TRN-04")
        clock.advance(timedelta(days=1))
    correspondent = [email_of(example, "grenaud")]
    everyone = sorted(correspondent + quality_managers(example))
    assert received == {
        1: correspondent,  # the first day after its planned month
        7: correspondent,
        14: correspondent,
        21: correspondent,
        28: correspondent,
        30: everyone,  # slipped a month
        35: everyone,
    }  # and nothing once the audit has started
    assert f"audit of TRN-04 planned in {entry.planned_on:%B %Y}" in texts[0]
    assert "1 day late" in texts[0]
