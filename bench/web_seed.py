"""The web benchmark's institution: many years of improvement actions and nonconformities.

Written in bulk (never timed), as the engine would have written them:
each record in a state reached along its workflow, with the signed trail chain of every
step it took (``qms.workflow.trail``'s own signing, the first row holding what the record
was created with, each later row the inputs of its step, the record's version the length
of its trail and its fields and ``data`` what its trail gives, so ``qms trail verify``
finds nothing wrong).  Ids are given, not returned, so that the rows of a table go in
one COPY (PostgreSQL) or a few executemany (SQLite) on the unit of work's own connection;
PostgreSQL's sequences are then moved past them and its statistics gathered (ANALYZE, as
autovacuum soon would); SQLite is left as qms leaves it, without statistics.

Spread over the 25 processes (the example's 18 and review_bench's 7 more) and the
example's people: most records are closed (years of history), about 3 % of the actions
and 6 % of the nonconformities are open in every state of their workflow, with due dates
from three months past (overdue) to four months ahead.  Each nonconformity planned or
further on has its corrective action (an action record linked to it, in a matching state).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import JSON, Table, func, select
from sqlalchemy.orm import Session

from bench.review_bench import _processes
from qms.bootstrap import Services
from qms.models import (
    ENGINE_COLUMNS,
    GENESIS_HASH,
    HistoryEntry,
    ImprovementAction,
    Nonconformity,
    Person,
    Process,
    Role,
    WorkflowRecord,
)
from qms.services.processmap.queries import holders
from qms.workflow import trail
from qms.workflow.engine import CREATE_TRIGGER
from qms.workflow.inputs import jsonable

CHUNK = 5_000  # rows per executemany
QUALITY_MANAGER = "tbrunet"  # steps a process without a pilot (review_bench's) takes

# (trigger, from, to, inputs) of every step, by kind.
Step = tuple[str, str, str, dict[str, Any]]
ACTION_STEPS: dict[str, Step] = {
    "approve": ("approve", "proposed", "approved", {}),
    "start": ("start", "approved", "in_progress", {}),
    "complete": ("complete", "in_progress", "done", {"work_done": "Procedure updated, staff told"}),
    "check": ("check_effectiveness", "done", "effectiveness_check", {}),
    "close": (
        "close",
        "effectiveness_check",
        "closed",
        {"effectiveness_result": "effective", "effectiveness_evidence": "Three months clean"},
    ),
    "reject": ("reject", "proposed", "rejected", {"rejection_reason": "Already covered"}),
}
ACTION_PATHS = {
    "proposed": (),
    "approved": ("approve",),
    "in_progress": ("approve", "start"),
    "done": ("approve", "start", "complete"),
    "effectiveness_check": ("approve", "start", "complete", "check"),
    "closed": ("approve", "start", "complete", "check", "close"),
    "rejected": ("reject",),
}
CAUSES = ("people", "method", "material", "equipment", "measurement", "environment")
NC_STEPS: dict[str, Step] = {
    "contain": ("contain", "detected", "contained", {"containment": "Batch set aside"}),
    "analyse": (
        "analyse",
        "contained",
        "analysed",
        {
            "root_cause": "The check was not in the procedure",
            "cause_category": "method",  # replaced by the record's own
            "similar_nonconformities": "none",
            "corrective_action_needed": True,
        },
    ),
    "plan": ("plan_action", "analysed", "action_planned", {}),  # its action is on the register
    "implement": (
        "implement",
        "action_planned",
        "implemented",
        {"implementation_notes": "Actions done"},
    ),
    "check": (
        "check_effectiveness",
        "implemented",
        "effectiveness_verified",
        {"effectiveness_result": "effective", "effectiveness_evidence": "No repeat since"},
    ),
    "close": ("close", "effectiveness_verified", "closed", {}),
    "cancel": ("cancel", "detected", "cancelled", {"cancellation_reason": "A duplicate"}),
}
NC_PATHS = {
    "detected": (),
    "contained": ("contain",),
    "analysed": ("contain", "analyse"),
    "action_planned": ("contain", "analyse", "plan"),
    "implemented": ("contain", "analyse", "plan", "implement"),
    "effectiveness_verified": ("contain", "analyse", "plan", "implement", "check"),
    "closed": ("contain", "analyse", "plan", "implement", "check", "close"),
    "cancelled": ("cancel",),
}
# Out of 200 records: most closed, the rest open in every state.
ACTION_WEIGHTS = {
    "closed": 182,
    "rejected": 12,
    "proposed": 1,
    "approved": 1,
    "in_progress": 2,
    "done": 1,
    "effectiveness_check": 1,
}
NC_WEIGHTS = {
    "closed": 180,
    "cancelled": 8,
    "detected": 2,
    "contained": 2,
    "analysed": 2,
    "action_planned": 3,
    "implemented": 2,
    "effectiveness_verified": 1,
}
# A nonconformity's corrective action, in the state that goes with the nonconformity's.
LINKED_ACTION = {
    "action_planned": "in_progress",
    "implemented": "done",
    "effectiveness_verified": "closed",
    "closed": "closed",
}
TERMINAL = frozenset({"closed", "rejected", "cancelled"})
SUBJECTS = (
    "calibration of the lab balances",
    "late exam results",
    "supplier delivery checks",
    "internship agreements",
    "student complaints follow-up",
    "archive of signed minutes",
    "training records of new staff",
    "access to the clean room",
    "timetable changes notified late",
    "purchase orders without approval",
)


@dataclass(frozen=True)
class Seeded:
    actions: int
    nonconformities: int
    trail_rows: int
    open_actions: int
    open_nonconformities: int
    processes: int
    seconds: float
    pilot: str
    pilot_process: str  # the process the pilot pilots
    pilot_actions: list[int]  # ids of actions of the processes the pilot pilots or helps on

    def note(self) -> str:
        return (
            f"seed: {self.actions:,} actions ({self.open_actions:,} open), "
            f"{self.nonconformities:,} nonconformities ({self.open_nonconformities:,} open) "
            f"over {self.processes} processes, {self.trail_rows:,} signed trail rows; "
            f"written in {self.seconds:.0f} s, not timed"
        )


@dataclass
class Record:
    """One record as created, the steps it took, and how far apart in time."""

    values: dict[str, Any]  # its columns as created (``id`` given)
    steps: list[Step]
    created: datetime
    gap: timedelta  # between two steps
    actors: tuple[str, str]  # who creates and takes the steps, who carries out (owner)

    @property
    def is_open(self) -> bool:
        return not self.steps or self.steps[-1][2] not in TERMINAL


def states(weights: dict[str, int], count: int, rng: random.Random) -> list[str]:
    """``count`` states in the proportions of ``weights``, shuffled."""
    cycle = [state for state, weight in weights.items() for _ in range(weight)]
    found = [cycle[n % len(cycle)] for n in range(count)]
    rng.shuffle(found)
    return found


def _pilots(session: Session, today: date) -> dict[int, str]:
    return {
        h.process_id: h.person.handle
        for h in holders(session, today)
        if h.role == Role.PILOT and h.process_id is not None
    }


def _helped(session: Session, handle: str, today: date) -> list[int]:
    """The processes ``handle`` pilots or helps on that day."""
    return sorted(
        {
            h.process_id
            for h in holders(session, today)
            if h.person.handle == handle
            and h.process_id is not None
            and h.role in (Role.PILOT, Role.CORRESPONDENT)
        }
    )


def _next_id(session: Session, model: type[Any]) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _base(app: Services, session: Session, model: type[WorkflowRecord]) -> dict[str, Any]:
    defn = app.registry.for_kind(model.record_kind)
    app.registry.remember(session, defn, app.engine.clock)
    return {"workflow_name": defn.name, "workflow_hash": defn.content_hash, "data": {}}


def _when(state: str, terminal: bool, rng: random.Random, now: datetime) -> tuple[datetime, int]:
    """When a record was created, and the days between its steps: a closed one over the last
    ten years, an open one in the last hundred days."""
    if terminal:
        return now - timedelta(days=rng.uniform(60, 3650)), 7
    return now - timedelta(days=rng.uniform(15, 100), seconds=rng.uniform(0, 86_400)), 2


def nonconformities(
    app: Services,
    session: Session,
    count: int,
    processes: list[int],
    people: list[tuple[int, str]],
    pilots: dict[int, str],
    rng: random.Random,
) -> list[Record]:
    now = app.engine.clock.now()
    base, first = _base(app, session, Nonconformity), _next_id(session, Nonconformity)
    found = []
    for n, state in enumerate(states(NC_WEIGHTS, count, rng)):
        process = processes[n % len(processes)]
        person_id, handle = people[(n * 7) % len(people)]
        created, days = _when(state, state in ("closed", "cancelled"), rng, now)
        values = {
            **base,
            "id": first + n,
            "title": f"NC {n}: {SUBJECTS[n % len(SUBJECTS)]}",
            "process_id": process,
            "description": "Found during the daily checks; see the attached record.",
            "severity": ("minor", "minor", "major")[n % 3],
            "source": ("internal_audit", "complaint", "incident", "indicator_breach", "other")[
                n % 5
            ],
            "detected_on": created.date(),
            "detected_by_id": person_id,
            "cause_category": None,
            "is_repeat": False,
            "repeat_of_id": None,
        }
        steps = []
        for name in NC_PATHS[state]:
            step = NC_STEPS[name]
            if name == "analyse":
                step = (*step[:3], {**step[3], "cause_category": CAUSES[n % len(CAUSES)]})
            steps.append(step)
        actor = pilots.get(process, QUALITY_MANAGER)
        found.append(Record(values, steps, created, timedelta(days=days), (actor, handle)))
    return found


def actions(
    app: Services,
    session: Session,
    count: int,
    ncs: list[Record],
    processes: list[int],
    people: list[tuple[int, str]],
    pilots: dict[int, str],
    rng: random.Random,
) -> list[Record]:
    """``count`` actions; the first ones are the corrective actions of the nonconformities
    that have reached their plan."""
    now, today = app.engine.clock.now(), app.engine.today()
    base, first = _base(app, session, ImprovementAction), _next_id(session, ImprovementAction)
    linked = [nc for nc in ncs if nc.steps and nc.steps[-1][2] in LINKED_ACTION][:count]
    own = iter(states(ACTION_WEIGHTS, count - len(linked), rng))
    kinds = ("improvement", "preventive", "correction", "improvement")
    origins = ("suggestion", "audit_finding", "indicator_breach", "management_review")
    found = []
    for n in range(count):
        nc = linked[n] if n < len(linked) else None
        state = LINKED_ACTION[nc.steps[-1][2]] if nc is not None else next(own)
        process = nc.values["process_id"] if nc is not None else processes[n % len(processes)]
        owner_id, owner = people[(n * 11 + 3) % len(people)]
        terminal = state in ("closed", "rejected")
        if nc is not None:  # planned once its nonconformity was analysed
            created = nc.created + nc.gap * 3 - timedelta(hours=1)
            days = nc.gap.days
        else:
            created, days = _when(state, terminal, rng, now)
        due = (
            created.date() + timedelta(days=30 + n % 60)
            if terminal
            else today + timedelta(days=(n * 37) % 210 - 90)
        )
        values = {
            **base,
            "id": first + n,
            "title": f"Action {n}: {SUBJECTS[(n * 3) % len(SUBJECTS)]}",
            "process_id": process,
            "kind": "corrective" if nc is not None else kinds[n % len(kinds)],
            "description": "Change the procedure and tell the people concerned.",
            "owner_id": owner_id,
            "due_date": due,
            "priority": ("normal", "normal", "high", "low")[n % 4],
            "origin": "nonconformity" if nc is not None else origins[n % len(origins)],
            "origin_ref": "",
            "nonconformity_id": nc.values["id"] if nc is not None else None,
            "effectiveness_criteria": "No repeat in the next three months",
            "effectiveness_check_date": due + timedelta(days=90),
        }
        steps = [ACTION_STEPS[name] for name in ACTION_PATHS[state]]
        actor = pilots.get(process, QUALITY_MANAGER)
        found.append(Record(values, steps, created, timedelta(days=days), (actor, owner)))
    return found


def _created_with(values: dict[str, Any], model: type[WorkflowRecord]) -> dict[str, Any]:
    """What the engine's first trail row holds: the columns with a value (engine.py)."""
    skipped = ENGINE_COLUMNS | model.derived_fields
    table = cast(Table, model.__table__)
    return jsonable(
        {
            c.name: values[c.name]
            for c in table.columns
            if c.name not in skipped and values.get(c.name) not in (None, "")
        }
    )


def _finish(record: Record, model: type[WorkflowRecord], now: datetime) -> dict[str, Any]:
    """The record's row as its steps left it (state, version, fields, data, times)."""
    row, data = dict(record.values), {}
    columns = set(cast(Table, model.__table__).columns.keys()) - {"data", "state", "version", "id"}
    for _, _, _, inputs in record.steps:
        for name, value in inputs.items():
            if name in columns:
                row[name] = value
            else:
                data[name] = value
    row["state"] = record.steps[-1][2] if record.steps else _initial(model)
    row["version"] = len(record.steps) + 1
    row["data"] = data
    row["created_at"] = record.created
    row["updated_at"] = min(now, record.created + record.gap * len(record.steps))
    return row


def _initial(model: type[WorkflowRecord]) -> str:
    return "proposed" if model is ImprovementAction else "detected"


def _trail_rows(
    app: Services, records: Sequence[Record], model: type[WorkflowRecord], first_id: int
) -> Iterator[dict[str, Any]]:
    """Every record's chain, signed; row ids from ``first_id`` on."""
    defn, keys, now = (
        app.registry.for_kind(model.record_kind),
        app.engine.keys,
        app.engine.clock.now(),
    )
    kind, key_id, next_id = model.record_kind, keys.active_id, first_id
    common = {
        "record_kind": kind,
        "comment": "",
        "workflow_name": defn.name,
        "workflow_version": defn.version,
        "workflow_hash": defn.content_hash,
        "key_id": key_id,
    }
    for record in records:
        prev_id, prev_hash = None, GENESIS_HASH
        chain = [(CREATE_TRIGGER, None, _initial(model), _created_with(record.values, model))]
        chain += record.steps
        for seq, (trigger, from_state, to_state, inputs) in enumerate(chain, start=1):
            at = min(now, record.created + record.gap * (seq - 1))
            actor = record.actors[1] if trigger in ("start", "complete") else record.actors[0]
            row: dict[str, Any] = {
                **common,
                "id": next_id,
                "record_id": record.values["id"],
                "trigger": trigger,
                "from_state": from_state,
                "to_state": to_state,
                "actor": actor,
                "at": at - timedelta(microseconds=len(chain) - seq),
                "inputs": inputs,
                "seq": seq,
                "prev_id": prev_id,
                "prev_hash": prev_hash,
            }
            row["hash"] = keys.sign(trail.signed_content(row))
            prev_id, prev_hash, next_id = next_id, row["hash"], next_id + 1
            yield row


def _write(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Rows into ``table`` in bulk, on the session's connection and transaction: COPY on
    PostgreSQL, one executemany of SQLAlchemy's own bind processing on SQLite (SQLAlchemy's
    INSERT of many rows spends most of its time on each row's parameters)."""
    connection = session.connection()
    dialect, raw = connection.dialect, connection.connection.dbapi_connection
    assert raw is not None
    columns = list(table.columns)
    names = ", ".join(c.name for c in columns)
    written = 0
    if dialect.name == "postgresql":
        as_json = {c.name for c in columns if isinstance(c.type, JSON)}
        copying = f"COPY {table.name} ({names}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copying) as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c.name]) if c.name in as_json else row[c.name] for c in columns]
                )
                written += 1
        return written
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - the table's own names
    cursor = raw.cursor()
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(
            [
                value if process is None or value is None else process(value)
                for process, value in zip(processors, (row[c.name] for c in columns), strict=True)
            ]
        )
        if len(batch) == CHUNK:
            cursor.executemany(statement, batch)
            written, batch = written + len(batch), []
    if batch:
        cursor.executemany(statement, batch)
        written += len(batch)
    cursor.close()
    return written


def seed(app: Services, n_actions: int, n_ncs: int, pilot: str) -> Seeded:
    """The institution's records and their trails (see the module's docstring)."""
    started = time.perf_counter()
    rng = random.Random(20261201)  # noqa: S311 - the same made-up institution every run
    today, now = app.engine.today(), app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        session = uow.session
        processes = _processes(session)
        everyone = select(Person.id, Person.handle).order_by(Person.id)
        people = [tuple(row) for row in session.execute(everyone)]
        pilots = _pilots(session, today)
        ncs = nonconformities(app, session, n_ncs, processes, people, pilots, rng)  # type: ignore[arg-type]
        acts = actions(app, session, n_actions, ncs, processes, people, pilots, rng)  # type: ignore[arg-type]
        history = cast(Table, HistoryEntry.__table__)
        rows = 0
        for model, records in ((Nonconformity, ncs), (ImprovementAction, acts)):
            table = cast(Table, model.__table__)
            _write(session, table, [_finish(r, model, now) for r in records])
            first = _next_id(session, HistoryEntry)
            rows += _write(session, history, _trail_rows(app, records, model, first))
        if not app.database.is_sqlite:  # the ids were given: move the sequences past them
            for model in (Nonconformity, ImprovementAction, HistoryEntry):
                table = cast(Table, model.__table__)
                sequence = func.pg_get_serial_sequence(table.name, "id")
                session.execute(
                    select(func.setval(sequence, select(func.max(table.c.id)).scalar_subquery()))
                )
        helped = _helped(session, pilot, today)
        mine = list(
            session.scalars(
                select(ImprovementAction.id).where(ImprovementAction.process_id.in_(helped))
            )
        )
        piloted = [process for process, handle in pilots.items() if handle == pilot]
        pilot_process = session.scalar(
            select(Process.code).where(Process.id.in_(piloted)).order_by(Process.code)
        )
        uow.commit()
    if not app.database.is_sqlite:  # what autovacuum does soon after a bulk load
        with app.database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return Seeded(
        actions=len(acts),
        nonconformities=len(ncs),
        trail_rows=rows,
        open_actions=sum(1 for r in acts if r.is_open),
        open_nonconformities=sum(1 for r in ncs if r.is_open),
        processes=len(processes),
        seconds=time.perf_counter() - started,
        pilot=pilot,
        pilot_process=pilot_process or "",
        pilot_actions=mine,
    )
