"""What an indicator's page shows of its breach proposals (clauses 9.1.3, 10.2): each one,
open or decided, and who decides the open ones.

Read only. The decision itself is :func:`qms.services.indicators.breaches.accept` or
``dismiss``, which check again who decides: the pilot of the indicator's process, as
:func:`may_decide` says here for the page to offer the forms to that person only.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from qms.models import BreachProposal, Indicator, Person, Role, RoleAssignment
from qms.workflow.permissions import ActorRoles, in_force


def of_indicator(session: Session, indicator: Indicator) -> list[BreachProposal]:
    """Every breach proposal of the indicator, the latest period first (one query)."""
    return list(
        session.scalars(
            select(BreachProposal)
            .where(BreachProposal.indicator_id == indicator.id)
            .options(joinedload(BreachProposal.action))
            .order_by(BreachProposal.raised_at.desc(), BreachProposal.id.desc())
        )
    )


def may_decide(roles: ActorRoles, indicator: Indicator) -> bool:
    """Whether the person decides the indicator's breach proposals: its process's pilot."""
    return roles.active and Role.PILOT.value in roles.by_process.get(
        indicator.process_id, frozenset()
    )


def deciders(session: Session, indicator: Indicator, on: date) -> list[Person]:
    """Who decides the indicator's open proposals on ``on``: its process's pilot(s)."""
    return list(
        session.scalars(
            select(Person)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(RoleAssignment.process_id == indicator.process_id)
            .where(RoleAssignment.role == Role.PILOT, *in_force(on), Person.active_on(on))
            .order_by(Person.name)
        )
    )
