"""Read the process map back (clause 4.4): its tree, who holds which role, a summary.

Every answer is for one day: a role is held by an active person from its ``valid_from``
to the day before its ``valid_to`` and a person is active until their ``inactive_from``,
the rules the permission checks apply (``workflow/permissions.py``), so that
``qms processmap show --on D`` and a refusal on day D name the same roles.
The summary of what the database holds is for the demo story and `qms status`-like views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from qms.models import Base, MacroProcess, Organisation, Person, Process, Role, RoleAssignment
from qms.workflow.permissions import in_force


def tree(session: Session) -> list[MacroProcess]:
    """The macro-processes with their processes, loaded in two queries."""
    return list(
        session.scalars(
            select(MacroProcess)
            .order_by(MacroProcess.position)
            .options(selectinload(MacroProcess.processes))
        )
    )


def holders(session: Session, on: date, person_id: int | None = None) -> list[RoleAssignment]:
    """Every role assignment in force on ``on`` whose person is active that day, with them;
    only those of one person when ``person_id`` is given."""
    query = (
        select(RoleAssignment)
        .join(RoleAssignment.person)
        .where(*in_force(on), Person.active_on(on))
        .options(contains_eager(RoleAssignment.person))
    )
    if person_id is not None:
        query = query.where(RoleAssignment.person_id == person_id)
    return list(session.scalars(query))


def pilot_of(session: Session, process: Process, on: date) -> Person | None:
    return session.scalar(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.process_id == process.id, RoleAssignment.role == Role.PILOT)
        .where(*in_force(on), Person.active_on(on))
    )


@dataclass(frozen=True)
class Departures:
    """The people who have left the map by a day, and those who leave after it."""

    inactive: list[Person]
    leaving: list[Person]


def departures(session: Session, on: date) -> Departures:
    """Everyone with an ``inactive_from``, split by whether it has come on ``on``."""
    people = session.scalars(
        select(Person).where(Person.inactive_from.is_not(None)).order_by(Person.name)
    ).all()
    return Departures(
        inactive=[p for p in people if not p.active_on(on)],
        leaving=[p for p in people if p.active_on(on)],
    )


@dataclass(frozen=True)
class Overview:
    organisation: str | None
    macro_processes: int
    processes: int
    people: int
    assignments_in_force: int
    assignments_in_history: int


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def overview(session: Session, on: date) -> Overview:
    organisation = session.scalar(select(Organisation.name))
    held = len(holders(session, on))
    return Overview(
        organisation=organisation,
        macro_processes=_count(session, MacroProcess),
        processes=session.scalar(
            select(func.count()).select_from(Process).where(Process.retired_on.is_(None))
        )
        or 0,
        people=session.scalar(select(func.count()).select_from(Person).where(Person.active_on(on)))
        or 0,
        assignments_in_force=held,
        assignments_in_history=_count(session, RoleAssignment) - held,
    )
