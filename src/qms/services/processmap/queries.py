"""A summary of what the database holds, for the demo story and for `qms status`-like views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.models import Base, MacroProcess, Organisation, Person, Process, RoleAssignment
from qms.services.processmap import service as processmap


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
    in_force = len(processmap.holders(session, on))
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
