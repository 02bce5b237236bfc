"""Segregation of duties (clause 5.3): who a transition's ``not_by:`` keeps from firing it.

The person a record names in one of those roles (the action's owner, the audit's lead
auditor) may not fire the transition, however many roles they hold otherwise, unless a
quality manager recorded an exception for that person, record and trigger: it is then
used by that one fire. Exceptions are kept in ``duty_exception`` and in the record's trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import PermissionDenied
from qms.models import DutyException, HistoryEntry, WorkflowRecord
from qms.workflow.definition import TransitionDef
from qms.workflow.permissions import ActorRoles

CLAUSE = (
    "segregation of duties, the institution's rule under clause 5.3: a person does not "
    "approve or judge their own work"
)


def conflicts(transition: TransitionDef, record: WorkflowRecord, roles: ActorRoles) -> list[str]:
    """The roles of ``transition.not_by`` the actor holds on ``record`` (none: may fire)."""
    if not transition.not_by:
        return []
    held = roles.on_record(record)
    return [role for role in transition.not_by if role in held]


def open_exception(
    session: Session, record: WorkflowRecord, trigger: str, person_id: int
) -> DutyException | None:
    return session.scalar(
        select(DutyException)
        .where(
            DutyException.record_kind == record.record_kind,
            DutyException.record_id == record.id,
            DutyException.trigger == trigger,
            DutyException.person_id == person_id,
            DutyException.used_at.is_(None),
        )
        .order_by(DutyException.id)
        .limit(1)
    )


def check(
    session: Session, transition: TransitionDef, record: WorkflowRecord, roles: ActorRoles
) -> DutyException | None:
    """Refuse a fire the actor's own role on the record rules out, unless an exception
    allows it; returns the exception the fire uses, if any."""
    clash = conflicts(transition, record, roles)
    if not clash:
        return None
    actor = roles.actor
    allowed = open_exception(session, record, transition.trigger, actor.id)
    if allowed is not None:
        return allowed
    raise PermissionDenied(
        f"{actor.name} ({actor.handle}) may not fire '{transition.trigger}' on "
        f"{record.reference}: they are its {' and '.join(r.replace('_', ' ') for r in clash)} "
        f"({CLAUSE}); someone else fires it, or a quality manager records an exception: "
        f"qms record exception {record.record_kind} {record.id} {transition.trigger} "
        f"--for {actor.handle} --reason TEXT --as QUALITY_MANAGER"
    )


def noted(exception: DutyException, comment: str) -> str:
    """The fire's comment, saying which exception allowed it (the trail tells the story)."""
    said = (
        f"allowed by exception #{exception.id} of {exception.granted_by.handle}: {exception.reason}"
    )
    return f"{comment} ({said})" if comment else said


def use(exception: DutyException, entry: HistoryEntry, at: datetime) -> None:
    exception.used_at = at
    exception.used_by_history_id = entry.id
