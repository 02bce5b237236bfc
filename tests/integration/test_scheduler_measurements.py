"""Indicator values past their due date: the owner is reminded weekly, the pilot after two weeks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from qms.clock import FixedClock
from qms.db import Database
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from tests.factories import ROOT, load_example
from tests.reminders import RecordingTransport, at, scheduler_for


@pytest.fixture
def example(database: Database) -> Database:
    load_example(database)
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    return database


def _grades_reminders(transport: RecordingTransport) -> list[tuple[str, str, str]]:
    return [
        (m["To"], m.get("Cc") or "", m["Subject"])
        for m in transport.take()
        if "TRN-04-GRADES for 2026-10" in m["Subject"]
    ]


def test_missing_value_reminds_the_owner_then_copies_the_pilot(example: Database) -> None:
    with example.engine.begin() as conn:  # the value is owned by someone else than the pilot
        conn.execute(
            text(
                "UPDATE indicator SET owner_id = (SELECT id FROM person WHERE "
                "handle = 'grenaud') WHERE code = 'TRN-04-GRADES'"
            )
        )
    clock = FixedClock(at(date(2026, 11, 20)))
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    seen: dict[date, list[tuple[str, str, str]]] = {}
    for _ in range(30):  # 2026-11-20 .. 2026-12-19; TRN-04-GRADES for 2026-10 is due 2026-11-30
        scheduler.tick()
        scheduler.tick()  # a second pass the same day sends nothing more
        day = clock.now().date()
        found = _grades_reminders(transport)
        if found:
            seen[day] = found
        clock.advance(timedelta(days=1))
    assert sorted(seen) == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15)]
    owner, pilot = "gaelle.renaud@valbrune.example", "emilie.benoit@valbrune.example"
    assert seen[date(2026, 12, 1)] == [
        (
            owner,
            "",
            "[Valbrune School of Engineering] Value of TRN-04-GRADES for 2026-10 is 1 day late",
        )
    ]
    assert [(to, cc) for to, cc, _ in seen[date(2026, 12, 8)]] == [(owner, "")]
    assert [(to, cc) for to, cc, _ in seen[date(2026, 12, 15)]] == [(owner, pilot)]


def test_recorded_value_stops_the_reminders(example: Database) -> None:
    clock = FixedClock(at(date(2026, 12, 1)))
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    scheduler.tick()
    assert _grades_reminders(transport)
    indicators.record(scheduler.services, "ebenoit", "TRN-04-GRADES", "2026-10", "97")
    clock.advance(timedelta(days=7))
    scheduler.tick()
    assert _grades_reminders(transport) == []
