"""The audit programme of a cycle (clause 9.2.2 a): plan it, edit it while it is a draft and
move it through its workflow (approved by a director); its entries and coverage are queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.audit_policy import ClosedPeriod, is_closed, parse_closed_periods
from qms.bootstrap import Services
from qms.errors import NotFound, ValidationError
from qms.models import (
    AuditProgramme,
    HistoryEntry,
    Person,
    Process,
    ProgrammeEntry,
    Role,
    RoleAssignment,
)
from qms.services import shared
from qms.services.audits.common import (
    AUDITS_PER_CYCLE,
    active_processes,
    check_not_retired,
    commit,
    conflict_message,
    coordinator,
    cycle_bounds,
    holds_institution_role,
    process_on,
    process_roles,
    programme_of,
)
from qms.services.audits.files import template_for
from qms.services.audits.planner import Need, propose
from qms.services.audits.queries import previous_results
from qms.services.shared import months_before

KIND = "audit_programme"


def plan(app: Services, actor: str, cycle: int, replace: bool = False) -> AuditProgramme:
    """Propose the cycle's programme as a draft: every process, at its frequency.

    With ``replace``, a draft programme with no audit scheduled yet is proposed again.
    """
    start, end = cycle_bounds(cycle)
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "plan the audit programme")
        programme = _existing_draft(session, cycle, replace)
        if programme is None:
            programme = AuditProgramme(
                title=f"Internal audit programme {cycle}",
                cycle=cycle,
                starts_on=start,
                ends_on=end,
                data={},
            )
            app.engine.start(session, programme, person)
        else:
            app.engine.note(session, programme, "replan", person, {"cycle": cycle})
        for entry in _propose(app, session, start, end):
            entry.programme_id = programme.id
            session.add(entry)
        commit(uow, programme.reference)
        return programme


def _existing_draft(session: Session, cycle: int, replace: bool) -> AuditProgramme | None:
    existing = session.scalar(select(AuditProgramme).where(AuditProgramme.cycle == cycle))
    if existing is None:
        return None
    if not replace or existing.state != "draft":
        how = "plan it again with --replace" if existing.state == "draft" else "revise it"
        raise ValidationError(
            "cycle",
            f"the {cycle} programme exists ({existing.reference}, {existing.state}): "
            f"edit its entries, or {how}",
        )
    entries = list(
        session.scalars(select(ProgrammeEntry).where(ProgrammeEntry.programme_id == existing.id))
    )
    if any(e.audit_id is not None for e in entries):
        raise ValidationError(
            "cycle", f"the {cycle} programme already has audits planned: edit its entries"
        )
    for entry in entries:
        session.delete(entry)
    session.flush()
    return existing


def _propose(app: Services, session: Session, start: date, end: date) -> list[ProgrammeEntry]:
    settings = app.settings
    processes = active_processes(session, start)
    needs = [_need(app, session, p, start) for p in processes]
    auditors = _auditors(session, start)
    by_code = {p.code: p for p in processes}
    by_handle = {a.handle: a for a in auditors}

    def may_audit(handle: str, code: str, day: date) -> bool:
        return not process_roles(session, by_handle[handle], by_code[code], day)

    slots = propose(
        needs,
        sorted(by_handle),
        may_audit,
        start,
        end,
        parse_closed_periods(settings.audit_closed_periods),
        settings.audit_max_per_auditor_month,
    )
    return [
        ProgrammeEntry(
            process_id=by_code[s.process].id,
            planned_on=s.on,
            lead_auditor_id=by_handle[s.lead].id if s.lead else None,
            reason=s.reason if s.lead else f"{s.reason}; no impartial auditor free: assign one",
        )
        for s in slots
    ]


def _auditors(session: Session, day: date) -> list[Person]:
    rows = session.scalars(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.role == Role.AUDITOR, Person.active_on(day))
        .distinct()
    )
    return [p for p in rows if holds_institution_role(session, p, Role.AUDITOR, day)]


def _need(app: Services, session: Session, process: Process, start: date) -> Need:
    template = template_for(app.settings.workflows_dir, process.code)
    count = AUDITS_PER_CYCLE[template.importance]
    reason = f"importance {template.importance.value}: {count} audit(s) a cycle"
    previous = previous_results(app, session, process, start)
    until = process.retired_on  # every audit of a process comes before it retires
    if previous is None:
        return Need(process.code, count, None, reason, until)
    months = app.settings.audit_reaudit_months
    deadline = months_before(start, -months)
    why = f"{reason}; {previous}: within {months} months"
    return Need(process.code, count, deadline, why, until)


def _draft_entry(session: Session, entry_id: int) -> ProgrammeEntry:
    entry = session.get(ProgrammeEntry, entry_id)
    if entry is None:
        raise NotFound(f"no programme entry #{entry_id}")
    if entry.programme.state != "draft":
        raise ValidationError(
            "programme",
            f"the {entry.programme.cycle} programme is {entry.programme.state}: only a draft "
            "may be edited (send it back with the 'revise' trigger, clause 9.2.2 a)",
        )
    return entry


def _check_slot(
    app: Services,
    session: Session,
    programme: AuditProgramme,
    process: Process,
    on: date,
    lead: str | None,
) -> Person | None:
    if not programme.starts_on <= on <= programme.ends_on:
        raise ValidationError("on", f"{on} is outside the {programme.cycle} cycle")
    check_not_retired(process, on, "on")
    periods: list[ClosedPeriod] = parse_closed_periods(app.settings.audit_closed_periods)
    if is_closed(on, periods):
        shown = ", ".join(str(p) for p in periods if p.covers(on)) or "a weekend"
        raise ValidationError("on", f"{on} falls in a closed period ({shown})")
    if lead is None:
        return None
    person = shared.active_person(session, lead, "lead", on=on)
    if not holds_institution_role(session, person, Role.AUDITOR, on):
        raise ValidationError("lead", f"{person.name} ({lead}) is not an internal auditor on {on}")
    roles = process_roles(session, person, process, on)
    if roles:
        raise ValidationError("lead", conflict_message(person, process, roles, on))
    return person


def edit_entry(
    app: Services, actor: str, entry_id: int, on: date | None, lead: str | None
) -> ProgrammeEntry:
    """Move a draft programme's entry to another day, or give it another lead auditor."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        coordinator(session, actor, app.engine.today(), "edit the audit programme")
        entry = _draft_entry(session, entry_id)
        new_on = on or entry.planned_on
        current = entry.lead_auditor.handle if entry.lead_auditor else None
        person = _check_slot(app, session, entry.programme, entry.process, new_on, lead or current)
        entry.planned_on, entry.lead_auditor_id = new_on, person.id if person else None
        uow.commit()
        return entry


def add_entry(
    app: Services, actor: str, cycle: int, process: str, on: date, lead: str | None
) -> ProgrammeEntry:
    with app.database.unit_of_work() as uow:
        session = uow.session
        coordinator(session, actor, app.engine.today(), "edit the audit programme")
        programme = programme_of(session, cycle)
        if programme.state != "draft":
            raise ValidationError(
                "programme",
                f"the {cycle} programme is {programme.state}: only a draft may be edited",
            )
        found = process_on(session, process, on, "on")
        person = _check_slot(app, session, programme, found, on, lead)
        entry = ProgrammeEntry(
            programme_id=programme.id,
            process_id=found.id,
            planned_on=on,
            lead_auditor_id=person.id if person else None,
            reason="added by hand",
        )
        session.add(entry)
        uow.commit()
        return entry


def remove_entry(app: Services, actor: str, entry_id: int) -> None:
    with app.database.unit_of_work() as uow:
        coordinator(uow.session, actor, app.engine.today(), "edit the audit programme")
        entry = _draft_entry(uow.session, entry_id)
        if entry.audit_id is not None:
            raise ValidationError("entry", f"entry #{entry_id} has audit #{entry.audit_id} planned")
        uow.session.delete(entry)
        uow.commit()


def fire(
    app: Services,
    cycle: int,
    trigger: str,
    actor: str,
    inputs: Mapping[str, Any] | None = None,
    comment: str = "",
) -> HistoryEntry:
    with app.database.reading() as session:
        programme_id = programme_of(session, cycle).id
    return shared.fire(
        app.database, app.engine, KIND, programme_id, trigger, actor, inputs, comment
    )
