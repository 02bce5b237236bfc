"""What an audit's page reads, in one session (clause 9.2.2 b, c): its plan, its team, the
impartiality exceptions granted, its findings, the people who may join its team (each
with the roles they hold on the audited process that day) and the steps offered to the
person. Read-only; an audit outside the person's scope is refused
(:func:`qms.services.record_view.seen`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import PermissionDenied
from qms.models import (
    PROCESS_ROLES,
    AuditProgramme,
    InternalAudit,
    Person,
    ProgrammeEntry,
    Role,
    RoleAssignment,
)
from qms.reporting.words import words_for
from qms.services import record_view, shared, visibility
from qms.services.audits import report as audits_report
from qms.services.audits.common import (
    active_processes,
    audit_day,
    cycle_bounds,
    require_institution_role,
    team,
)
from qms.services.audits.pages_access import auditors_on, may_coordinate
from qms.services.audits.queries import findings_of
from qms.services.audits.service import EDITABLE_STATES, KIND
from qms.services.audits.team import TEAM_STATES
from qms.workflow.engine import Available


@dataclass(frozen=True)
class Member:
    handle: str
    name: str
    role: str  # a TeamRole


@dataclass(frozen=True)
class Granted:
    """An impartiality exception: who, the roles they hold, who approved it, when, why."""

    handle: str
    name: str
    roles: str
    approved_by: str
    approved_at: datetime
    justification: str


@dataclass(frozen=True)
class FindingLine:
    id: int
    title: str
    finding_type: str
    state_label: str


@dataclass(frozen=True)
class Candidate:
    """Someone who may be put on the team: ``roles`` are those they hold on the process on
    the audit's day (an auditor holding one is refused, clause 9.2.2 c)."""

    handle: str
    name: str
    auditor: bool
    roles: tuple[str, ...]
    excepted: bool  # a quality manager approved an exception for them


@dataclass(frozen=True)
class AuditView:
    id: int
    title: str
    state: str
    state_label: str
    terminal: bool
    version: int
    process: str  # "TRN-04 Admissions and student life"
    process_code: str
    audit_type: str
    planned_start: date | None
    planned_end: date | None
    day: date  # the audit's day, as impartiality is judged
    scope: str
    criteria: str
    objectives: str
    location: str
    auditee: str
    audit_client: str
    cycle: int | None  # its programme's
    lead: str | None  # a name
    team: tuple[Member, ...]
    exceptions: tuple[Granted, ...]
    findings: tuple[FindingLine, ...]
    candidates: tuple[Candidate, ...]
    may_coordinate: bool
    quality_manager: bool
    triggers: tuple[Available, ...] = ()

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def team_open(self) -> bool:
        return self.state in TEAM_STATES

    def candidate(self, handle: str) -> Candidate | None:
        return next((c for c in self.candidates if c.handle == handle), None)

    @property
    def conflicted(self) -> list[Candidate]:
        """Auditors with a role on the process and no exception yet."""
        return [c for c in self.candidates if c.auditor and c.roles and not c.excepted]


def audit_view(app: Services, audit_id: int, handle: str) -> AuditView:
    today = app.engine.today()
    with app.database.reading() as session:
        found, _scope = record_view.seen(session, KIND, audit_id, handle, today)
        assert isinstance(found, InternalAudit)
        record, process = found, found.process
        assert process is not None
        words = words_for(session, app.registry)
        day = audit_day(record, today)
        granted = audits_report.exceptions(session, record)
        view = AuditView(
            id=record.id,
            title=record.title,
            state=record.state,
            state_label=words.state(KIND, record.state),
            terminal=app.engine.definition(session, record).states[record.state].terminal,
            version=record.version,
            process=f"{process.code} {process.name}",
            process_code=process.code,
            audit_type=record.audit_type,
            planned_start=record.planned_start,
            planned_end=record.planned_end,
            day=day,
            scope=record.scope,
            criteria=record.criteria,
            objectives=record.objectives,
            location=record.location,
            auditee=record.auditee,
            audit_client=record.audit_client,
            cycle=record.programme.cycle if record.programme else None,
            lead=record.lead_auditor.name if record.lead_auditor else None,
            team=tuple(
                Member(m.person.handle, m.person.name, m.role.value)
                for m in sorted(team(session, record), key=lambda m: m.role != "lead_auditor")
            ),
            exceptions=tuple(
                Granted(
                    e.person.handle,
                    e.person.name,
                    e.conflicting_roles,
                    e.approved_by.name,
                    e.approved_at.astimezone(app.settings.zone),
                    e.justification,
                )
                for e in granted
            ),
            findings=tuple(
                FindingLine(f.id, f.title, f.finding_type, words.state(f.record_kind, f.state))
                for f in findings_of(session, record.id)
            ),
            candidates=tuple(_candidates(session, record, day, {e.person_id for e in granted})),
            may_coordinate=may_coordinate(session, handle, today),
            quality_manager=_is_quality_manager(session, handle, today),
        )
    offered = tuple(shared.available(app.database, app.engine, KIND, audit_id, handle))
    return replace(view, triggers=offered)


def _candidates(
    session: Session, record: InternalAudit, day: date, excepted: set[int]
) -> list[Candidate]:
    """Every person active on the audit's day, the internal auditors first, by name, with
    the roles they hold on the process that day (as ``common.process_roles`` reads them)."""
    assert record.process_id is not None
    rows = session.scalars(
        select(RoleAssignment).where(
            or_(
                (RoleAssignment.role == Role.AUDITOR) & RoleAssignment.process_id.is_(None),
                (RoleAssignment.process_id == record.process_id)
                & RoleAssignment.role.in_(list(PROCESS_ROLES)),
            )
        )
    )
    auditors: set[int] = set()
    roles: dict[int, set[str]] = {}
    for row in rows:
        if not row.holds_on(day):
            continue
        if row.process_id is None:
            auditors.add(row.person_id)
        else:
            roles.setdefault(row.person_id, set()).add(str(row.role))
    found = [
        Candidate(
            p.handle,
            p.name,
            p.id in auditors,
            tuple(sorted(roles.get(p.id, ()))),
            p.id in excepted,
        )
        for p in session.scalars(select(Person).where(Person.active_on(day)))
    ]
    return sorted(found, key=lambda c: (not c.auditor, c.name))


def _is_quality_manager(session: Session, handle: str, today: date) -> bool:
    try:
        require_institution_role(session, handle, today, Role.QUALITY_MANAGER)
    except PermissionDenied:
        return False
    return True


def visible(app: Services, audit_id: int, handle: str) -> None:
    """Refuse (PermissionDenied, NotFound) an audit the person may not see: a change is
    made only on a page one may open."""
    with app.database.reading() as session:
        record_view.seen(session, KIND, audit_id, handle, app.engine.today())


@dataclass(frozen=True)
class Slot:
    """A programme entry with no audit scheduled yet: its process, day and proposed lead."""

    process: str
    process_name: str
    on: date
    lead: str | None  # a name


@dataclass(frozen=True)
class ScheduleChoices:
    """What the form that schedules an audit offers: the programme's open slots (an
    internal audit takes one), every process in force (an external or follow-up audit),
    the internal auditors (a lead)."""

    cycle: int
    programme_state: str | None
    programme_label: str
    slots: tuple[Slot, ...]
    processes: tuple[tuple[str, str], ...]
    auditors: tuple[tuple[str, str], ...]
    may_coordinate: bool


def schedule_choices(app: Services, handle: str, cycle: int) -> ScheduleChoices:
    today = app.engine.today()
    start, _end = cycle_bounds(cycle)
    with app.database.reading() as session:
        person = shared.person(session, handle, "actor")
        scope = visibility.scope(session, person, today)
        found = session.scalar(select(AuditProgramme).where(AuditProgramme.cycle == cycle))
        words = words_for(session, app.registry)
        slots: list[Slot] = []
        if found is not None:
            query = (
                select(ProgrammeEntry)
                .where(ProgrammeEntry.programme_id == found.id, ProgrammeEntry.audit_id.is_(None))
                .order_by(ProgrammeEntry.planned_on, ProgrammeEntry.id)
            )
            for entry in session.scalars(query):
                if scope.sees_process(entry.process_id) and entry.state == "planned":
                    lead = entry.lead_auditor.name if entry.lead_auditor else None
                    slots.append(
                        Slot(entry.process.code, entry.process.name, entry.planned_on, lead)
                    )
        processes = tuple(
            (p.code, p.name)
            for p in active_processes(session, max(start, today))
            if scope.sees_process(p.id)
        )
        return ScheduleChoices(
            cycle,
            found.state if found is not None else None,
            words.state("audit_programme", found.state) if found is not None else "",
            tuple(slots),
            processes,
            tuple((a.handle, a.name) for a in auditors_on(session, today)),
            may_coordinate(session, handle, today),
        )
