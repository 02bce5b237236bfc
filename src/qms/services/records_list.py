"""Records of any kind, a page at a time, as far as the reader's roles let them see them
(:mod:`qms.services.visibility`): the API's list of records (``GET /api/v1/records/{kind}``).

Newest first (by id), filtered by process, states, owner, overdue and a period; a page is
``limit`` rows after ``offset`` rows, or after the id a previous page ended on (``after``:
a keyset, whose pages hold still while records are added). Nonconformities and actions are
filtered exactly as their registers are (:mod:`qms.services.capa.queries`). One query for
the rows, one for the count. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, null, or_, select
from sqlalchemy.orm import Session, aliased

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import ImprovementAction, Person, Process, WorkflowRecord
from qms.services import shared, visibility
from qms.services.capa.queries import Filters, _action_where, _nc_where

OWNERS = {  # the person a kind of record is "owned" by, for the owner filter
    "improvement_action": "owner_id",
    "nonconformity": "detected_by_id",
    "internal_audit": "lead_auditor_id",
}
MOST = 200  # rows of a page at most


@dataclass(frozen=True)
class Query:
    process: str | None = None
    states: tuple[str, ...] = ()
    owner: str | None = None
    overdue: bool = False
    since: date | None = None  # nonconformities: detected on or after; others: created
    until: date | None = None
    limit: int = 50
    offset: int = 0
    after: int | None = None  # the last id of the previous page (then no offset)


@dataclass(frozen=True)
class Line:
    kind: str
    id: int
    title: str
    state: str
    version: int
    process: str | None
    owner: str | None  # a handle
    due_date: date | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Found:
    lines: list[Line]
    total: int
    more: bool  # a page follows this one


def records(app: Services, kind: str, handle: str, query: Query) -> Found:
    model = shared.model_for(kind)
    if not 1 <= query.limit <= MOST:
        raise ValidationError("limit", f"{query.limit}: from 1 to {MOST} rows a page")
    today = app.engine.today()
    with app.database.reading() as session:
        reader = shared.person(session, handle, "actor")
        scope = visibility.scope(session, reader, today)
        where = _where(app, session, model, query, today) + _seen(model, scope)
        owner = aliased(Person)
        by = getattr(model, OWNERS[kind]) if kind in OWNERS else None
        due: Any = getattr(model, "due_date", None) or getattr(model, "action_due_date", None)
        columns = (
            model.id,
            model.title,
            model.state,
            model.version,
            Process.code,
            owner.handle if by is not None else None,
            due,
            model.created_at,
            model.updated_at,
        )
        rows = (
            select(*(null() if c is None else c for c in columns))
            .outerjoin(Process, model.process_id == Process.id)
            .where(*where)
        )
        if by is not None:
            rows = rows.outerjoin(owner, by == owner.id)
        if query.after is not None:
            rows = rows.where(model.id < query.after)
        rows = rows.order_by(model.id.desc()).limit(query.limit + 1)
        if query.after is None and query.offset:
            rows = rows.offset(query.offset)
        found = [Line(kind, *row) for row in session.execute(rows)]
        total = session.scalar(select(func.count(model.id)).where(*where)) or 0
    return Found(found[: query.limit], int(total), len(found) > query.limit)


def _where(
    app: Services, session: Session, model: type[WorkflowRecord], query: Query, today: date
) -> list[ColumnElement[bool]]:
    kind = model.record_kind
    if query.process:
        shared.looked_up("process", query.process)
        if session.scalar(select(Process.id).where(Process.code == query.process)) is None:
            raise ValidationError("process", f"unknown process '{query.process}'")
    if query.owner:
        if kind not in OWNERS:
            raise ValidationError("owner", f"{kind} records have no owner to filter on")
        shared.person(session, query.owner, "owner")
    states = app.registry.for_kind(kind).states
    for state in query.states:
        if state not in states:
            raise ValidationError(
                "state",
                f"'{state[:60]}' is not a state of {kind} (its states: {', '.join(states)})",
            )
    if query.overdue and kind not in ("improvement_action", "nonconformity"):
        raise ValidationError("overdue", f"{kind} records have no due date")
    if query.since and query.until and query.until < query.since:
        raise ValidationError("until", f"{query.until} is before since {query.since}")
    filters = Filters(
        process=query.process or None,
        owner=query.owner or None,
        states=query.states,
        overdue=query.overdue,
        since=query.since,
        until=query.until,
    )
    if kind == "improvement_action":
        return _action_where(filters, today)
    if kind == "nonconformity":
        return _nc_where(filters, today)
    return _generic(model, filters)


def _generic(model: type[WorkflowRecord], filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.process:
        process = select(Process.id).where(Process.code == filters.process).scalar_subquery()
        where.append(model.process_id == process)
    if filters.owner:
        owner = select(Person.id).where(Person.handle == filters.owner).scalar_subquery()
        where.append(getattr(model, OWNERS[model.record_kind]) == owner)
    if filters.states:
        where.append(model.state.in_(filters.states))
    if filters.since:
        where.append(model.created_at >= _midnight(filters.since))
    if filters.until:
        where.append(model.created_at < _midnight(filters.until + timedelta(days=1)))
    return where


def _seen(model: type[WorkflowRecord], scope: visibility.Scope) -> list[ColumnElement[bool]]:
    """What the reader sees: every record, or those of their processes (and, for actions,
    those they own wherever they are)."""
    if scope.everything:
        return []
    mine = model.process_id.in_(sorted(scope.process_ids))
    if model is ImprovementAction:
        return [or_(mine, ImprovementAction.owner_id == scope.person_id)]
    return [mine]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
