"""Load the process map into the database (clause 4.4); ``queries`` reads it back.

Loading is an idempotent upsert: loading the same file twice changes nothing; a
changed role closes the old assignment on the load date and opens a new one, so the
history of who was responsible when is kept.  A load dated in the future changes nothing
before its date (clause 5.3): a person it leaves out (or marks ``active: false``) is
inactive from that date and their roles end the day before; a role it gives starts on
it.  Loading again wins from its own date: a role the file gives again whose end was
planned for that date or later is open again, one it no longer gives ends on it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qms.errors import ValidationError
from qms.models import MacroProcess, Organisation, Person, Process, Role, RoleAssignment
from qms.services.processmap.files import MacroProcessSpec, ProcessMapSpec, ProcessSpec

AssignmentKey = tuple[int, Role, int | None]  # person id, role, process id (None: organisation)


@dataclass
class LoadReport:
    """What a load changed, by kind of change."""

    changes: Counter[str] = field(default_factory=Counter)

    def count(self, what: str) -> None:
        self.changes[what] += 1

    @property
    def changed(self) -> bool:
        return sum(self.changes.values()) > 0


def load(session: Session, spec: ProcessMapSpec, as_of: date) -> LoadReport:
    """Upsert ``spec`` into the database as of ``as_of``; the caller commits."""
    report = LoadReport()
    organisation = _upsert_organisation(session, spec, report)
    people = _upsert_people(session, spec, as_of, report)
    processes: dict[str, Process] = {}
    for position, macro_spec in enumerate(spec.macro_processes):
        macro = _upsert_macro(session, organisation, macro_spec, position, report)
        for p_position, p_spec in enumerate(macro_spec.processes):
            processes[p_spec.code] = _upsert_process(session, macro, p_spec, p_position, report)
    _retire_missing(session, set(processes), as_of, report)
    session.flush()
    wanted = _wanted_assignments(spec, people, processes)
    _sync_assignments(session, wanted, as_of, report)
    session.flush()
    return report


def _set(obj: object, report: LoadReport, what: str, **values: object) -> None:
    if any(getattr(obj, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(obj, key, value)
        report.count(f"{what} updated")


def _upsert_organisation(
    session: Session, spec: ProcessMapSpec, report: LoadReport
) -> Organisation:
    existing = session.scalars(select(Organisation)).all()
    if existing and existing[0].code != spec.organisation.code:
        raise ValidationError(
            "organisation.code",
            f"this database holds organisation '{existing[0].code}', "
            f"the file describes '{spec.organisation.code}'",
        )
    if existing:
        _set(existing[0], report, "organisations", name=spec.organisation.name)
        return existing[0]
    organisation = Organisation(code=spec.organisation.code, name=spec.organisation.name)
    session.add(organisation)
    report.count("organisations created")
    return organisation


def _upsert_people(
    session: Session, spec: ProcessMapSpec, as_of: date, report: LoadReport
) -> dict[str, Person]:
    people = {p.handle: p for p in session.scalars(select(Person))}
    listed = {p.id for p in spec.people}
    for handle, known in people.items():
        if handle not in listed:
            _leave(known, as_of, report)
    for p_spec in spec.people:
        person: Person | None = people.get(p_spec.id)
        if person is None:
            person = Person(
                handle=p_spec.id,
                name=p_spec.name,
                email=p_spec.email,
                inactive_from=None if p_spec.active else as_of,
            )
            session.add(person)
            people[p_spec.id] = person
            report.count("people created")
            continue
        _set(person, report, "people", name=p_spec.name, email=p_spec.email)
        if not p_spec.active:
            _leave(person, as_of, report)
        elif person.inactive_from is not None:  # back in the map, or no longer leaving
            person.inactive_from = None
            report.count("people reactivated")
    return people


def _leave(person: Person, as_of: date, report: LoadReport) -> None:
    """Inactive from ``as_of``, unless they have left by then already."""
    if person.active_on(as_of):
        person.inactive_from = as_of
        report.count("people deactivated")


def _upsert_macro(
    session: Session,
    organisation: Organisation,
    spec: MacroProcessSpec,
    position: int,
    report: LoadReport,
) -> MacroProcess:
    macro = session.scalar(select(MacroProcess).where(MacroProcess.code == spec.code))
    if macro is None:
        macro = MacroProcess(
            organisation=organisation, code=spec.code, name=spec.name, position=position
        )
        session.add(macro)
        report.count("macro-processes created")
    else:
        _set(macro, report, "macro-processes", name=spec.name, position=position)
    return macro


def _upsert_process(
    session: Session, macro: MacroProcess, spec: ProcessSpec, position: int, report: LoadReport
) -> Process:
    values = {
        "name": spec.name,
        "purpose": spec.purpose,
        "inputs": [i.model_dump() for i in spec.inputs],
        "outputs": [o.model_dump() for o in spec.outputs],
        "interfaces": list(spec.interfaces),
        "resources": list(spec.resources),
        "risks": list(spec.risks),
        "position": position,
        "retired_on": None,
    }
    process = session.scalar(select(Process).where(Process.code == spec.code))
    if process is None:
        process = Process(macro_process=macro, code=spec.code, **values)
        session.add(process)
        report.count("processes created")
    else:
        _set(process, report, "processes", macro_process=macro, **values)
    return process


def _retire_missing(session: Session, listed: set[str], as_of: date, report: LoadReport) -> None:
    for process in session.scalars(select(Process).where(Process.retired_on.is_(None))):
        if process.code not in listed:
            process.retired_on = as_of
            report.count("processes retired")


def _wanted_assignments(
    spec: ProcessMapSpec, people: dict[str, Person], processes: dict[str, Process]
) -> set[AssignmentKey]:
    wanted: set[AssignmentKey] = set()
    org_roles = {
        "directors": Role.DIRECTOR,
        "quality_managers": Role.QUALITY_MANAGER,
        "auditors": Role.AUDITOR,
    }
    for key, role in org_roles.items():
        wanted.update((people[h].id, role, None) for h in getattr(spec.roles, key))
    for macro in spec.macro_processes:
        for p_spec in macro.processes:
            pid = processes[p_spec.code].id
            wanted.add((people[p_spec.pilot].id, Role.PILOT, pid))
            wanted.update((people[h].id, Role.CORRESPONDENT, pid) for h in p_spec.correspondents)
            wanted.update((people[h].id, Role.CONTRIBUTOR, pid) for h in p_spec.contributors)
    # A person the file marks inactive holds none of the roles it names them in (from the
    # load's date, so bringing them back later opens their roles on that later date).
    inactive = {people[p.id].id for p in spec.people if not p.active}
    return {key for key in wanted if key[0] not in inactive}


def _sync_assignments(
    session: Session, wanted: set[AssignmentKey], as_of: date, report: LoadReport
) -> None:
    """Make the assignments held from ``as_of`` on the ``wanted`` ones; one that ends on
    ``as_of`` or later and is still wanted is open again (a planned end cancelled)."""
    live = session.scalars(
        select(RoleAssignment)
        .where(or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= as_of))
        .order_by(RoleAssignment.valid_from, RoleAssignment.id)
    )
    kept: dict[AssignmentKey, RoleAssignment] = {}
    for assignment in live:
        key = (assignment.person_id, assignment.role, assignment.process_id)
        if key in wanted and key not in kept:
            kept[key] = assignment
        else:
            _end(session, assignment, as_of, report)
    session.flush()  # close old pilots before opening new ones (one open pilot per process)
    for assignment in kept.values():
        if assignment.valid_to is not None:
            assignment.valid_to = None
            report.count("assignments reopened")
    for person_id, role, process_id in sorted(wanted - set(kept), key=str):
        session.add(
            RoleAssignment(person_id=person_id, role=role, process_id=process_id, valid_from=as_of)
        )
        report.count("assignments opened")


def _end(session: Session, assignment: RoleAssignment, as_of: date, report: LoadReport) -> None:
    """The assignment is no longer held from ``as_of`` on."""
    if assignment.valid_from > as_of:
        raise ValidationError(
            "as_of",
            f"{as_of} is before an assignment that starts on "
            f"{assignment.valid_from}; load with a later date",
        )
    if assignment.valid_to == as_of:
        return  # it ends on that day already
    if assignment.valid_from == as_of:
        session.delete(assignment)  # opened and withdrawn on the same day: it never held
    else:
        assignment.valid_to = as_of
    report.count("assignments closed")
