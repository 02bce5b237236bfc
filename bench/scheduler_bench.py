"""Reminder planning reads what is due, not what is open.

``planning``: passes per second of the planner (every rule of workflows/reminders.yaml,
the outbox dedupe lookups included) with the same 200 actions due, first when the
database holds 1,000 open actions, then after 99,000 more open actions (due months
ahead) are added: 100,000.  Through the (state, date) indexes both passes read the
same rows, so the ratio stays near 1; a planner that scanned the open records would
fall to about 0.01.  Both sizes are measured in the same run on the same database.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from bench import QUICK, Result, Sizes, rate, settings_note
from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.models import ImprovementAction, Person, Process
from qms.scheduler import service

DAY = date(2026, 3, 2)
DUE = 200
SMALL = 1_000
ROUNDS = 5
PASSES = 10


def add_actions(app: Services, count: int, due: Callable[[int], date]) -> None:
    """``count`` open actions over every process and owner, inserted in bulk (not timed)."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        defn = app.registry.for_kind(ImprovementAction.record_kind)
        app.registry.remember(session, defn, app.engine.clock)
        processes = itertools.cycle(session.scalars(select(Process.id).order_by(Process.id)).all())
        owners = itertools.cycle(session.scalars(select(Person.id).order_by(Person.id)).all())
        now = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
        rows: list[dict[str, Any]] = [
            {
                "state": ("proposed", "approved", "in_progress")[n % 3],
                "workflow_name": defn.name,
                "workflow_hash": defn.content_hash,
                "title": f"Action {n}",
                "process_id": next(processes),
                "owner_id": next(owners),
                "due_date": due(n),
                "created_at": now,
                "updated_at": now,
                "data": {},
            }
            for n in range(count)
        ]
        for start in range(0, count, 5_000):
            session.execute(insert(ImprovementAction), rows[start : start + 5_000])
        uow.commit()


def best(work: Callable[[int], object]) -> float:
    work(1)  # warm-up: the first pass also writes the reminders
    return max(rate(work, PASSES) for _ in range(ROUNDS))


def bench_planning(app: Services, sizes: Sizes) -> tuple[Result, Callable[[int], None]]:
    large = 10_000 if sizes == QUICK else 100_000
    clock = FixedClock(datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9))
    scheduler = service.build(app, clock)

    def passes(n: int) -> None:
        for _ in range(n):
            scheduler.plan()

    add_actions(app, DUE, lambda n: DAY + timedelta(days=7))
    add_actions(app, SMALL - DUE, lambda n: DAY + timedelta(days=60 + n % 300))
    small_rate = best(passes)
    add_actions(app, large - SMALL, lambda n: DAY + timedelta(days=60 + n % 300))
    large_rate = best(passes)
    result = Result(
        name="",
        title=f"reminder planning: {DUE} due among {SMALL:,} vs {large:,} open actions",
        unit="runs",
        baseline=f"planner, {SMALL:,} open actions",
        baseline_rate=small_rate,
        measured=f"planner, {large:,} open actions",
        measured_rate=large_rate,
        target=0.5,
        notes=(
            settings_note(app),
            f"every rule of workflows/reminders.yaml; {DUE} reminders due, already written "
            f"(each pass looks up their dedupe keys); best of {ROUNDS} rounds of {PASSES} passes",
        ),
    )
    return result, passes
