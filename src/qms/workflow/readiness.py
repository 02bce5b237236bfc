"""What keeps a trigger from going ahead before anyone fires it, for the lists that offer it
(`qms record triggers`, later the web): the segregation of duties, and guards whose answer
does not depend on what the person will enter (an action's check date not reached yet,
a nonconformity's actions not all done)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from qms.errors import PermissionDenied
from qms.models import WorkflowRecord
from qms.workflow import duties
from qms.workflow.definition import TransitionDef
from qms.workflow.guards import GUARDS, GuardContext
from qms.workflow.permissions import ActorRoles


def blocked(
    session: Session,
    transition: TransitionDef,
    record: WorkflowRecord,
    roles: ActorRoles,
    today: date,
) -> str | None:
    """Why firing ``transition`` now will be refused whatever is entered; None if it may go."""
    try:
        duties.check(session, transition, record, roles)
    except PermissionDenied as exc:
        return str(exc)
    asked = {i.name for i in transition.inputs}
    for name in transition.guards:
        context = GuardContext(record, {}, today, session)
        refusal = GUARDS[name](context)
        if refusal and not context.read & asked:  # not up to what the person enters
            return refusal
    return None
