"""What the audit services share: who may plan, impartiality (clause 9.2.2 c), the audit,
the programme and the cycle a record belongs to, and notes in the trail."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qms.audit_policy import FindingType, parse_due_days, parse_finding_types
from qms.config import Settings
from qms.db import UnitOfWork
from qms.errors import ConfigError, ConflictError, NotFound, PermissionDenied, ValidationError
from qms.models import (
    PROCESS_ROLES,
    AuditProgramme,
    InternalAudit,
    Person,
    Process,
    Role,
    RoleAssignment,
    TeamMember,
)
from qms.services.shared import looked_up
from qms.workflow.permissions import ActorRoles


class Importance(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


AUDITS_PER_CYCLE = {Importance.HIGH: 2, Importance.MEDIUM: 1, Importance.LOW: 1}


def finding_types(settings: Settings) -> dict[str, FindingType]:
    """The configured finding types; a nonconformity grade must be a known severity."""
    types = {t.name: t for t in parse_finding_types(settings.audit_finding_types)}
    days = parse_due_days(settings.audit_due_days)
    for kind in types.values():
        if kind.grade is not None and kind.grade not in settings.severities:
            raise ConfigError(
                f"QMS_AUDIT_FINDING_TYPES: grade '{kind.grade}' of '{kind.name}' is not one of "
                f"QMS_NC_SEVERITIES ({', '.join(settings.severities)})"
            )
        if kind.grade is not None and kind.grade not in days:
            raise ConfigError(f"QMS_AUDIT_DUE_DAYS: no due days for grade '{kind.grade}'")
    return types


def due_days(settings: Settings, grade: str) -> int:
    return parse_due_days(settings.audit_due_days)[grade]


def coordinator(session: Session, handle: str, today: date, what: str) -> Person:
    """The person, if they may plan audits: the quality manager or a quality correspondent."""
    roles = ActorRoles.for_handle(session, handle, today, "actor")
    person = roles.actor
    if not roles.active:
        raise ValidationError("actor", f"'{handle}' is no longer active")
    if Role.QUALITY_MANAGER in roles.institution or any(
        Role.CORRESPONDENT in held for held in roles.by_process.values()
    ):
        return person
    raise PermissionDenied(
        f"{person.name} ({handle}) may not {what}: it needs the role quality_manager or "
        f"correspondent of a process; on {today.isoformat()} they hold "
        f"{', '.join(sorted(roles.institution)) or 'no such role'}"
    )


def require_institution_role(session: Session, handle: str, today: date, role: Role) -> Person:
    roles = ActorRoles.for_handle(session, handle, today, "actor")
    if role in roles.institution and roles.active:
        return roles.actor
    raise PermissionDenied(
        f"{roles.actor.name} ({handle}) is not a {role.value.replace('_', ' ')} on "
        f"{today.isoformat()}"
    )


def process_roles(session: Session, person: Person, process: Process, day: date) -> list[str]:
    """The roles ``person`` holds on ``process`` on ``day`` (pilot, correspondent, contributor)."""
    rows = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.process_id == process.id,
            RoleAssignment.role.in_(list(PROCESS_ROLES)),
        )
    )
    return sorted({str(r.role) for r in rows if r.holds_on(day)})


def holds_institution_role(session: Session, person: Person, role: Role, day: date) -> bool:
    rows = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == role,
            RoleAssignment.process_id.is_(None),
        )
    )
    return any(r.holds_on(day) for r in rows)


def conflict_message(person: Person, process: Process, roles: list[str], day: date) -> str:
    return (
        f"{person.name} ({person.handle}) is {' and '.join(roles)} of {process.code} on "
        f"{day.isoformat()}: an auditor may not audit their own work (clause 9.2.2 c); "
        "a quality manager may approve an exception with a written justification "
        "(qms audit exception)"
    )


def audit(session: Session, audit_id: int) -> InternalAudit:
    found = session.get(InternalAudit, audit_id)
    if found is None:
        raise NotFound(f"no internal_audit #{audit_id}")
    return found


def team(session: Session, record: InternalAudit) -> list[TeamMember]:
    return list(
        session.scalars(
            select(TeamMember).where(TeamMember.audit_id == record.id).order_by(TeamMember.id)
        )
    )


def audit_day(record: InternalAudit, today: date) -> date:
    return record.planned_start or today


def cycle_bounds(cycle: int) -> tuple[date, date]:
    if not 2000 <= cycle <= 2100:
        raise ValidationError("cycle", f"{cycle} is not a year between 2000 and 2100")
    return date(cycle, 1, 1), date(cycle, 12, 31)


def programme_of(session: Session, cycle: int) -> AuditProgramme:
    found = session.scalar(select(AuditProgramme).where(AuditProgramme.cycle == cycle))
    if found is None:
        raise NotFound(f"no audit programme for {cycle} (plan one with `qms audit programme plan`)")
    return found


def active_processes(session: Session, start: date) -> list[Process]:
    rows = session.scalars(select(Process).order_by(Process.code))
    return [p for p in rows if p.retired_on is None or p.retired_on > start]


def process_on(session: Session, code: str, day: date, field: str) -> Process:
    """The process ``code``, refused (as ``field``) if it is retired on ``day``: a process
    that retires later in the cycle is still audited before then."""
    found = session.scalar(select(Process).where(Process.code == looked_up("process", code)))
    if found is None:
        raise ValidationError("process", f"unknown process '{code}'")
    check_not_retired(found, day, field)
    return found


def check_not_retired(process: Process, day: date, field: str) -> None:
    """No audit of a process on or after the day it retires (clause 9.2.2 a)."""
    if process.retired_on is not None and day >= process.retired_on:
        raise ValidationError(
            field,
            f"{process.code} ({process.name}) is retired as of "
            f"{process.retired_on.isoformat()}: an audit on {day.isoformat()} would come "
            "after it (clause 9.2.2 a: the programme audits the processes in place)",
        )


def commit(uow: UnitOfWork, reference: str) -> None:
    """Commit, turning a concurrent change into a ConflictError (nothing is saved)."""
    try:
        uow.commit()
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(
            f"{reference} was changed by someone else at the same time; nothing was saved, "
            "reload it"
        ) from exc


def required(field: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise ValidationError(field, "is required")
    return value.strip()
