"""The director's view (clauses 5.1, 9.1.3, 9.2.2, 9.3): the institution on one page.

Each macro-process and its processes with their indicators' last periods, their open and
overdue actions and nonconformities and their audit; the audit programme of the cycle;
the last management review's decisions and how their actions stand; and what waits for a
director (:mod:`qms.services.director_waiting`).  Work is counted by the database
(``GROUP BY process``), never loaded to be counted; the indicators' values are read in
one query; the whole view costs a fixed number of queries whatever the number of records.

Who sees what follows :mod:`qms.services.visibility`, as the process map does: the map
itself (macro-processes, processes, their pilots) is shown to everyone; a process's
figures (indicators, open work, audit) only to a reader who sees its records, all of
them for a director, the quality manager or an internal auditor.  Elsewhere they are left
out, never counted: the totals add up what the reader sees, the decisions listed are
those whose action the reader sees, and what waits for a director is shown to those who
see the whole institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import local_today
from qms.errors import NotFound
from qms.models import (
    BreachProposal,
    BreachState,
    HistoryEntry,
    ImprovementAction,
    Indicator,
    MeasurementRevision,
    Nonconformity,
    ProgrammeEntry,
    Role,
    RoleAssignment,
)
from qms.services import director_review, director_waiting, shared
from qms.services.audits import coverage
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK
from qms.services.director_review import Review
from qms.services.director_waiting import Escalation, Waiting
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import series as indicators_series
from qms.services.indicators.series import Series
from qms.services.processmap import queries as map_queries
from qms.services.visibility import Scope, scope
from qms.workflow.registry import Registry

__all__ = ["Escalation", "Institution", "audience", "reader_scope", "version", "view"]

SPARK_PERIODS = 12  # periods a sparkline shows


@dataclass(frozen=True)
class Work:
    """A process's records still being worked on, and how many of them are overdue (as
    the registers' ``overdue=1`` reads it)."""

    actions: int = 0
    overdue_actions: int = 0
    nonconformities: int = 0
    overdue_nonconformities: int = 0

    def __add__(self, other: Work) -> Work:
        return Work(
            self.actions + other.actions,
            self.overdue_actions + other.overdue_actions,
            self.nonconformities + other.nonconformities,
            self.overdue_nonconformities + other.overdue_nonconformities,
        )


@dataclass(frozen=True)
class IndicatorLine:
    series: Series  # the last SPARK_PERIODS periods, oldest first
    open_breaches: int  # breach proposals waiting for the pilot's decision


@dataclass(frozen=True)
class ProcessLine:
    code: str
    name: str
    pilot: str | None  # the pilot's name that day
    seen: bool  # False: the reader's roles do not let them see its records
    work: Work
    indicators: tuple[IndicatorLine, ...]
    audit: coverage.ProcessCoverage | None  # its audits in the cycle's programme

    @property
    def alerts(self) -> int:
        """Indicators past their alert threshold, and overdue work: what needs attention."""
        breached = sum(1 for i in self.indicators if i.series.status == "alert")
        late = self.work.overdue_actions + self.work.overdue_nonconformities
        return breached + late + (self.audit.late if self.audit else 0)


@dataclass(frozen=True)
class MacroLine:
    code: str
    name: str
    processes: tuple[ProcessLine, ...]

    @property
    def work(self) -> Work:
        return sum((p.work for p in self.processes), Work())

    @property
    def indicators(self) -> list[IndicatorLine]:
        return [i for p in self.processes for i in p.indicators]

    @property
    def alerts(self) -> int:
        return sum(p.alerts for p in self.processes)


@dataclass(frozen=True)
class Programme:
    """The cycle's audit programme, over the processes the reader sees."""

    cycle: int
    state: str  # draft, approved, in_effect, closed; "" when there is none
    planned: int = 0
    started: int = 0
    done: int = 0
    late: int = 0
    not_covered: tuple[str, ...] = ()  # processes the programme leaves out


@dataclass(frozen=True)
class Institution:
    today: date
    everything: bool  # the reader sees every process's records
    macros: tuple[MacroLine, ...]
    programme: Programme
    review: Review | None
    waiting: Waiting | None  # None: for readers who see the whole institution only

    @property
    def processes(self) -> list[ProcessLine]:
        return [p for m in self.macros for p in m.processes]

    @property
    def work(self) -> Work:
        return sum((m.work for m in self.macros), Work())

    @property
    def indicators(self) -> list[IndicatorLine]:
        return [i for m in self.macros for i in m.indicators]


def view(
    app: Services,
    reader: str,
    escalations: tuple[Escalation, ...] = (),
    today: date | None = None,
) -> Institution:
    """The institution as ``reader`` may see it on ``today``."""
    today = today or local_today(app.engine.clock, app.settings.zone)
    with app.database.reading() as session:
        seen = scope(session, shared.person(session, reader), today)
        work = open_work(session, app.registry, seen, today)
        indicators = _indicators(session, seen, today)
        tree = map_queries.tree(session)
        codes = {p.code for m in tree for p in m.processes if seen.sees_process(p.id)}
        programme, audits = _programme(session, None if seen.everything else codes, today)
        pilots = _pilots(session, today)
        macros = tuple(
            MacroLine(
                macro.code,
                macro.name,
                tuple(
                    ProcessLine(
                        p.code,
                        p.name,
                        pilots.get(p.id),
                        seen.sees_process(p.id),
                        work.get(p.id, Work()),
                        tuple(indicators.get(p.id, ())),
                        audits.get(p.code),
                    )
                    for p in macro.processes
                    if p.retired_on is None or p.retired_on > today
                ),
            )
            for macro in tree
        )
        waiting = director_waiting.waiting(session, escalations, today) if seen.everything else None
        return Institution(
            today,
            seen.everything,
            macros,
            programme,
            director_review.last_review(session, seen, today),
            waiting,
        )


def audience(seen: Scope) -> tuple[object, ...]:
    """Who reads the same view: everyone who sees the whole institution reads one; anyone
    else the view of their processes (and of their own actions)."""
    return ("everything",) if seen.everything else (seen.process_ids, seen.person_id)


def reader_scope(session: Session, reader: str, today: date) -> Scope:
    return scope(session, shared.person(session, reader), today)


def version(session: Session) -> tuple[object, ...]:
    """What the view is drawn from, as it stands: any write the view would show changes
    it, so that a view drawn for this version may be shown again (one query of index
    lookups). Every record's creation, step and edit adds a trail row; a value recorded
    or corrected, a revision; a breach decided changes the open ones; the process map
    reloaded, its role assignments; a draft programme edited, its entries."""
    return tuple(session.execute(_VERSION).one())


_VERSION = select(
    select(func.max(HistoryEntry.id)).scalar_subquery(),
    select(func.max(MeasurementRevision.id)).scalar_subquery(),
    select(func.count()).where(BreachProposal.state == BreachState.OPEN).scalar_subquery(),
    select(func.max(RoleAssignment.id)).scalar_subquery(),
    select(func.count()).select_from(ProgrammeEntry).scalar_subquery(),
    select(func.max(ProgrammeEntry.id)).scalar_subquery(),
    select(func.max(ProgrammeEntry.planned_on)).scalar_subquery(),
    select(func.sum(ProgrammeEntry.lead_auditor_id)).scalar_subquery(),
    select(func.max(Indicator.id)).scalar_subquery(),
)


def _open_states(registry: Registry, kind: str) -> tuple[str, ...]:
    return tuple(s.name for s in registry.for_kind(kind).states.values() if not s.terminal)


def _seen_processes(column: Any, seen: Scope) -> list[ColumnElement[bool]]:
    return [] if seen.everything else [column.in_(sorted(seen.process_ids))]


def open_work(session: Session, registry: Registry, seen: Scope, today: date) -> dict[int, Work]:
    """Open and overdue actions and nonconformities of each process the reader sees, in
    three grouped counts: open is any state that is not an end (the registers' links
    list them); overdue as the registers' ``overdue=1`` reads it (an action due before
    today and still being worked on; a nonconformity still being worked on with such an
    action)."""
    a, n = ImprovementAction, Nonconformity
    late = func.sum(case((a.state.in_(ACTION_OPEN_WORK) & (a.due_date < today), 1), else_=0))
    actions = session.execute(
        select(a.process_id, func.count(), late)
        .where(a.state.in_(_open_states(registry, "improvement_action")))
        .where(*_seen_processes(a.process_id, seen))
        .group_by(a.process_id)
    ).all()
    ncs = session.execute(
        select(n.process_id, func.count())
        .where(n.state.in_(_open_states(registry, "nonconformity")))
        .where(*_seen_processes(n.process_id, seen))
        .group_by(n.process_id)
    ).all()
    late_actions = select(a.nonconformity_id).where(
        a.state.in_(ACTION_OPEN_WORK), a.due_date < today
    )
    late_ncs = session.execute(
        select(n.process_id, func.count())
        .where(n.state.in_(NC_OPEN_WORK), n.id.in_(late_actions))
        .where(*_seen_processes(n.process_id, seen))
        .group_by(n.process_id)
    ).all()
    found: dict[int, Work] = {}

    def add(pid: int | None, work: Work) -> None:
        if pid is not None and seen.sees_process(pid):
            found[pid] = found.get(pid, Work()) + work

    for pid, count, overdue in actions:
        add(pid, Work(count, int(overdue or 0)))
    for pid, count in ncs:
        add(pid, Work(nonconformities=count))
    for pid, count in late_ncs:
        add(pid, Work(overdue_nonconformities=count))
    return found


def _indicators(session: Session, seen: Scope, today: date) -> dict[int, list[IndicatorLine]]:
    """The indicators in force of the processes the reader sees, with their last periods
    (every value in one query) and their open breach proposals (one grouped count)."""
    shown = [i for i in indicators_queries.in_force(session) if seen.sees_process(i.process_id)]
    ids = [i.id for i in shown]
    values = indicators_series.values_of(session, ids)
    breaches = (
        dict(
            session.execute(
                select(BreachProposal.indicator_id, func.count())
                .where(BreachProposal.state == BreachState.OPEN)
                .where(BreachProposal.indicator_id.in_(ids))
                .group_by(BreachProposal.indicator_id)
            ).all()
        )
        if ids
        else {}
    )
    found: dict[int, list[IndicatorLine]] = {}
    for series in indicators_series.series_of(shown, values, today, SPARK_PERIODS):
        line = IndicatorLine(series, int(breaches.get(series.indicator.id, 0)))
        found.setdefault(series.indicator.process_id, []).append(line)
    return found


def _programme(
    session: Session, seen_codes: set[str] | None, today: date
) -> tuple[Programme, dict[str, coverage.ProcessCoverage]]:
    """The cycle's programme counted over the processes the reader sees (None: all)."""
    try:
        status = coverage.status(session, today.year, today)
    except NotFound:
        return Programme(today.year, ""), {}
    shown = [p for p in status.processes if seen_codes is None or p.process in seen_codes]
    return (
        Programme(
            status.cycle,
            status.state,
            sum(p.planned for p in shown),
            sum(p.started for p in shown),
            sum(p.done for p in shown),
            sum(p.late for p in shown),
            tuple(p.process for p in shown if not p.covered),
        ),
        {p.process: p for p in shown},
    )


def _pilots(session: Session, today: date) -> dict[int, str]:
    """The name of each process's pilot that day."""
    return {
        held.process_id: held.person.name
        for held in map_queries.holders(session, today)
        if held.role == Role.PILOT and held.process_id is not None
    }
