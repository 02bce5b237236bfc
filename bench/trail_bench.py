"""``qms trail verify`` on a trail of 100,000 rows against reading those rows.

The trail is written in bulk (not timed) as the engine writes it: one chain per record,
each row signed with the run's key by :mod:`qms.workflow.trail`'s own functions, records
whose state and version are the ones their trail gives; then the engine fires one more
transition after them, and ``services.trail.seal`` seals it all.  ``verify`` then checks
every signature, every chain, the seal, and replays every record; it must find nothing
wrong (the benchmark crashes otherwise).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any, cast

from sqlalchemy import Table, insert, select

from bench import Result, Sizes, best_rates, settings_note
from qms.bootstrap import Services
from qms.models import GENESIS_HASH, HistoryEntry, ImprovementAction, Person, Process
from qms.services import shared
from qms.services import trail as trail_service
from qms.workflow import trail
from qms.workflow.engine import CREATE_TRIGGER

ACTOR, PROCESS, KIND = "tbrunet", "STE-02", ImprovementAction.record_kind
VERIFY_TARGET = 0.09  # 10 s for 100,000 rows where the SELECT reads them in 0.9 s
# What the engine writes for an improvement action: created, approved, started, then
# completed and reopened in turn (trigger, from, to, inputs).
OPENING: tuple[tuple[str, str | None, str, dict[str, str]], ...] = (
    (CREATE_TRIGGER, None, "proposed", {}),
    ("approve", "proposed", "approved", {}),
    ("start", "approved", "in_progress", {}),
)
CYCLE = (
    ("complete", "in_progress", "done", {"work_done": "Calibration records checked"}),
    ("reopen", "done", "in_progress", {"reopen_reason": "One record was missing"}),
)


def steps(length: int) -> list[tuple[str, str | None, str, dict[str, str]]]:
    """The trail of one record, ``length`` rows long."""
    return list(itertools.islice(itertools.chain(OPENING, itertools.cycle(CYCLE)), length))


def signed_trail(app: Services, rows: int, length: int) -> tuple[int, int]:
    """Records with about ``rows`` trail rows, ``length`` each, and a seal; how many of each.

    Written row position by row position (every record's first row, then every second
    one, ...) so that each INSERT ... RETURNING gives the ids the next rows name.  Then
    the engine itself fires one more transition on the first record, after the bulk rows
    (so they are a chain qms continues), and the trail is sealed.
    """
    count, trail_of = rows // length, steps(length)
    defn, keys, clock = app.registry.for_kind(KIND), app.engine.keys, app.engine.clock
    records = cast(Table, ImprovementAction.__table__)
    history = cast(Table, HistoryEntry.__table__)
    first = clock.now() - timedelta(days=1)  # one row a microsecond: all of it in the past

    def at(seq: int, n: int) -> datetime:
        return first + timedelta(microseconds=seq * count + n)

    with app.database.unit_of_work() as uow:
        session = uow.session
        process_id = session.scalar(select(Process.id).where(Process.code == PROCESS))
        owner_id = session.scalar(select(Person.id).where(Person.handle == ACTOR))
        app.registry.remember(session, defn, clock)
        ids = session.scalars(
            insert(records).returning(records.c.id, sort_by_parameter_order=True),
            [
                {
                    "state": trail_of[-1][2],
                    "version": length,  # one version per trail row
                    "workflow_name": defn.name,
                    "workflow_hash": defn.content_hash,
                    "title": f"Action {n}",
                    "process_id": process_id,
                    "owner_id": owner_id,
                    "created_at": at(0, n),
                    "updated_at": at(length - 1, n),
                    "data": {k: v for *_, inputs in trail_of for k, v in inputs.items()},
                }
                for n in range(count)
            ],
        ).all()
        heads: list[tuple[int | None, str]] = [(None, GENESIS_HASH)] * count
        for seq, (trigger, from_state, to_state, inputs) in enumerate(trail_of, start=1):
            values = []
            for n, record_id in enumerate(ids):
                row: dict[str, Any] = {
                    "record_kind": KIND,
                    "record_id": record_id,
                    "trigger": trigger,
                    "from_state": from_state,
                    "to_state": to_state,
                    "actor": ACTOR,
                    "at": at(seq - 1, n),
                    "inputs": inputs,
                    "comment": "",
                    "workflow_name": defn.name,
                    "workflow_version": defn.version,
                    "workflow_hash": defn.content_hash,
                    "seq": seq,
                    "prev_id": heads[n][0],
                    "prev_hash": heads[n][1],
                    "key_id": keys.active_id,
                }
                row["hash"] = keys.sign(trail.signed_content(row))
                values.append(row)
            written = session.scalars(
                insert(history).returning(history.c.id, sort_by_parameter_order=True), values
            ).all()
            heads = [(row_id, row["hash"]) for row_id, row in zip(written, values, strict=True)]
        uow.commit()
    trigger, _, _, inputs = next(step for step in CYCLE if step[1] == trail_of[-1][2])
    shared.fire(app.database, app.engine, KIND, ids[0], trigger, ACTOR, inputs)
    trail_service.seal(app, actor=ACTOR)
    return count, count * length + 1


def verifies(app: Services, rows: int, records: int) -> Callable[[int], None]:
    """``services.trail.verify`` of the whole trail, whatever n is; it must be intact."""

    def work(n: int) -> None:
        report = trail_service.verify(app)
        if report.problems or report.rows != rows or report.records < records:
            found = "\n      ".join(report.problems[:10])
            raise RuntimeError(
                f"verify found {len(report.problems)} problems in {report.rows} rows "
                f"({rows} written), {report.records} records ({records} written):\n      {found}"
            )

    return work


def reads(app: Services, rows: int) -> Callable[[int], None]:
    """The trail's rows read with one Core SELECT in chain order, streamed as verify reads."""
    h = cast(Table, HistoryEntry.__table__)
    query = (
        select(*(h.c[name] for name in trail.COLUMNS))
        .order_by(h.c.record_kind, h.c.record_id, h.c.seq)
        .execution_options(yield_per=2000)
    )

    def work(n: int) -> None:
        with app.database.reading() as session:
            read = sum(1 for _ in session.execute(query))
        if read != rows:
            raise RuntimeError(f"read {read} trail rows, {rows} written")

    return work


def bench_verify(app: Services, sizes: Sizes) -> tuple[Result, Callable[[int], None]]:
    started = perf_counter()
    records, rows = signed_trail(app, sizes.trail_rows, sizes.trail_chain)
    built = perf_counter() - started
    measured = verifies(app, rows, records)
    # Each call reads or verifies all `rows` whatever n it is given: n = rows gives rows/s.
    base_rate, meas_rate = best_rates(reads(app, rows), measured, rows, sizes.verify_rounds)
    best = rows / meas_rate  # seconds of the fastest verify
    scaled = best * 100_000 / rows
    result = Result(
        name="",
        title=f"services.trail.verify of {rows:,} trail rows vs reading them",
        unit="rows",
        baseline="Core SELECT of the rows, in chain order",
        baseline_rate=base_rate,
        measured="services.trail.verify (signatures, chains, seal, records)",
        measured_rate=meas_rate,
        target=VERIFY_TARGET,
        notes=(
            settings_note(app),
            f"{records:,} improvement actions x {sizes.trail_chain} signed rows (+1 fired by "
            f"the engine), sealed; written in {built:.1f} s, not timed; best of "
            f"{sizes.verify_rounds} interleaved rounds",
            f"verify took {best:.2f} s for {rows:,} rows; target: under 10 s for 100,000 rows "
            + (
                f"({'met' if best < 10 else 'MISSED'})"
                if rows >= 100_000
                else f"(a quick run: {scaled:.1f} s scaled to 100,000 rows)"
            ),
        ),
    )
    return result, measured
