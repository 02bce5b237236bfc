"""What the audit services show without changing anything: the audits of a cycle, a
programme's entries (its coverage is in ``coverage``), a checklist, the findings of an audit
and those carried over from the previous one, and the previous results that bring a process's
audit forward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from qms.bootstrap import Services
from qms.models import (
    AuditFinding,
    AuditProgramme,
    ChecklistItem,
    ImprovementAction,
    InternalAudit,
    Nonconformity,
    Process,
    ProgrammeEntry,
)
from qms.services.audits.common import cycle_bounds
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.shared import months_before

CLOSED_STATES = ("closed", "withdrawn", "unresolved")


@dataclass(frozen=True)
class AuditRow:
    id: int
    process: str
    audit_type: str
    state: str
    planned_start: date | None
    planned_end: date | None
    lead_auditor: str | None
    title: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def audit_rows(
    session: Session, cycle: int | None = None, process: str | None = None
) -> list[AuditRow]:
    query = select(InternalAudit).order_by(InternalAudit.planned_start, InternalAudit.id)
    if cycle is not None:
        start, end = cycle_bounds(cycle)
        query = query.where(InternalAudit.planned_start.between(start, end))
    if process is not None:
        query = query.join(Process, Process.id == InternalAudit.process_id).where(
            Process.code == process
        )
    return [
        AuditRow(
            a.id,
            a.process.code if a.process else "-",
            a.audit_type,
            a.state,
            a.planned_start,
            a.planned_end,
            a.lead_auditor.handle if a.lead_auditor else None,
            a.title,
        )
        for a in session.scalars(query)
    ]


@dataclass(frozen=True)
class EntryRow:
    id: int
    process: str
    process_name: str
    planned_on: date
    lead_auditor: str | None
    reason: str
    audit_id: int | None
    audit_state: str | None
    state: str  # an EntryState: planned, started, done, cancelled, retired...
    retired_on: date | None  # the process's retirement, if it has one

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "month": self.planned_on.strftime("%Y-%m")}


def entries(session: Session, programme: AuditProgramme) -> list[EntryRow]:
    rows = session.scalars(
        select(ProgrammeEntry)
        .where(ProgrammeEntry.programme_id == programme.id)
        .options(
            joinedload(ProgrammeEntry.process),
            joinedload(ProgrammeEntry.lead_auditor),
            joinedload(ProgrammeEntry.audit),
        )
        .order_by(ProgrammeEntry.planned_on, ProgrammeEntry.id)
    )
    return [
        EntryRow(
            e.id,
            e.process.code,
            e.process.name,
            e.planned_on,
            e.lead_auditor.handle if e.lead_auditor else None,
            e.reason,
            e.audit_id,
            e.audit.state if e.audit else None,
            e.state,
            e.process.retired_on,
        )
        for e in rows
    ]


def previous_results(app: Services, session: Session, process: Process, start: date) -> str | None:
    """Why a process must be audited early: a major NC or an overdue corrective action."""
    prev_start, prev_end = months_before(start, 12), date(start.year - 1, 12, 31)
    worst = app.settings.severities[0]
    major = session.scalar(
        select(Nonconformity.id).where(
            Nonconformity.process_id == process.id,
            Nonconformity.severity == worst,
            Nonconformity.detected_on.between(prev_start, prev_end),
            Nonconformity.state != "cancelled",
        )
    )
    if major is not None:
        return f"{worst} nonconformity #{major} in {start.year - 1}"
    late = session.scalar(
        select(ImprovementAction.id).where(
            ImprovementAction.process_id == process.id,
            ImprovementAction.kind == "corrective",
            ImprovementAction.due_date.between(prev_start, prev_end),
            ImprovementAction.state.in_(ACTION_OPEN_WORK),
        )
    )
    return None if late is None else f"corrective action #{late} overdue since {start.year - 1}"


def checklist_items(session: Session, audit_id: int) -> list[ChecklistItem]:
    return list(
        session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.audit_id == audit_id)
            .order_by(ChecklistItem.position)
        )
    )


@dataclass(frozen=True)
class ItemRow:
    id: int
    position: int
    clause: str
    question: str
    answer: str | None
    evidence: str
    reason: str  # why it does not apply, for a not_applicable answer
    answered_by: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def checklist_rows(session: Session, audit_id: int) -> list[ItemRow]:
    return [
        ItemRow(
            i.id,
            i.position,
            i.clause,
            i.question,
            i.answer.value if i.answer else None,
            i.evidence,
            i.not_applicable_reason,
            i.answered_by.handle if i.answered_by else None,
        )
        for i in checklist_items(session, audit_id)
    ]


def findings_of(session: Session, audit_id: int) -> list[AuditFinding]:
    return list(
        session.scalars(
            select(AuditFinding).where(AuditFinding.audit_id == audit_id).order_by(AuditFinding.id)
        )
    )


def carried_over(session: Session, record: InternalAudit) -> list[AuditFinding]:
    """Findings of the previous audit of the same process that are still open."""
    if record.previous_audit_id is None:
        return []
    return [
        f for f in findings_of(session, record.previous_audit_id) if f.state not in CLOSED_STATES
    ]


@dataclass(frozen=True)
class FindingRow:
    id: int
    audit_id: int | None
    finding_type: str
    grade: str | None
    state: str
    title: str
    criterion: str
    evidence: str
    nonconformity_id: int | None
    action_id: int | None
    action_due_date: date | None
    checklist_item_id: int | None  # the checklist item it rests on
    outside_checklist_reason: str  # or why it lies outside the checklist

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _finding_row(finding: AuditFinding) -> FindingRow:
    return FindingRow(
        finding.id,
        finding.audit_id,
        finding.finding_type,
        finding.grade,
        finding.state,
        finding.title,
        finding.criterion,
        finding.evidence,
        finding.nonconformity_id,
        finding.action_id,
        finding.action.due_date if finding.action else None,
        finding.data.get("checklist_item_id"),
        str(finding.data.get("outside_checklist_reason") or ""),
    )


def finding_rows(session: Session, audit_id: int) -> list[FindingRow]:
    return [_finding_row(f) for f in findings_of(session, audit_id)]
