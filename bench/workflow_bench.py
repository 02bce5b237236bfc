"""The workflow engine against the database work it cannot avoid.

``fire``: transitions per second through ``qms.services.shared.fire`` (one unit of work
each: permissions, inputs, guards, the optimistic lock, the record's signed trail chain
and the outbox) against raw SQLAlchemy Core doing the UPDATE of the record, the read of
its chain's head and the INSERT of its history row, one transaction per transition, in
the same run and database.

``writers``: the same ``fire`` from 8 threads at once against 2 threads, each on records
of its own, on PostgreSQL: writers on different records must not wait for each other.

``available``: 10,000 records loaded with the ORM and, for each, the triggers an actor
may fire on it (``WorkflowEngine.available_for``, roles loaded once), against only
loading them.
"""

from __future__ import annotations

import itertools
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool, QueuePool

from bench import Result, Sizes, best_rates, rate, settings_note
from bench.review_bench import bench_review
from bench.scheduler_bench import bench_planning
from bench.trail_bench import bench_verify
from bench.web_bench import bench_web
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
BACKENDS_OF = {"writers": ("postgresql",)}  # SQLite has one writer at a time by design

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
    """The same transitions with Core: read the row, UPDATE it, chain and INSERT a history row.

    One transaction per transition, on the same engine (so the same BEGIN IMMEDIATE on
    SQLite): SELECT the record, UPDATE it WHERE its version is the one read, SELECT the
    head of its chain (the row of highest ``seq``), INSERT the next row.  The row names
    its head (``seq``, ``prev_id``, ``prev_hash``) but its own hash is random: this
    baseline does not sign anything (``key_id`` "bench").
    """
    tables = Base.metadata.tables
    records, history = tables[ImprovementAction.__tablename__], tables[HistoryEntry.__tablename__]
    engine, clock, turn = app.database.engine, app.engine.clock, itertools.cycle(ids)
    defn = app.registry.for_kind(KIND)
    head = (
        select(history.c.id, history.c.seq, history.c.hash)
        .where(history.c.record_kind == KIND, history.c.record_id == bindparam("record_id"))
        .order_by(history.c.seq.desc())
        .limit(1)
    )

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
            last = connection.execute(head, {"record_id": record_id}).one()
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
                    seq=last.seq + 1,
                    prev_id=last.id,
                    prev_hash=last.hash,
                    key_id="bench",
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
        baseline="Core: SELECT + UPDATE + chain head SELECT + history INSERT",
        baseline_rate=base_rate,
        measured="qms.services.shared.fire (complete/reopen)",
        measured_rate=meas_rate,
        target=0.5,
        notes=(
            settings_note(app),
            f"{sizes.fires_per_round} transitions per round over {sizes.fire_records} "
            f"records, best of {sizes.fire_rounds} interleaved rounds",
        ),
    )
    return result, measured


# --- writers ------------------------------------------------------------------------------


def concurrent_fires(fires: list[Callable[[int], None]]) -> Callable[[int], None]:
    """``len(fires)`` threads firing at once, each with its own ``service_fires``.

    ``work(n)`` shares the ``n`` transitions out between the threads, starts them together
    and returns when the last one is done; an error in a thread is raised again here.
    """

    def work(n: int) -> None:
        shares = [n // len(fires) + (w < n % len(fires)) for w in range(len(fires))]
        start, errors = threading.Barrier(len(fires)), list[BaseException]()

        def writer(fire: Callable[[int], None], share: int) -> None:
            try:
                start.wait()
                fire(share)
            except BaseException as exc:  # raised again in the main thread
                errors.append(exc)
                start.abort()  # the others stop waiting for it

        threads = [
            threading.Thread(target=writer, args=(fire, share), name=f"writer-{w}")
            for w, (fire, share) in enumerate(zip(fires, shares, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    return work


def pool_capacity(pool: Pool) -> float:
    """How many connections ``pool`` lets be checked out at once."""
    if not isinstance(pool, QueuePool):
        return math.inf
    overflow = pool._max_overflow  # no public reader of the limit
    return math.inf if overflow < 0 else pool.size() + overflow


def bench_writers(app: Services, sizes: Sizes) -> tuple[Result, Callable[[int], None]]:
    few, many = 2, 8
    pool = app.database.engine.pool
    capacity = pool_capacity(pool)
    if capacity < many:
        raise RuntimeError(f"qms's connection pool holds {capacity} connections, {many} needed")
    # Each writer its own records: no two threads ever fire on the same one.
    writers = [
        service_fires(app, actions_in_progress(app, sizes.writer_records))
        for _ in range(few + many)
    ]
    baseline, measured = concurrent_fires(writers[:few]), concurrent_fires(writers[few:])
    opened = itertools.count()
    event.listen(pool, "connect", lambda *_: next(opened))
    started = time.perf_counter()
    base_rate, meas_rate = best_rates(baseline, measured, sizes.writer_fires, sizes.writer_rounds)
    seconds = time.perf_counter() - started
    alone = rate(writers[0], sizes.writer_fires // 4)  # one of the baseline's, in this thread
    result = Result(
        name="",
        title=f"fire() from {many} concurrent writers vs {few}, each on records of its own",
        unit="transitions",
        baseline=f"{few} threads x qms.services.shared.fire",
        baseline_rate=base_rate,
        measured=f"{many} threads x qms.services.shared.fire",
        measured_rate=meas_rate,
        target=1.0,
        notes=(
            settings_note(app),
            f"{sizes.writer_fires} transitions per round shared out between the threads, "
            f"{sizes.writer_records} records per thread, best of {sizes.writer_rounds} "
            "interleaved rounds",
            f"one Database, {type(pool).__name__} of up to {capacity} connections: "
            f"{next(opened)} opened in the {seconds:.0f} s of rounds",
            f"1 thread alone: {alone:,.0f} transitions/s; {many} threads do "
            f"{meas_rate / alone:.2f}x that (writers serialised by a global lock stay near 1x)",
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
BENCHMARKS: dict[str, Benchmark] = {
    "fire": bench_fire,
    "writers": bench_writers,
    "available": bench_available,
}
BENCHMARKS["planning"] = bench_planning  # bench/scheduler_bench.py
BENCHMARKS["review_pack"] = bench_review  # bench/review_bench.py
BENCHMARKS["verify"] = bench_verify  # bench/trail_bench.py
BENCHMARKS["web"] = bench_web  # bench/web_bench.py


@dataclass(frozen=True)
class Case:
    benchmark: str
    backend: str

    @property
    def name(self) -> str:
        return f"{self.benchmark}-{self.backend}"


def cases() -> Iterator[Case]:
    for benchmark in BENCHMARKS:
        for backend in BACKENDS_OF.get(benchmark, BACKENDS):
            yield Case(benchmark, backend)
