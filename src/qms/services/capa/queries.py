"""The improvement register (clause 10.3): filtered lists of actions and nonconformities.

Each list is one query (the process, macro-process and people joined in), sorted the
way a pilot reads it: actions by due date, nonconformities newest first.
The register pages (one page of a register, as far as the reader may see it) are in
:mod:`qms.services.capa.register_pages`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from qms.models import ImprovementAction, MacroProcess, Nonconformity, Person, Process
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK


@dataclass(frozen=True)
class Filters:
    process: str | None = None
    macro_process: str | None = None
    owner: str | None = None
    states: tuple[str, ...] = ()
    overdue: bool = False
    origin: str | None = None  # actions: origin; nonconformities: source
    since: date | None = None  # actions: created on or after; nonconformities: detected
    until: date | None = None


@dataclass(frozen=True)
class ActionRow:
    id: int
    title: str
    process: str
    macro_process: str
    kind: str
    state: str
    owner: str | None
    due_date: date | None
    priority: str
    origin: str
    days_overdue: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NonconformityRow:
    id: int
    title: str
    process: str
    macro_process: str
    state: str
    severity: str
    source: str
    detected_on: date | None
    cause_category: str | None
    is_repeat: bool
    action_due_date: date | None
    days_overdue: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _days_overdue(due: date | None, state: str, open_work: tuple[str, ...], today: date) -> int:
    if due is None or state not in open_work or due >= today:
        return 0
    return (today - due).days


def _subject(filters: Filters, record: Any, person_id: Any) -> list[ColumnElement[bool]]:
    """The process, macro-process and person filters, as conditions on the record's own
    columns (no join needed: a count reads the indexes alone). A process and a person are
    one row each (unique code, unique handle): compared with ``=``, so that the database
    reads the index on (process, state, ...) rather than the whole state."""
    where: list[ColumnElement[bool]] = []
    if filters.process:
        process = select(Process.id).where(Process.code == filters.process)
        where.append(record.process_id == process.scalar_subquery())
    if filters.macro_process:
        macro = select(Process.id).join(MacroProcess, Process.macro_process_id == MacroProcess.id)
        where.append(record.process_id.in_(macro.where(MacroProcess.code == filters.macro_process)))
    if filters.owner:
        owner = select(Person.id).where(Person.handle == filters.owner)
        where.append(person_id == owner.scalar_subquery())
    return where


def _action_where(filters: Filters, today: date) -> list[ColumnElement[bool]]:
    a = ImprovementAction
    where = _subject(filters, a, a.owner_id)
    if filters.states:
        where.append(a.state.in_(filters.states))
    if filters.origin:
        where.append(a.origin == filters.origin)
    if filters.since:
        where.append(a.created_at >= _midnight(filters.since))
    if filters.until:
        where.append(a.created_at < _midnight(filters.until + timedelta(days=1)))
    if filters.overdue:
        where.extend((a.due_date < today, a.state.in_(ACTION_OPEN_WORK)))
    return where


def _nc_where(filters: Filters, today: date) -> list[ColumnElement[bool]]:
    n = Nonconformity
    where = _subject(filters, n, n.detected_by_id)
    if filters.states:
        where.append(n.state.in_(filters.states))
    if filters.origin:
        where.append(n.source == filters.origin)
    if filters.since:
        where.append(n.detected_on >= filters.since)
    if filters.until:
        where.append(n.detected_on <= filters.until)
    if filters.overdue:
        # its earliest open action's due date has passed: one pass over the actions' index
        a = ImprovementAction
        late = select(a.nonconformity_id).where(a.state.in_(ACTION_OPEN_WORK), a.due_date < today)
        where.extend((n.id.in_(late), n.state.in_(NC_OPEN_WORK)))
    return where


def actions(session: Session, filters: Filters, today: date) -> list[ActionRow]:
    owner = aliased(Person)
    where = _action_where(filters, today)
    query = (
        select(ImprovementAction, Process.code, MacroProcess.code, owner.handle)
        .join(Process, ImprovementAction.process_id == Process.id)
        .join(MacroProcess, Process.macro_process_id == MacroProcess.id)
        .outerjoin(owner, ImprovementAction.owner_id == owner.id)
        .where(*where)
        .order_by(
            ImprovementAction.due_date.is_(None), ImprovementAction.due_date, ImprovementAction.id
        )
    )
    return [
        ActionRow(
            a.id,
            a.title,
            code,
            macro,
            a.kind,
            a.state,
            handle,
            a.due_date,
            a.priority,
            a.origin,
            _days_overdue(a.due_date, a.state, ACTION_OPEN_WORK, today),
        )
        for a, code, macro, handle in session.execute(query)
    ]


def nonconformities(session: Session, filters: Filters, today: date) -> list[NonconformityRow]:
    where = _nc_where(filters, today)
    query = (
        select(Nonconformity, Process.code, MacroProcess.code)
        .join(Process, Nonconformity.process_id == Process.id)
        .join(MacroProcess, Process.macro_process_id == MacroProcess.id)
        .where(*where)
        .order_by(Nonconformity.detected_on.desc(), Nonconformity.id.desc())
    )
    return [
        NonconformityRow(
            n.id,
            n.title,
            code,
            macro,
            n.state,
            n.severity,
            n.source,
            n.detected_on,
            n.cause_category,
            n.is_repeat,
            n.action_due_date,
            _days_overdue(n.action_due_date, n.state, NC_OPEN_WORK, today),
        )
        for n, code, macro in session.execute(query)
    ]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
