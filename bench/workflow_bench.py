"""The workflow engine against the database work it cannot avoid.

``fire``: transitions per second through ``services.workflow.fire`` (one unit of work
each: permissions, inputs, guards, the optimistic lock, the hash-chained trail and the
outbox) against raw SQLAlchemy Core doing the UPDATE of the record and the INSERT of
its history row, one transaction per transition, in the same run and database.

``available``: 10,000 records loaded with the ORM and, for each, the triggers an actor
may fire on it (``WorkflowEngine.available_for``, roles loaded once), against only
loading them.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bench import Result, Sizes, best_rates, settings_note
from bench.review_bench import bench_review
from bench.scheduler_bench import bench_planning
from qms.bootstrap import Services
from qms.models import (
    RECORD_MODELS,
    Base,
    HistoryEntry,
    ImprovementAction,
    Person,
    Process,
    WorkflowRecord,
)
from qms.services import shared
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.permissions import ActorRoles

BACKENDS = ("sqlite", "postgresql")

# tbrunet pilots STE-02 and is the quality manager: may complete and reopen its actions.
ACTOR, PROCESS, KIND = "tbrunet", "STE-02", ImprovementAction.record_kind
# A cycle without guards: in_progress -complete-> done -reopen-> in_progress -> ...
CYCLE: dict[str, tuple[str, str, dict[str, str]]] = {
    "in_progress": ("complete", "done", {"work_done": "Calibration records checked"}),
    "done": ("reopen", "in_progress", {"reopen_reason": "One record was missing"}),
}


# --- fire ---------------------------------------------------------------------------------


def actions_in_progress(app: Services, count: int) -> list[int]:
    """``count`` improvement actions of STE-02, started and approved (not timed)."""
    ids = []
    for n in range(count):
        record = shared.start(
            app.database, app.engine, KIND, ACTOR, process=PROCESS, title=f"Action {n}"
        )
        for trigger in ("approve", "start"):
            shared.fire(app.database, app.engine, KIND, record.id, trigger, ACTOR)
        ids.append(record.id)
    return ids


def service_fires(app: Services, ids: list[int]) -> Callable[[int], None]:
    """Fire the cycle through the use case, round robin over ``ids``."""
    states = dict.fromkeys(ids, "in_progress")
    turn = itertools.cycle(ids)

    def work(n: int) -> None:
        for record_id in itertools.islice(turn, n):
            trigger, _, inputs = CYCLE[states[record_id]]
            entry = shared.fire(app.database, app.engine, KIND, record_id, trigger, ACTOR, inputs)
            states[record_id] = entry.to_state

    return work


def core_fires(app: Services, ids: list[int]) -> Callable[[int], None]:
    """The same transitions with Core: read the row, UPDATE it, INSERT a history row.

    One transaction per transition, on the same engine (so the same BEGIN IMMEDIATE on
    SQLite).  The hashes are random: this baseline does not chain the trail.
    """
    tables = Base.metadata.tables
    records, history = tables[ImprovementAction.__tablename__], tables[HistoryEntry.__tablename__]
    engine, clock, turn = app.database.engine, app.engine.clock, itertools.cycle(ids)
    defn = app.registry.for_kind(KIND)

    def transition(record_id: int) -> None:
        with engine.begin() as connection:
            row = connection.execute(
                select(records.c.state, records.c.version).where(records.c.id == record_id)
            ).one()
            trigger, dest, inputs = CYCLE[row.state]
            changed = connection.execute(
                update(records)
                .where(records.c.id == record_id, records.c.version == row.version)
                .values(state=dest, version=row.version + 1)
            )
            if changed.rowcount != 1:
                raise RuntimeError(f"improvement_action #{record_id} changed under the benchmark")
            connection.execute(
                insert(history).values(
                    record_kind=KIND,
                    record_id=record_id,
                    trigger=trigger,
                    from_state=row.state,
                    to_state=dest,
                    actor=ACTOR,
                    at=clock.now(),
                    inputs=inputs,
                    comment="",
                    workflow_name=defn.name,
                    workflow_version=defn.version,
                    workflow_hash=defn.content_hash,
                    prev_hash=secrets.token_hex(32),
                    hash=secrets.token_hex(32),
                )
            )

    def work(n: int) -> None:
        for record_id in itertools.islice(turn, n):
            transition(record_id)

    return work


def bench_fire(app: Services, sizes: Sizes) -> tuple[Result, Callable[[int], None]]:
    baseline = core_fires(app, actions_in_progress(app, sizes.fire_records))
    measured = service_fires(app, actions_in_progress(app, sizes.fire_records))
    base_rate, meas_rate = best_rates(baseline, measured, sizes.fires_per_round, sizes.fire_rounds)
    result = Result(
        name="",
        title="fire() through the service vs raw Core, one transaction per transition",
        unit="transitions",
        baseline="Core: SELECT + UPDATE + history INSERT",
        baseline_rate=base_rate,
        measured="services.workflow.fire (complete/reopen)",
        measured_rate=meas_rate,
        target=0.5,
        notes=(
            settings_note(app),
            f"{sizes.fires_per_round} transitions per round over {sizes.fire_records} "
            f"records, best of {sizes.fire_rounds} interleaved rounds",
        ),
    )
    return result, measured


# --- available ----------------------------------------------------------------------------


# An audit programme exists once per cycle: not a kind that comes by the thousand.
ONE_PER_CYCLE = {"audit_programme"}


def spread_records(app: Services, count: int) -> None:
    """``count`` records over every kind, process and state, inserted in bulk (not timed)."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        processes = list(session.scalars(select(Process.id).order_by(Process.id)))
        actor = session.scalar(select(Person).where(Person.handle == ACTOR))
        assert actor is not None
        models = [m for kind, m in RECORD_MODELS.items() if kind not in ONE_PER_CYCLE]
        for n, model in enumerate(models):
            defn = app.registry.for_kind(model.record_kind)
            app.registry.remember(session, defn, app.engine.clock)
            share = count // len(models) + (n < count % len(models))
            rows = rows_for(model, defn, share, processes, actor, app.engine.clock.now())
            session.execute(insert(model), rows)
        uow.commit()


def rows_for(
    model: type[WorkflowRecord],
    defn: WorkflowDefinition,
    count: int,
    processes: list[int],
    actor: Person,
    now: datetime,
) -> list[dict[str, Any]]:
    """Rows cycling through the states and processes; some name the actor as owner."""
    states, places = itertools.cycle(defn.states), itertools.cycle(processes)
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "state": next(states),
            "workflow_name": defn.name,
            "workflow_hash": defn.content_hash,
            "title": f"{model.record_kind} {i}",
            "process_id": next(places),
            "created_at": now - timedelta(minutes=i),
            "updated_at": now,
            "data": {"action_owner": actor.handle} if i % 7 == 0 else {},
        }
        for column in ("owner_id", "lead_auditor_id"):
            if hasattr(model, column) and i % 5 == 0:
                row[column] = actor.id
        rows.append(row)
    return rows


def load_all(session: Session) -> list[WorkflowRecord]:
    loaded: list[WorkflowRecord] = []
    for model in RECORD_MODELS.values():
        loaded.extend(session.scalars(select(model)).all())
    return loaded


def loads(app: Services) -> Callable[[int], None]:
    def work(n: int) -> None:
        with app.database.reading() as session:
            load_all(session)

    return work


def loads_with_triggers(app: Services, offered: list[int]) -> Callable[[int], None]:
    engine = app.engine

    def work(n: int) -> None:
        with app.database.reading() as session:
            records = load_all(session)
            actor = session.scalar(select(Person).where(Person.handle == ACTOR))
            assert actor is not None
            roles = ActorRoles.load(session, actor, engine.today())
            offered[:] = [len(engine.available_for(session, r, roles)) for r in records]

    return work


def bench_available(app: Services, sizes: Sizes) -> tuple[Result, Callable[[int], None]]:
    count = sizes.loaded_records
    spread_records(app, count)
    offered: list[int] = []
    measured = loads_with_triggers(app, offered)
    # Each call loads all `count` records whatever n it is given: n = count gives records/s.
    base_rate, meas_rate = best_rates(loads(app), measured, count, sizes.load_rounds)
    result = Result(
        name="",
        title=f"available triggers for {count:,} loaded records vs loading them",
        unit="records",
        baseline="ORM load in a fresh session",
        baseline_rate=base_rate,
        measured="ORM load + available_for (roles once)",
        measured_rate=meas_rate,
        target=0.8,
        notes=(
            settings_note(app),
            f"{len(RECORD_MODELS) - len(ONE_PER_CYCLE)} record kinds over every process and "
            f"state; {ACTOR} may "
            f"fire {sum(offered):,} triggers on {sum(1 for n in offered if n):,} of them",
        ),
    )
    return result, measured


Benchmark = Callable[[Services, Sizes], tuple[Result, Callable[[int], None]]]
BENCHMARKS: dict[str, Benchmark] = {"fire": bench_fire, "available": bench_available}
BENCHMARKS["planning"] = bench_planning  # bench/scheduler_bench.py
BENCHMARKS["review_pack"] = bench_review  # bench/review_bench.py


@dataclass(frozen=True)
class Case:
    benchmark: str
    backend: str

    @property
    def name(self) -> str:
        return f"{self.benchmark}-{self.backend}"


def cases() -> Iterator[Case]:
    for benchmark in BENCHMARKS:
        for backend in BACKENDS:
            yield Case(benchmark, backend)
