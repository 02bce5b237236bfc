"""Every record against the replay of its own trail: its state is its last row's, its
version the number of its rows, and each field its rows set holds the last value they set
(clause 7.5.3).  Used by :mod:`qms.workflow.verify`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from qms.models import ENGINE_COLUMNS, RECORD_MODELS, Person, WorkflowVersion


class Found(Protocol):
    """Where the problems go (verify's report)."""

    records: int
    problems: list[str]


@dataclass
class ChainState:
    rows: dict[int, tuple[int, str]] = field(default_factory=dict)  # seq -> (id, hash)
    last: Row[Any] | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # columns its rows set, last wins
    data: dict[str, Any] = field(default_factory=dict)  # keys of ``data`` its rows set


@dataclass(frozen=True)
class Replay:
    """What a row's inputs set on its record: columns by kind, and for each stored
    workflow version (by hash) its triggers and every input name its transitions take."""

    columns: dict[str, frozenset[str]]
    triggers: dict[str, frozenset[str]]
    inputs: dict[str, frozenset[str]]

    @classmethod
    def load(cls, session: Session) -> Replay:
        columns = {
            kind: frozenset(c.name for c in cast(Table, model.__table__).columns)
            - ENGINE_COLUMNS
            - model.derived_fields
            for kind, model in RECORD_MODELS.items()
        }
        triggers: dict[str, frozenset[str]] = {}
        inputs: dict[str, frozenset[str]] = {}
        for version in session.scalars(select(WorkflowVersion)):
            transitions = version.definition.get("transitions", [])
            triggers[version.hash] = frozenset(t["trigger"] for t in transitions)
            inputs[version.hash] = frozenset(
                i["name"] for t in transitions for i in t.get("inputs", [])
            )
        return cls(columns, triggers, inputs)


def replay_row(row: Row[Any], state: ChainState, replay: Replay) -> None:
    """A transition sets every input on its record (a column, else a key of ``data``); an
    event that changes no state (an edit, a link) sets the columns and the fields its
    workflow's transitions could set, not its own notes (a team change's member)."""
    columns = replay.columns.get(row.record_kind, frozenset())
    transition = row.trigger in replay.triggers.get(row.workflow_hash, frozenset())
    fields = replay.inputs.get(row.workflow_hash, frozenset())
    for name, value in (row.inputs or {}).items():
        if name in columns:
            state.fields[name] = value
        elif transition or name in fields:
            state.data[name] = value


def check_records(
    session: Session, chains: dict[tuple[str, int], ChainState], replay: Replay, report: Found
) -> None:
    people = session.execute(select(Person.id, Person.handle))
    handles: dict[int, str] = {row.id: row.handle for row in people}
    seen: set[tuple[str, int]] = set()
    for kind, model in RECORD_MODELS.items():
        table = cast(Table, model.__table__)
        for record in session.execute(select(table)):
            report.records += 1
            seen.add((kind, record.id))
            chain = chains.get((kind, record.id))
            if chain is None or chain.last is None:
                report.problems.append(
                    f"{kind} #{record.id}: has no trail: it was written behind qms"
                )
                continue
            _check_record(kind, record, chain, handles, report)
            _check_data(kind, record, chain, replay.inputs.get(chain.last.workflow_hash), report)
    for kind, rid in sorted(set(chains) - seen):
        report.problems.append(f"{kind} #{rid}: has a trail but no record: the record was removed")


def _check_record(
    kind: str, record: Row[Any], chain: ChainState, handles: dict[int, str], report: Found
) -> None:
    assert chain.last is not None
    if record.version != len(chain.rows):
        report.problems.append(
            f"{kind} #{record.id}: version {record.version} in its table, but {len(chain.rows)} "
            "rows in its trail: it was changed without a trail row"
        )
    if record.state != chain.last.to_state:
        report.problems.append(
            f"{kind} #{record.id}: state is {record.state!r} in its table, "
            f"{chain.last.to_state!r} in its trail (trail row {chain.last.id})"
        )
    for name, value in sorted(chain.fields.items()):
        held = _comparable(record._mapping[name], isinstance(value, str), handles)
        if held != _comparable(value, False, handles):
            report.problems.append(
                f"{kind} #{record.id}: {name} is {held!r} in its table, {value!r} in its trail"
            )


def _check_data(
    kind: str,
    record: Row[Any],
    chain: ChainState,
    inputs: frozenset[str] | None,
    report: Found,
) -> None:
    data = record.data or {}
    for name, value in sorted(chain.data.items()):
        if _comparable(data.get(name), False, {}) != _comparable(value, False, {}):
            report.problems.append(
                f"{kind} #{record.id}: {name} is {data.get(name)!r} in its table, {value!r} "
                "in its trail"
            )
    for name in sorted(set(data) & (inputs or frozenset()) - set(chain.data)):
        report.problems.append(
            f"{kind} #{record.id}: {name} is {data[name]!r} in its table, but no trail row set it"
        )


def _comparable(value: Any, as_text: bool, handles: dict[int, str]) -> Any:
    """``value`` as a trail row states it: dates as text, people by handle, text stripped."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or not as_text:
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, int):
        return handles.get(value, str(value))
    return str(value).strip()
