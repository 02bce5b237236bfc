"""What the process map's pages show a person on a day (clauses 4.4, 5.3): the tree with
each process's people and open work, one process in full, one person's roles.

The map itself (processes, who pilots and helps on each) is shown to everyone: it is how
the institution tells its staff who is responsible for what.  The records of a process
(its open work, indicators, audits, reviews, a person's actions) only to those whose
roles let them see that process (:mod:`qms.services.visibility`); elsewhere they are left
out, never counted.  Everything is read in a fixed number of queries, whatever the size of
the map.  People are named, states and roles given by their labels.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import local_today
from qms.errors import NotFound
from qms.models import (
    ImprovementAction,
    Nonconformity,
    Person,
    Process,
    Role,
    RoleAssignment,
)
from qms.reporting.words import Words, words_for
from qms.services import shared
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.processmap import queries
from qms.services.visibility import Scope, scope
from qms.workflow.registry import Registry


@dataclass(frozen=True)
class Named:
    handle: str
    name: str


@dataclass(frozen=True)
class OpenWork:
    """What is still being worked on in a process: records in a state that is not an end."""

    nonconformities: int = 0
    actions: int = 0
    overdue_actions: int = 0


@dataclass(frozen=True)
class ProcessNode:
    code: str
    name: str
    people: dict[Role, list[Named]]  # pilot, correspondents, contributors that day
    work: OpenWork | None  # None: the reader's roles do not let them see its records

    @property
    def pilots(self) -> list[Named]:
        return self.people.get(Role.PILOT, [])

    @property
    def correspondents(self) -> list[Named]:
        return self.people.get(Role.CORRESPONDENT, [])


@dataclass(frozen=True)
class MacroNode:
    code: str
    name: str
    processes: list[ProcessNode]


@dataclass(frozen=True)
class ProcessMap:
    organisation: str | None
    on: date
    macros: list[MacroNode]
    institution: dict[Role, list[Named]]  # directors, quality managers, auditors
    open_states: dict[str, tuple[str, ...]]  # record kind -> its states that are not an end


def today_of(app: Services, today: date | None = None) -> date:
    return today or local_today(app.engine.clock, app.settings.zone)


def open_states(registry: Registry, kind: str) -> tuple[str, ...]:
    """The states of ``kind`` that are not an end, in file order."""
    definition = registry.for_kind(kind)
    return tuple(s.name for s in definition.states.values() if not s.terminal)


def process_map(app: Services, reader: str, today: date | None = None) -> ProcessMap:
    """The macro-processes and their processes in force on ``today``, each with its people
    and, where ``reader`` may see its records, its open work."""
    today = today_of(app, today)
    states = {k: open_states(app.registry, k) for k in ("nonconformity", "improvement_action")}
    with app.database.reading() as session:
        seen = scope(session, shared.person(session, reader), today)
        people = _people(session, today)
        work = _open_work(session, states, today)
        macros = [
            MacroNode(
                macro.code,
                macro.name,
                [
                    _node(p, people.get(p.id, {}), work, seen)
                    for p in macro.processes
                    if p.retired_on is None or p.retired_on > today
                ],
            )
            for macro in queries.tree(session)
        ]
        organisation = queries.overview(session, today).organisation
    return ProcessMap(organisation, today, macros, people.get(None, {}), states)


def _node(
    process: Process,
    people: dict[Role, list[Named]],
    work: dict[int, OpenWork],
    seen: Scope,
) -> ProcessNode:
    shown = work.get(process.id, OpenWork()) if seen.sees_process(process.id) else None
    return ProcessNode(process.code, process.name, people, shown)


def _people(session: Session, today: date) -> dict[int | None, dict[Role, list[Named]]]:
    """Who holds which role on each process (None: the whole institution) that day."""
    found: dict[int | None, dict[Role, list[Named]]] = defaultdict(lambda: defaultdict(list))
    for held in sorted(queries.holders(session, today), key=lambda a: a.person.name):
        found[held.process_id][held.role].append(Named(held.person.handle, held.person.name))
    return found


def _open_work(
    session: Session, states: dict[str, tuple[str, ...]], today: date
) -> dict[int, OpenWork]:
    """Open nonconformities, open and overdue actions of every process, in two queries
    (overdue as the register reads it: due before today and still being worked on)."""
    nc = dict(
        session.execute(
            select(Nonconformity.process_id, func.count())
            .where(Nonconformity.state.in_(states["nonconformity"]))
            .group_by(Nonconformity.process_id)
        ).all()
    )
    a = ImprovementAction
    late = case((a.due_date < today, 1), else_=0)
    overdue = func.sum(case((a.state.in_(ACTION_OPEN_WORK), late), else_=0))
    rows = session.execute(
        select(a.process_id, func.count(), overdue)
        .where(a.state.in_(states["improvement_action"]))
        .group_by(a.process_id)
    ).all()
    actions = {pid: (count, int(late_count or 0)) for pid, count, late_count in rows}
    return {
        pid: OpenWork(nc.get(pid, 0), *actions.get(pid, (0, 0)))
        for pid in {*nc, *actions}
        if pid is not None
    }


@dataclass(frozen=True)
class Assignment:
    role: Role
    role_label: str
    process: str | None  # code, None for an institution-wide role
    process_name: str | None
    valid_from: date
    valid_to: date | None  # the first day it no longer holds
    current: bool

    @property
    def last_day(self) -> date | None:
        """The last day the role was held (None: no end is set)."""
        return self.valid_to - timedelta(days=1) if self.valid_to else None


@dataclass(frozen=True)
class ActionLine:
    id: int
    title: str
    process: str
    state: str
    state_label: str
    due: date | None
    days_late: int


@dataclass(frozen=True)
class PersonPage:
    handle: str
    name: str
    email: str
    inactive_from: date | None
    active: bool
    on: date
    today: list[Assignment]
    history: list[Assignment]  # every assignment, the latest first
    actions: list[ActionLine]  # their open actions the reader may see
    hidden_actions: bool = False  # some were left out: the reader may not see them


def person_page(app: Services, reader: str, handle: str, today: date | None = None) -> PersonPage:
    """``handle``'s roles on ``today`` and over time, and their open actions."""
    today = today_of(app, today)
    with app.database.reading() as session:
        person = session.scalar(select(Person).where(Person.handle == handle))
        if person is None:
            raise NotFound(f"no person '{handle}' in the process map")
        seen = scope(session, shared.person(session, reader), today)
        words = words_for(session, app.registry)
        history = _assignments(session, person, today, words)
        actions = _actions(session, app.registry, person, today, words)
    visible = [a for a, process_id in actions if seen.sees_action(process_id, person.id)]
    return PersonPage(
        person.handle,
        person.name,
        person.email,
        person.inactive_from,
        person.active_on(today),
        today,
        [a for a in history if a.current],
        history,
        visible,
        hidden_actions=len(visible) < len(actions),
    )


def _assignments(session: Session, person: Person, today: date, words: Words) -> list[Assignment]:
    rows = session.execute(
        select(RoleAssignment, Process.code, Process.name)
        .outerjoin(Process, RoleAssignment.process_id == Process.id)
        .where(RoleAssignment.person_id == person.id)
        .order_by(RoleAssignment.valid_from.desc(), RoleAssignment.id.desc())
    ).all()
    active = person.active_on(today)
    return [
        Assignment(
            held.role,
            words.term("role", held.role.value),
            code,
            name,
            held.valid_from,
            held.valid_to,
            active and held.holds_on(today),
        )
        for held, code, name in rows
    ]


def _actions(
    session: Session, registry: Registry, person: Person, today: date, words: Words
) -> list[tuple[ActionLine, int | None]]:
    """The actions ``person`` owns that are not closed, by due date, with their process."""
    a = ImprovementAction
    rows = session.execute(
        select(a, Process.code)
        .join(Process, a.process_id == Process.id)
        .where(a.owner_id == person.id, a.state.in_(open_states(registry, a.record_kind)))
        .order_by(a.due_date.is_(None), a.due_date, a.id)
    ).all()
    return [(_action_line(action, code, today, words), action.process_id) for action, code in rows]


def _action_line(action: ImprovementAction, code: str, today: date, words: Words) -> ActionLine:
    late = action.state in ACTION_OPEN_WORK and action.due_date is not None
    days = (today - action.due_date).days if late and action.due_date else 0
    return ActionLine(
        action.id,
        action.title,
        code,
        action.state,
        words.state(action.record_kind, action.state),
        action.due_date,
        max(days, 0),
    )
