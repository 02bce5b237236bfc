"""Read the process map back (clause 4.4): its tree, who holds which role, a summary.

The summary of what the database holds is for the demo story and `qms status`-like views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from qms.models import Base, MacroProcess, Organisation, Person, Process, Role, RoleAssignment


def tree(session: Session) -> list[MacroProcess]:
    """The macro-processes with their processes, loaded in two queries."""
    return list(
        session.scalars(
            select(MacroProcess)
            .order_by(MacroProcess.position)
            .options(selectinload(MacroProcess.processes))
        )
    )


def holders(session: Session, on: date) -> list[RoleAssignment]:
    """Every role assignment in force on ``on``, with its person."""
    return list(
        session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.valid_from <= on)
            .where((RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to > on))
            .options(selectinload(RoleAssignment.person))
        )
    )


def pilot_of(session: Session, process: Process, on: date) -> Person | None:
    return session.scalar(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.process_id == process.id, RoleAssignment.role == Role.PILOT)
        .where(RoleAssignment.valid_from <= on)
        .where((RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to > on))
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
    in_force = len(holders(session, on))
    return Overview(
        organisation=organisation,
        macro_processes=_count(session, MacroProcess),
        processes=session.scalar(
            select(func.count()).select_from(Process).where(Process.retired_on.is_(None))
        )
        or 0,
        people=session.scalar(
            select(func.count()).select_from(Person).where(Person.active.is_(True))
        )
        or 0,
        assignments_in_force=in_force,
        assignments_in_history=_count(session, RoleAssignment) - in_force,
    )
