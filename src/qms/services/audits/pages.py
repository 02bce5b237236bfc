"""What the audit programme's page reads, in one session (clause 9.2.2 a): the cycle's
audits as a calendar and a table with their standing (from ``coverage``), the programme's
state and approval, the risk-based proposal before a programme exists, and the choices its
forms offer. Read-only; a person sees the audits of the processes in their scope
(:mod:`qms.services.visibility`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from qms.bootstrap import Services
from qms.models import (
    AuditProgramme,
    InternalAudit,
    Person,
    Process,
    TeamMember,
)
from qms.models.audits import entry_state
from qms.reporting.words import words_for
from qms.services import shared, visibility
from qms.services.audits import coverage
from qms.services.audits.common import (
    active_processes,
    cycle_bounds,
)
from qms.services.audits.pages_access import auditors_on, may_coordinate
from qms.services.audits.planner import months_between
from qms.services.audits.programme import KIND, _propose
from qms.workflow import trail
from qms.workflow.engine import Available


@dataclass(frozen=True)
class Line:
    """One audit of the cycle: a programme entry (scheduled or not) or an audit outside the
    programme. ``status``: planned, started, done, late, cancelled, retired, not_carried_out."""

    entry_id: int | None
    audit_id: int | None
    process: str
    process_name: str
    planned_on: date
    start: date | None
    end: date | None
    lead: str | None  # a name
    lead_handle: str | None
    team: tuple[str, ...]  # the others on the team, by name
    status: str
    audit_type: str
    days_late: int
    reason: str = ""

    @property
    def month(self) -> tuple[int, int]:
        return (self.planned_on.year, self.planned_on.month)


@dataclass(frozen=True)
class Approval:
    by: str  # a name
    at: datetime
    note: str


@dataclass(frozen=True)
class ProgrammeInfo:
    id: int
    title: str
    state: str
    state_label: str
    approval: Approval | None


@dataclass(frozen=True)
class Proposed:
    process: str
    process_name: str
    on: date
    lead: str | None  # a name
    reason: str


@dataclass(frozen=True)
class ProgrammeView:
    cycle: int
    today: date
    programme: ProgrammeInfo | None
    lines: tuple[Line, ...]
    processes: tuple[tuple[str, str], ...]  # the calendar's rows: (code, name)
    cycles: tuple[int, ...]  # cycles that have a programme, and this one
    everything: bool  # the person sees every process
    may_plan: bool  # the quality manager or a quality correspondent
    triggers: tuple[Available, ...] = ()  # the programme's steps offered to the person
    auditors: tuple[tuple[str, str], ...] = ()  # (handle, name), for a lead auditor
    proposal: tuple[Proposed, ...] = field(default_factory=tuple)

    @property
    def months(self) -> list[date]:
        start, end = cycle_bounds(self.cycle)
        return [date(y, m, 1) for y, m in months_between(start, end)]

    def grid(self) -> list[tuple[tuple[str, str], list[list[Line]]]]:
        """The calendar: per process, per month of the cycle, its audits."""
        months = [(d.year, d.month) for d in self.months]
        rows = []
        for code, name in self.processes:
            mine = [line for line in self.lines if line.process == code]
            rows.append(((code, name), [[ln for ln in mine if ln.month == m] for m in months]))
        return rows

    def counts(self) -> dict[str, int]:
        """As ``qms audit programme coverage`` counts: every audit but a retired process's
        is planned; of those, started, done and late."""
        counted = [ln.status for ln in self.lines if ln.status != "retired"]
        return {
            "planned": len(counted),
            **{what: counted.count(what) for what in ("started", "done", "late")},
        }

    @property
    def draft(self) -> bool:
        return self.programme is not None and self.programme.state == "draft"


def programme_view(app: Services, handle: str, cycle: int) -> ProgrammeView:
    """The cycle's programme as ``handle`` may see it today."""
    today = app.engine.today()
    start, end = cycle_bounds(cycle)
    with app.database.reading() as session:
        person = shared.person(session, handle, "actor")
        scope = visibility.scope(session, person, today)
        found = session.scalar(select(AuditProgramme).where(AuditProgramme.cycle == cycle))
        info = _info(app, session, found) if found is not None else None
        ids: dict[str, int] = dict(session.execute(select(Process.code, Process.id)).all())
        lines = [
            ln for ln in _lines(session, cycle, found, today) if scope.sees_process(ids[ln.process])
        ]
        shown = [
            (p.code, p.name)
            for p in _processes(session, start, {ln.process for ln in lines})
            if scope.sees_process(p.id)
        ]
        cycles = set(session.scalars(select(AuditProgramme.cycle))) | {cycle}
        may_plan = may_coordinate(session, handle, today)
        proposal: tuple[Proposed, ...] = ()
        if found is None and may_plan:
            proposal = tuple(_proposal(app, session, start, end, scope))
        auditors = tuple((a.handle, a.name) for a in auditors_on(session, today))
    triggers = (
        tuple(shared.available(app.database, app.engine, KIND, found.id, handle))
        if (found is not None)
        else ()
    )
    return ProgrammeView(
        cycle,
        today,
        info,
        tuple(lines),
        tuple(shown),
        tuple(sorted(cycles)),
        scope.everything,
        may_plan,
        triggers,
        auditors,
        proposal,
    )


def _info(app: Services, session: Session, found: AuditProgramme) -> ProgrammeInfo:
    words = words_for(session, app.registry)
    approval = None
    for row in trail.history_of(session, KIND, found.id):
        if row.trigger == "approve":
            note = str(row.inputs.get("approval_note") or "")
            approval = Approval(words.person(row.actor), row.at.astimezone(app.settings.zone), note)
    return ProgrammeInfo(
        found.id, found.title, found.state, words.state(KIND, found.state), approval
    )


def _processes(session: Session, start: date, listed: set[str]) -> list[Process]:
    """The processes in force in the cycle, and any other that has an audit in it."""
    found = {p.code: p for p in active_processes(session, start)}
    others = listed - set(found)
    if others:
        query = select(Process).where(Process.code.in_(sorted(others)))
        found.update({p.code: p for p in session.scalars(query)})
    return [found[code] for code in sorted(found)]


def _lines(session: Session, cycle: int, found: AuditProgramme | None, today: date) -> list[Line]:
    """The programme's entries as they stand today, then the cycle's other audits."""
    start, end = cycle_bounds(cycle)
    query = (
        select(InternalAudit)
        .where(InternalAudit.planned_start.between(start, end))
        .options(joinedload(InternalAudit.lead_auditor), joinedload(InternalAudit.process))
    )
    audits = {a.id: a for a in session.scalars(query)}
    people = {p.handle: p.name for p in session.scalars(select(Person))}
    teams = _teams(session, audits.values())
    lines: list[Line] = []
    if found is not None:
        for item in coverage.status(session, cycle, today).audits:
            e = item.entry
            record = audits.pop(e.audit_id, None) if e.audit_id is not None else None
            lines.append(_entry_line(item, record, teams, people, today))
    for record in audits.values():
        if record.process is not None and record.planned_start is not None:
            lines.append(_audit_line(record, teams, found, today))
    return sorted(lines, key=lambda ln: (ln.planned_on, ln.process, ln.entry_id or 0))


def _teams(session: Session, audits: Iterable[InternalAudit]) -> dict[int, tuple[str, ...]]:
    """Each audit's team but its lead auditor (shown on their own), by name."""
    ids = [a.id for a in audits]
    found: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = session.scalars(
            select(TeamMember)
            .where(TeamMember.audit_id.in_(ids))
            .options(joinedload(TeamMember.person))
        )
        for member in rows:
            if member.role != "lead_auditor":
                found[member.audit_id].append(member.person.name)
    return {i: tuple(sorted(names)) for i, names in found.items()}


def _late_by(planned_on: date, late: bool, today: date) -> int:
    return (today - coverage.month_end(planned_on)).days if late else 0


def _entry_line(
    item: coverage.AuditStatus,
    record: InternalAudit | None,
    teams: dict[int, tuple[str, ...]],
    people: dict[str, str],
    today: date,
) -> Line:
    e = item.entry
    lead = record.lead_auditor.handle if record is not None and record.lead_auditor else None
    lead = lead or e.lead_auditor
    return Line(
        entry_id=e.id,
        audit_id=e.audit_id,
        process=e.process,
        process_name=e.process_name,
        planned_on=e.planned_on,
        start=record.planned_start if record is not None else None,
        end=record.planned_end if record is not None else None,
        lead=people.get(lead) if lead else None,
        lead_handle=lead,
        team=teams.get(e.audit_id, ()) if e.audit_id is not None else (),
        status="late" if item.late else str(e.state),
        audit_type=record.audit_type if record is not None else "internal",
        days_late=_late_by(e.planned_on, item.late, today),
        reason=e.reason,
    )


def _audit_line(
    record: InternalAudit,
    teams: dict[int, tuple[str, ...]],
    found: AuditProgramme | None,
    today: date,
) -> Line:
    """An audit outside the programme (external, follow-up): late as an entry would be."""
    assert record.process is not None and record.planned_start is not None
    state = entry_state(
        record.state, found.state if found else "", record.process.retired_on, record.planned_start
    )
    late = state in coverage.NOT_STARTED and coverage.month_end(record.planned_start) < today
    lead = record.lead_auditor
    return Line(
        entry_id=None,
        audit_id=record.id,
        process=record.process.code,
        process_name=record.process.name,
        planned_on=record.planned_start,
        start=record.planned_start,
        end=record.planned_end,
        lead=lead.name if lead else None,
        lead_handle=lead.handle if lead else None,
        team=teams.get(record.id, ()),
        status="late" if late else str(state),
        audit_type=record.audit_type,
        days_late=_late_by(record.planned_start, late, today),
    )


def _proposal(
    app: Services, session: Session, start: date, end: date, scope: visibility.Scope
) -> list[Proposed]:
    """What ``programme.plan`` would propose now, unsaved (shown before it is planned)."""
    people = {p.id: p.name for p in session.scalars(select(Person))}
    processes = {p.id: p for p in session.scalars(select(Process))}
    found = []
    for entry in _propose(app, session, start, end):
        process = processes[entry.process_id]
        if scope.sees_process(process.id):
            lead = people.get(entry.lead_auditor_id) if entry.lead_auditor_id else None
            found.append(Proposed(process.code, process.name, entry.planned_on, lead, entry.reason))
    return found
