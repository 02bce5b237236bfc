"""Exceptions to the segregation of duties (clause 5.3): a quality manager lets the person
a record names (its owner) fire one transition their role on it rules out, with a reason.

The exception is kept (``duty_exception``) and written to the record's trail; the fire it
allows says so in its own trail row, and uses it up.
"""

from __future__ import annotations

from qms.bootstrap import Services
from qms.errors import PermissionDenied, ValidationError
from qms.models import DutyException, Role
from qms.services import shared
from qms.services.shared import required_text
from qms.workflow import duties
from qms.workflow.permissions import ActorRoles


def grant(
    app: Services, actor: str, kind: str, record_id: int, trigger: str, person: str, reason: str
) -> DutyException:
    """Record ``actor``'s exception letting ``person`` fire ``trigger`` on the record once."""
    why = required_text("reason", reason, (DutyException, "reason"))
    today = app.engine.today()
    with app.database.unit_of_work() as uow:
        session = uow.session
        record = shared.record(session, kind, record_id)
        granter = ActorRoles.for_handle(session, actor, today)
        if Role.QUALITY_MANAGER not in granter.institution:
            raise PermissionDenied(
                f"{granter.actor.name} ({actor}) may not grant an exception to the segregation "
                f"of duties: it needs the role quality_manager on {today.isoformat()}"
            )
        holder = ActorRoles.for_handle(session, person, today, "for")
        if holder.actor.id == granter.actor.id:
            raise PermissionDenied(
                f"{granter.actor.name} ({actor}) may not grant themselves an exception: "
                "another quality manager records it (clause 5.3)"
            )
        transition = next(
            (t for t in app.engine.definition(session, record).transitions if t.trigger == trigger),
            None,
        )
        if transition is None or not transition.not_by:
            raise ValidationError(
                "trigger",
                f"'{trigger}' on {record.reference} is not kept from anyone (no not_by in its "
                "workflow): there is nothing to make an exception to",
            )
        if not duties.conflicts(transition, record, holder):
            raise ValidationError(
                "for",
                f"{holder.actor.name} ({person}) is not {' or '.join(transition.not_by)} of "
                f"{record.reference}: they need no exception to fire '{trigger}'",
            )
        exception = DutyException(
            record_kind=kind,
            record_id=record.id,
            trigger=trigger,
            person_id=holder.actor.id,
            reason=why,
            granted_by_id=granter.actor.id,
            granted_at=app.engine.clock.now(),
        )
        session.add(exception)
        session.flush()
        app.engine.note(
            session,
            record,
            "exception",
            granter.actor,
            {"exception_trigger": trigger, "exception_for": person, "exception_reason": why},
            f"exception #{exception.id} to the segregation of duties (clause 5.3)",
        )
        uow.commit()
        return exception
