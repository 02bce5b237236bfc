"""The improvement register (clause 10.3): filtered lists of actions and nonconformities.

Each list is one query (the process, macro-process and people joined in), sorted the
way a pilot reads it: actions by due date, nonconformities newest first.
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


def _scope(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.process:
        conditions.append(Process.code == filters.process)
    if filters.macro_process:
        conditions.append(MacroProcess.code == filters.macro_process)
    return conditions


def actions(session: Session, filters: Filters, today: date) -> list[ActionRow]:
    owner = aliased(Person)
    where = _scope(filters)
    if filters.owner:
        where.append(owner.handle == filters.owner)
    if filters.states:
        where.append(ImprovementAction.state.in_(filters.states))
    if filters.origin:
        where.append(ImprovementAction.origin == filters.origin)
    if filters.since:
        where.append(ImprovementAction.created_at >= _midnight(filters.since))
    if filters.until:
        where.append(ImprovementAction.created_at < _midnight(filters.until + timedelta(days=1)))
    if filters.overdue:
        where.append(ImprovementAction.due_date < today)
        where.append(ImprovementAction.state.in_(ACTION_OPEN_WORK))
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
    detector = aliased(Person)
    where = _scope(filters)
    if filters.owner:
        where.append(detector.handle == filters.owner)
    if filters.states:
        where.append(Nonconformity.state.in_(filters.states))
    if filters.origin:
        where.append(Nonconformity.source == filters.origin)
    if filters.since:
        where.append(Nonconformity.detected_on >= filters.since)
    if filters.until:
        where.append(Nonconformity.detected_on <= filters.until)
    if filters.overdue:
        where.append(Nonconformity.action_due_date < today)
        where.append(Nonconformity.state.in_(NC_OPEN_WORK))
    query = (
        select(Nonconformity, Process.code, MacroProcess.code)
        .join(Process, Nonconformity.process_id == Process.id)
        .join(MacroProcess, Process.macro_process_id == MacroProcess.id)
        .outerjoin(detector, Nonconformity.detected_by_id == detector.id)
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
