"""Internal audits (clause 9.2): schedule one from the programme, set its plan, assign an
impartial team (clause 9.2.2 c) and move it through its workflow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import (
    AuditType,
    HistoryEntry,
    ImpartialityException,
    InternalAudit,
    Person,
    Process,
    ProgrammeEntry,
    Role,
    TeamMember,
    TeamRole,
    WorkflowRecord,
)
from qms.services import shared
from qms.services.audits import programme
from qms.services.audits import report as audits_report
from qms.services.audits.common import (
    audit,
    audit_day,
    commit,
    conflict_message,
    coordinator,
    holds_institution_role,
    note,
    process_roles,
    require_institution_role,
    team,
)
from qms.services.shared import one_of

KIND = "internal_audit"
EDITABLE_STATES = ("planned",)
TEAM_STATES = ("planned", "plan_issued")
AUDITING_ROLES = (TeamRole.LEAD_AUDITOR, TeamRole.AUDITOR)


@dataclass(frozen=True)
class AuditPlan:
    """What a new audit is given; unset values come from the programme entry."""

    process: str
    cycle: int | None = None
    audit_type: str = AuditType.INTERNAL
    start: date | None = None
    end: date | None = None
    lead: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)  # scope, criteria, ...


DETAILS = ("scope", "criteria", "objectives", "location", "auditee", "audit_client", "title")


def plan(app: Services, actor: str, spec: AuditPlan) -> InternalAudit:
    """Schedule an audit of a process; an internal audit takes its programme entry's slot."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "schedule audits")
        process = shared.process(session, spec.process)
        kind = one_of("type", spec.audit_type, AuditType)
        entry = _entry_for(session, process, spec, kind)
        start = spec.start or (entry.planned_on if entry else None)
        if start is None:
            raise ValidationError("start", "is required for an audit outside the programme")
        end = spec.end or start
        if end < start:
            raise ValidationError("end", f"{end} is before the start {start}")
        record = _new_audit(session, process, kind, start, end, spec.details)
        record.programme_id = entry.programme_id if entry else None
        app.engine.start(session, record, person)
        if entry is not None:
            entry.audit_id = record.id
        lead = spec.lead or (entry.lead_auditor.handle if entry and entry.lead_auditor else None)
        if lead is not None:
            _assign(app, session, record, lead, TeamRole.LEAD_AUDITOR, person)
        session.refresh(record, ["lead_auditor", "process"])  # readable after the commit
        commit(uow, record.reference)
        return record


def _entry_for(
    session: Session, process: Process, spec: AuditPlan, kind: str
) -> ProgrammeEntry | None:
    if kind != AuditType.INTERNAL:
        return None
    if spec.cycle is None:
        raise ValidationError("cycle", "an internal audit is planned in a cycle's programme")
    found = programme.find(session, spec.cycle)
    if found.state not in ("approved", "in_effect"):
        raise ValidationError(
            "cycle",
            f"the {spec.cycle} programme is {found.state}: audits are scheduled once a "
            "director has approved it (clause 9.2.2 a)",
        )
    entry = session.scalar(
        select(ProgrammeEntry)
        .where(ProgrammeEntry.programme_id == found.id, ProgrammeEntry.process_id == process.id)
        .where(ProgrammeEntry.audit_id.is_(None))
        .order_by(ProgrammeEntry.planned_on)
    )
    if entry is None:
        raise ValidationError(
            "process",
            f"the {spec.cycle} programme has no unscheduled audit of {process.code} "
            "(revise the programme to add one)",
        )
    return entry


def _new_audit(
    session: Session,
    process: Process,
    kind: str,
    start: date,
    end: date,
    details: Mapping[str, str],
) -> InternalAudit:
    unknown = set(details) - set(DETAILS)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"not an audit detail ({', '.join(DETAILS)})")
    record = InternalAudit(
        title=details.get("title") or f"{kind.replace('_', '-')} audit of {process.code}",
        process_id=process.id,
        audit_type=kind,
        planned_start=start,
        planned_end=end,
        previous_audit_id=_previous(session, process, start),
        data={},
    )
    for name, value in details.items():
        if name != "title":
            setattr(record, name, value.strip())
    return record


def _previous(session: Session, process: Process, start: date) -> int | None:
    return session.scalar(
        select(InternalAudit.id)
        .where(InternalAudit.process_id == process.id, InternalAudit.planned_start < start)
        .where(InternalAudit.state != "cancelled")
        .order_by(InternalAudit.planned_start.desc(), InternalAudit.id.desc())
        .limit(1)
    )


def edit(app: Services, actor: str, audit_id: int, details: Mapping[str, str]) -> InternalAudit:
    """Set the audit's scope, criteria, objectives, place, auditee or client before its plan."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "edit audits")
        record = audit(session, audit_id)
        if record.state not in EDITABLE_STATES:
            raise ValidationError(
                "audit", f"{record.reference} is {record.state}: its plan is issued and fixed"
            )
        for name, value in details.items():
            if name not in DETAILS:
                raise ValidationError(name, f"not an audit detail ({', '.join(DETAILS)})")
            setattr(record, name, value.strip())
        note(session, app.engine, record, "edit_plan", person, dict(details))
        commit(uow, record.reference)
        return record


def assign(
    app: Services, actor: str, audit_id: int, handle: str, role: str = TeamRole.AUDITOR
) -> TeamMember:
    """Put a person on the audit team; an auditor with a role on the process is refused."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "assign auditors")
        record = audit(session, audit_id)
        if record.state not in TEAM_STATES:
            raise ValidationError("audit", f"{record.reference} is {record.state}: its team is set")
        member = _assign(
            app, session, record, handle, TeamRole(one_of("role", role, TeamRole)), person
        )
        commit(uow, record.reference)
        return member


def _assign(
    app: Services,
    session: Session,
    record: InternalAudit,
    handle: str,
    role: TeamRole,
    actor: Person,
) -> TeamMember:
    person = shared.active_person(session, handle, "auditor")
    day = audit_day(record, app.engine.today())
    exception = _check_impartial(session, record, person, role, day)
    member = _member(session, record, person) or TeamMember(
        audit_id=record.id, person_id=person.id, added_by=actor.handle
    )
    member.role, member.added_at = role, app.engine.clock.now()
    session.add(member)
    if role == TeamRole.LEAD_AUDITOR:
        _demote_lead(session, record, person)
        record.lead_auditor_id = person.id
    inputs: dict[str, object] = {"auditor": handle, "role": role.value}
    if exception is not None:
        inputs["impartiality_exception"] = exception.id
    note(session, app.engine, record, "assign_auditor", actor, inputs)
    session.flush()
    return member


def _check_impartial(
    session: Session, record: InternalAudit, person: Person, role: TeamRole, day: date
) -> ImpartialityException | None:
    if role not in AUDITING_ROLES:
        return None
    if not holds_institution_role(session, person, Role.AUDITOR, day):
        raise ValidationError(
            "auditor", f"{person.name} ({person.handle}) is not an internal auditor on {day}"
        )
    assert record.process is not None
    roles = process_roles(session, person, record.process, day)
    if not roles:
        return None
    exception = _exception(session, record, person)
    if exception is None:
        raise ValidationError("auditor", conflict_message(person, record.process, roles, day))
    return exception


def _member(session: Session, record: InternalAudit, person: Person) -> TeamMember | None:
    return session.scalar(
        select(TeamMember).where(
            TeamMember.audit_id == record.id, TeamMember.person_id == person.id
        )
    )


def _demote_lead(session: Session, record: InternalAudit, new_lead: Person) -> None:
    for member in team(session, record):
        if member.role == TeamRole.LEAD_AUDITOR and member.person_id != new_lead.id:
            member.role = TeamRole.AUDITOR


def _exception(
    session: Session, record: InternalAudit, person: Person
) -> ImpartialityException | None:
    return session.scalar(
        select(ImpartialityException).where(
            ImpartialityException.audit_id == record.id,
            ImpartialityException.person_id == person.id,
        )
    )


def approve_exception(
    app: Services, actor: str, audit_id: int, handle: str, justification: str
) -> ImpartialityException:
    """A quality manager allows an auditor with a role on the process to audit it (9.2.2 c)."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        today = app.engine.today()
        manager = require_institution_role(session, actor, today, Role.QUALITY_MANAGER)
        record = audit(session, audit_id)
        person = shared.person(session, handle, "auditor")
        text = (justification or "").strip()
        if len(text) < 20:
            raise ValidationError(
                "justification", "write why no impartial auditor can do it (20 characters or more)"
            )
        assert record.process is not None
        roles = process_roles(session, person, record.process, audit_day(record, today))
        if not roles:
            raise ValidationError(
                "auditor",
                f"{person.name} ({handle}) has no role on {record.process.code}: "
                "no exception is needed",
            )
        if _exception(session, record, person) is not None:
            raise ValidationError("auditor", f"an exception for {handle} is already recorded")
        exception = ImpartialityException(
            audit_id=record.id,
            person_id=person.id,
            conflicting_roles=", ".join(roles),
            justification=text,
            approved_by_id=manager.id,
            approved_at=app.engine.clock.now(),
        )
        session.add(exception)
        session.flush()
        note(
            session,
            app.engine,
            record,
            "approve_impartiality_exception",
            manager,
            {"auditor": handle, "conflicting_roles": exception.conflicting_roles},
            text,
        )
        commit(uow, record.reference)
        return exception


def fire(
    app: Services,
    audit_id: int,
    trigger: str,
    actor: str,
    inputs: Mapping[str, Any] | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> HistoryEntry:
    """Fire a trigger; issuing the report freezes it and queues its e-mail, in one transaction."""
    values = dict(inputs or {})
    if trigger == "issue_report" and not values.get("report_recipients"):
        with app.database.reading() as session:
            found = audit(session, audit_id)
            values["report_recipients"] = audits_report.recipients_text(
                session, found, app.engine.today()
            )

    def after(session: Session, record: WorkflowRecord, entry: HistoryEntry) -> None:
        if trigger == "issue_report" and isinstance(record, InternalAudit):
            audits_report.freeze(app, session, record, entry.actor, "first issue")

    return shared.fire(
        app.database,
        app.engine,
        KIND,
        audit_id,
        trigger,
        actor,
        values,
        comment,
        expected_version,
        after,
    )


@dataclass(frozen=True)
class AuditRow:
    id: int
    process: str
    audit_type: str
    state: str
    planned_start: date | None
    planned_end: date | None
    lead_auditor: str | None
    title: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def rows(session: Session, cycle: int | None = None, process: str | None = None) -> list[AuditRow]:
    query = select(InternalAudit).order_by(InternalAudit.planned_start, InternalAudit.id)
    if cycle is not None:
        start, end = programme.cycle_bounds(cycle)
        query = query.where(InternalAudit.planned_start.between(start, end))
    if process is not None:
        query = query.join(Process, Process.id == InternalAudit.process_id).where(
            Process.code == process
        )
    return [
        AuditRow(
            a.id,
            a.process.code if a.process else "-",
            a.audit_type,
            a.state,
            a.planned_start,
            a.planned_end,
            a.lead_auditor.handle if a.lead_auditor else None,
            a.title,
        )
        for a in session.scalars(query)
    ]
