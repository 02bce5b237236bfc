"""Internal audits (clause 9.2): schedule one from the programme with its lead auditor, set
its plan and move it through its workflow; the rest of its team is assigned in ``team``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import (
    AuditType,
    HistoryEntry,
    InternalAudit,
    Process,
    ProgrammeEntry,
    TeamRole,
    WorkflowRecord,
)
from qms.services import shared
from qms.services.audits import report as audits_report
from qms.services.audits.common import (
    audit,
    check_not_retired,
    commit,
    coordinator,
    process_on,
    programme_of,
)
from qms.services.audits.team import add_member
from qms.services.shared import one_of, text_for

KIND = "internal_audit"
EDITABLE_STATES = ("planned",)


@dataclass(frozen=True)
class AuditPlan:
    """What a new audit is given; unset values come from the programme entry."""

    process: str
    cycle: int | None = None
    audit_type: str = AuditType.INTERNAL
    start: date | None = None
    end: date | None = None
    lead: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)  # scope, criteria, ...


DETAILS = ("scope", "criteria", "objectives", "location", "auditee", "audit_client", "title")


def plan(app: Services, actor: str, spec: AuditPlan) -> InternalAudit:
    """Schedule an audit of a process; an internal audit takes its programme entry's slot."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "schedule audits")
        process = process_on(session, spec.process, app.engine.today(), "process")
        kind = one_of("type", spec.audit_type, AuditType)
        entry = _entry_for(session, process, spec, kind)
        start = spec.start or (entry.planned_on if entry else None)
        if start is None:
            raise ValidationError("start", "is required for an audit outside the programme")
        end = spec.end or start
        if end < start:
            raise ValidationError("end", f"{end} is before the start {start}")
        check_not_retired(process, start, "start")
        record = _new_audit(session, process, kind, start, end, spec.details)
        record.programme_id = entry.programme_id if entry else None
        app.engine.start(session, record, person)
        if entry is not None:
            entry.audit_id = record.id
        lead = spec.lead or (entry.lead_auditor.handle if entry and entry.lead_auditor else None)
        if lead is not None:
            add_member(app, session, record, lead, TeamRole.LEAD_AUDITOR, person)
        session.refresh(record, ["lead_auditor", "process"])  # readable after the commit
        commit(uow, record.reference)
        return record


def _entry_for(
    session: Session, process: Process, spec: AuditPlan, kind: str
) -> ProgrammeEntry | None:
    if kind != AuditType.INTERNAL:
        return None
    if spec.cycle is None:
        raise ValidationError("cycle", "an internal audit is planned in a cycle's programme")
    found = programme_of(session, spec.cycle)
    if found.state not in ("approved", "in_effect"):
        raise ValidationError(
            "cycle",
            f"the {spec.cycle} programme is {found.state}: audits are scheduled once a "
            "director has approved it (clause 9.2.2 a)",
        )
    entry = session.scalar(
        select(ProgrammeEntry)
        .where(ProgrammeEntry.programme_id == found.id, ProgrammeEntry.process_id == process.id)
        .where(ProgrammeEntry.audit_id.is_(None))
        .order_by(ProgrammeEntry.planned_on)
    )
    if entry is None:
        raise ValidationError(
            "process",
            f"the {spec.cycle} programme has no unscheduled audit of {process.code} "
            "(revise the programme to add one)",
        )
    return entry


def _new_audit(
    session: Session,
    process: Process,
    kind: str,
    start: date,
    end: date,
    details: Mapping[str, str],
) -> InternalAudit:
    unknown = set(details) - set(DETAILS)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"not an audit detail ({', '.join(DETAILS)})")
    title = text_for(InternalAudit, "title", details.get("title"))
    record = InternalAudit(
        title=title or f"{kind.replace('_', '-')} audit of {process.code}",
        process_id=process.id,
        audit_type=kind,
        planned_start=start,
        planned_end=end,
        previous_audit_id=_previous(session, process, start),
        data={},
    )
    for name, value in details.items():
        if name != "title":
            setattr(record, name, text_for(InternalAudit, name, value))
    return record


def _previous(session: Session, process: Process, start: date) -> int | None:
    return session.scalar(
        select(InternalAudit.id)
        .where(InternalAudit.process_id == process.id, InternalAudit.planned_start < start)
        .where(InternalAudit.state != "cancelled")
        .order_by(InternalAudit.planned_start.desc(), InternalAudit.id.desc())
        .limit(1)
    )


def edit(app: Services, actor: str, audit_id: int, details: Mapping[str, str]) -> InternalAudit:
    """Set the audit's scope, criteria, objectives, place, auditee or client before its plan."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "edit audits")
        record = audit(session, audit_id)
        if record.state not in EDITABLE_STATES:
            raise ValidationError(
                "audit", f"{record.reference} is {record.state}: its plan is issued and fixed"
            )
        for name, value in details.items():
            if name not in DETAILS:
                raise ValidationError(name, f"not an audit detail ({', '.join(DETAILS)})")
            setattr(record, name, text_for(InternalAudit, name, value))
        app.engine.note(session, record, "edit_plan", person, dict(details))
        commit(uow, record.reference)
        return record


def fire(
    app: Services,
    audit_id: int,
    trigger: str,
    actor: str,
    inputs: Mapping[str, Any] | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> HistoryEntry:
    """Fire a trigger; issuing the report freezes it and queues its e-mail, in one transaction."""
    values = dict(inputs or {})
    if trigger == "issue_report" and not values.get("report_recipients"):
        with app.database.reading() as session:
            found = audit(session, audit_id)
            values["report_recipients"] = audits_report.recipients_text(
                session, found, app.engine.today()
            )

    def after(session: Session, record: WorkflowRecord, entry: HistoryEntry) -> None:
        if trigger == "issue_report" and isinstance(record, InternalAudit):
            audits_report.freeze(app, session, record, entry.actor, "first issue")

    return shared.fire(
        app.database,
        app.engine,
        KIND,
        audit_id,
        trigger,
        actor,
        values,
        comment,
        expected_version,
        after,
    )
