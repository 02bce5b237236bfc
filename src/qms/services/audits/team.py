"""The audit team (clause 9.2.2 c): put people on it, refusing an auditor who has a role on
the audited process unless a quality manager approved an exception with a justification."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import ImpartialityException, InternalAudit, Person, Role, TeamMember, TeamRole
from qms.services import shared
from qms.services.audits.common import (
    audit,
    audit_day,
    commit,
    conflict_message,
    coordinator,
    holds_institution_role,
    process_roles,
    require_institution_role,
    team,
)
from qms.services.shared import one_of

TEAM_STATES = ("planned", "plan_issued")
AUDITING_ROLES = (TeamRole.LEAD_AUDITOR, TeamRole.AUDITOR)


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
        member = add_member(
            app, session, record, handle, TeamRole(one_of("role", role, TeamRole)), person
        )
        commit(uow, record.reference)
        return member


def add_member(
    app: Services,
    session: Session,
    record: InternalAudit,
    handle: str,
    role: TeamRole,
    actor: Person,
) -> TeamMember:
    """Put a person on the team in the caller's transaction, checking impartiality."""
    person = shared.active_person(session, handle, "auditor", on=app.engine.today())
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
    app.engine.note(session, record, "assign_auditor", actor, inputs)
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
        app.engine.note(
            session,
            record,
            "approve_impartiality_exception",
            manager,
            {"auditor": handle, "conflicting_roles": exception.conflicting_roles},
            text,
        )
        commit(uow, record.reference)
        return exception
