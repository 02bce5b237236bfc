"""The register pages: one page of a register as far as the reader's roles let them see it
(``services/visibility.py``). The database filters, counts, sorts and pages, in one query
for the rows and one for the count, so that a page costs the same with 100 actions or
100,000.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from qms.models import ImprovementAction, MacroProcess, Nonconformity, Person, Process
from qms.services.capa.queries import Filters, _action_where, _days_overdue, _nc_where
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK, Priority
from qms.services.visibility import Scope

ACTION_SORTS = ("id", "title", "process", "owner", "state", "due", "priority", "origin")
NC_SORTS = ("id", "title", "process", "severity", "source", "detected", "state", "actions")
PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH)
T = TypeVar("T")
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Listing:
    """Which rows of a register, in which order; ``sort`` is one of its ``*_SORTS``."""

    sort: str
    descending: bool = False
    limit: int | None = 50  # None: every row (an export)
    offset: int = 0
    states: Sequence[str] = ()  # the workflow's states in its order: how "state" sorts
    grades: Sequence[str] = ()  # the severity grades, most severe first


@dataclass(frozen=True)
class ActionLine:
    id: int
    title: str
    process: str
    state: str
    owner: str | None  # handle
    owner_name: str | None
    due_date: date | None
    priority: str
    origin: str
    kind: str
    days_overdue: int


@dataclass(frozen=True)
class NonconformityLine:
    id: int
    title: str
    process: str
    state: str
    severity: str
    source: str
    detected_on: date | None
    actions: int  # its corrective actions
    days_overdue: int


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int  # the rows the filters match, all pages together


@dataclass(frozen=True)
class Choices:
    """What the filters of a register may name, for someone who sees ``scope``."""

    processes: list[tuple[str, str, str]]  # (code, name, macro-process code), map order
    macro_processes: list[tuple[str, str]]
    owners: list[tuple[str, str]]  # (handle, name) of the owners of the actions seen


def action_page(
    session: Session, filters: Filters, today: date, scope: Scope, listing: Listing
) -> Page[ActionLine]:
    a, owner = ImprovementAction, aliased(Person)
    by_process = (Process, a.process_id == Process.id, False)
    sorts: dict[str, Any] = {
        "id": a.id,
        "title": func.lower(a.title),
        "process": (Process.code, by_process),
        "owner": (owner.name, (owner, a.owner_id == owner.id, True)),
        "state": _ranked(a.state, listing.states),
        "due": a.due_date,
        "priority": _ranked(a.priority, PRIORITY_ORDER),
        "origin": a.origin,
    }
    where = [*_action_where(filters, today), *_sees_actions(scope)]
    columns = (a.id, a.title, Process.code, a.state, owner.handle, owner.name, a.due_date,
               a.priority, a.origin, a.kind)  # fmt: skip
    query = _joined(select(*columns), by_process, (owner, a.owner_id == owner.id, True))
    rows = [
        _line(ActionLine, row, _days_overdue(row[6], row[3], ACTION_OPEN_WORK, today))
        for row in session.execute(_paged(query, a.id, where, sorts, listing))
    ]
    return Page(rows, _total(session, a.id, where, rows, listing))


def nonconformity_page(
    session: Session, filters: Filters, today: date, scope: Scope, listing: Listing
) -> Page[NonconformityLine]:
    n, linked = Nonconformity, aliased(ImprovementAction)
    actions = select(func.count(linked.id)).where(linked.nonconformity_id == n.id)
    count = actions.scalar_subquery()
    by_process = (Process, n.process_id == Process.id, False)
    sorts: dict[str, Any] = {
        "id": n.id,
        "title": func.lower(n.title),
        "process": (Process.code, by_process),
        "severity": _ranked(n.severity, listing.grades),
        "source": n.source,
        "detected": n.detected_on,
        "state": _ranked(n.state, listing.states),
        "actions": count,
    }
    where = [*_nc_where(filters, today), *_sees_nonconformities(scope)]
    columns = (n.id, n.title, Process.code, n.state, n.severity, n.source, n.detected_on, count)
    query = _joined(select(*columns, n.action_due_date), by_process)
    rows = [
        _line(NonconformityLine, row[:8], _days_overdue(row[8], row[3], NC_OPEN_WORK, today))
        for row in session.execute(_paged(query, n.id, where, sorts, listing))
    ]
    return Page(rows, _total(session, n.id, where, rows, listing))


def register_choices(session: Session, scope: Scope) -> Choices:
    """The processes seen in full (every one, for whoever sees everything) and their
    macro-processes, and the people who own an action seen."""
    processes = session.execute(
        select(Process.code, Process.name, MacroProcess.code, MacroProcess.name)
        .join(MacroProcess, Process.macro_process_id == MacroProcess.id)
        .where(*([] if scope.everything else [Process.id.in_(sorted(scope.process_ids))]))
        .order_by(MacroProcess.position, MacroProcess.code, Process.position, Process.code)
    ).all()
    a = ImprovementAction
    owned = (  # read from the owner index for everyone; from the process one otherwise
        exists().where(a.owner_id == Person.id)
        if scope.everything
        else Person.id.in_(select(a.owner_id).where(*_sees_actions(scope)))
    )
    owners = session.execute(
        select(Person.handle, Person.name).where(owned).order_by(Person.name, Person.handle)
    ).all()
    return Choices(
        [(row[0], row[1], row[2]) for row in processes],
        list(dict.fromkeys((row[2], row[3]) for row in processes)),
        [(row[0], row[1]) for row in owners],
    )


def _line(kind: Callable[..., T], columns: Any, days_overdue: int) -> T:
    return kind(*columns, days_overdue)


def _sees_actions(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.everything:
        return []
    mine = ImprovementAction.owner_id == scope.person_id
    return [or_(ImprovementAction.process_id.in_(sorted(scope.process_ids)), mine)]


def _sees_nonconformities(scope: Scope) -> list[ColumnElement[bool]]:
    return [] if scope.everything else [Nonconformity.process_id.in_(sorted(scope.process_ids))]


def _joined(query: AnySelect, *joins: tuple[Any, ColumnElement[bool], bool]) -> AnySelect:
    """``query`` with each (table, on, outer) join."""
    for table, on, outer in joins:
        query = query.outerjoin(table, on) if outer else query.join(table, on)
    return query


def _ranked(column: Any, order: Sequence[str]) -> ColumnElement[Any]:
    """``column`` sorted in ``order`` (a value not in it last), or by itself without one."""
    if not order:
        return column  # type: ignore[no-any-return]
    return case({value: rank for rank, value in enumerate(order)}, value=column, else_=len(order))


def _paged(
    query: AnySelect,
    key: Any,
    where: list[ColumnElement[bool]],
    sorts: dict[str, Any],
    listing: Listing,
) -> AnySelect:
    """``query`` sorted by ``listing.sort`` (empty values last either way), then by
    ``key``. A page is chosen first among the keys alone (the filters read the record's own
    columns and indexes; a sort by another table's column joins that table alone), and only
    its rows are joined to what they show. A sort is a column, or (column, join)."""
    if listing.sort not in sorts:
        raise ValueError(f"unknown sort {listing.sort!r} (one of {', '.join(sorts)})")
    sort = sorts[listing.sort]
    by, joins = sort if isinstance(sort, tuple) else (sort, None)
    order = [
        (by.desc() if listing.descending else by.asc()).nulls_last(),
        *([] if by is key else [key.desc() if listing.descending else key.asc()]),
    ]
    if listing.limit is None:
        return query.where(*where).order_by(*order)
    page = _joined(select(key), *([joins] if joins else [])).where(*where)
    page = page.order_by(*order).limit(listing.limit)
    page = page.offset(listing.offset or None)
    return query.where(key.in_(page)).order_by(*order)


def _total(
    session: Session,
    key: Any,
    where: list[ColumnElement[bool]],
    rows: list[Any],
    listing: Listing,
) -> int:
    """The rows the filters match: counted, unless the rows read show it (every row, the
    last page, or none at all on the first)."""
    if listing.limit is None or 0 < len(rows) < listing.limit or not (rows or listing.offset):
        return listing.offset + len(rows)
    return int(session.scalar(select(func.count(key)).where(*where)) or 0)
