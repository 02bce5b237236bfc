"""Who may do what on the audit pages, by the services' own rules: plan and schedule
audits (``common.coordinator``), lead one (an internal auditor), and change only what one
may see (:mod:`qms.services.visibility`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import NotFound, PermissionDenied, ValidationError
from qms.models import Person, Process, ProgrammeEntry, Role, RoleAssignment
from qms.services import shared, visibility
from qms.services.audits.common import coordinator


def may_coordinate(session: Session, handle: str, today: date) -> bool:
    """Whether the person may plan and schedule audits (the services' own rule)."""
    try:
        coordinator(session, handle, today, "plan audits")
    except (PermissionDenied, ValidationError):
        return False
    return True


def auditors_on(session: Session, day: date) -> list[Person]:
    """The internal auditors active on ``day``, by name (as ``holds_institution_role``
    reads an assignment), in one query."""
    rows = session.execute(
        select(Person, RoleAssignment)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.role == Role.AUDITOR, RoleAssignment.process_id.is_(None))
        .where(Person.active_on(day))
        .order_by(Person.name)
    )
    found: dict[int, Person] = {}
    for person, held in rows:
        if held.holds_on(day):
            found.setdefault(person.id, person)
    return list(found.values())


def seen_entry(app: Services, handle: str, entry_id: int) -> int:
    """The cycle of a programme entry the person may see (PermissionDenied outside their
    processes, NotFound when there is none): a change is made only from a page one sees."""
    with app.database.reading() as session:
        entry = session.get(ProgrammeEntry, entry_id)
        if entry is None:
            raise NotFound(f"no programme entry #{entry_id}")
        _check_seen(session, handle, app.engine.today(), entry.process)
        return entry.programme.cycle


def seen_process(app: Services, handle: str, code: str) -> None:
    """Refuse a process outside the person's scope; an unknown one is the service's to say."""
    with app.database.reading() as session:
        found = session.scalar(select(Process).where(Process.code == code))
        if found is not None:
            _check_seen(session, handle, app.engine.today(), found)


def _check_seen(session: Session, handle: str, today: date, process: Process) -> None:
    person = shared.person(session, handle, "actor")
    if not visibility.scope(session, person, today).sees_process(process.id):
        raise PermissionDenied(
            f"{person.name} may not change the audits of {process.code} {process.name}: "
            "they hold no role on it"
        )
