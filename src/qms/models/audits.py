"""Internal audits (clause 9.2, ISO 19011): programme entries, audit teams, impartiality
exceptions, checklists and frozen report revisions.

The records that move through a workflow (the programme, the audit, its findings) live
in :mod:`qms.models.records`; the tables here hang off them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    case,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from qms.models.base import Base, str_enum
from qms.models.processmap import Person, Process
from qms.models.records import AuditProgramme, InternalAudit


class AuditType(enum.StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"
    FOLLOW_UP = "follow_up"


class TeamRole(enum.StrEnum):
    LEAD_AUDITOR = "lead_auditor"
    AUDITOR = "auditor"
    OBSERVER = "observer"
    TECHNICAL_EXPERT = "technical_expert"


class Answer(enum.StrEnum):
    CONFORM = "conform"
    NOT_CONFORM = "not_conform"
    NOT_APPLICABLE = "not_applicable"


class EntryState(enum.StrEnum):
    """Where a programme entry stands (clause 9.2.2): worked out from its audit, its
    process and its programme, never stored (an entry has no workflow of its own)."""

    PLANNED = "planned"  # no audit yet, or the audit's plan is not carried out yet
    STARTED = "started"  # the audit is open; its report is not issued
    DONE = "done"  # its report is issued
    CANCELLED = "cancelled"  # its audit was cancelled
    RETIRED = "retired"  # the process retires on or before the planned day
    NOT_CARRIED_OUT = "not_carried_out"  # the programme closed before the audit started


AUDIT_NOT_STARTED = ("planned", "plan_issued")
AUDIT_DONE = ("report_issued", "follow_up", "closed")


class ProgrammeEntry(Base):
    """One planned audit of one process in a cycle's programme (clause 9.2.2 a)."""

    __tablename__ = "audit_programme_entry"
    states: ClassVar[tuple[str, ...]] = tuple(EntryState)  # the values of ``state``

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("audit_programme.id"), index=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id"), index=True)
    planned_on: Mapped[date]
    lead_auditor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("internal_audit.id"), unique=True)

    programme: Mapped[AuditProgramme] = relationship()
    process: Mapped[Process] = relationship()
    lead_auditor: Mapped[Person | None] = relationship()
    audit: Mapped[InternalAudit | None] = relationship()
    if TYPE_CHECKING:  # mapped below: computed by the database from the audit and process
        state: Mapped[str]  # an EntryState

    @property
    def title(self) -> str:
        return f"audit of {self.process.code} planned in {self.planned_on:%B %Y}"


def entry_state(
    audit_state: str | None, programme_state: str, retired_on: date | None, planned_on: date
) -> EntryState:
    """The EntryState of an entry from its audit's state (None: no audit yet), its
    programme's and its process's retirement; ``_entry_state`` says the same in SQL."""
    not_started = audit_state is None or audit_state in AUDIT_NOT_STARTED
    if retired_on is not None and retired_on <= planned_on:
        return EntryState.RETIRED
    if not_started:
        return EntryState.NOT_CARRIED_OUT if programme_state == "closed" else EntryState.PLANNED
    if audit_state in AUDIT_DONE:
        return EntryState.DONE
    return EntryState.CANCELLED if audit_state == "cancelled" else EntryState.STARTED


def _entry_state() -> ColumnElement[str]:
    """The EntryState of an entry, as SQL (so the scheduler can filter on it)."""
    entry = ProgrammeEntry
    audit_state = (
        select(InternalAudit.state)
        .where(InternalAudit.id == entry.audit_id)
        .correlate_except(InternalAudit)
        .scalar_subquery()
    )
    retired_on = (
        select(Process.retired_on)
        .where(Process.id == entry.process_id)
        .correlate_except(Process)
        .scalar_subquery()
    )
    programme = (
        select(AuditProgramme.state)
        .where(AuditProgramme.id == entry.programme_id)
        .correlate_except(AuditProgramme)
        .scalar_subquery()
    )
    not_started = entry.audit_id.is_(None) | audit_state.in_(AUDIT_NOT_STARTED)
    return case(
        (retired_on <= entry.planned_on, EntryState.RETIRED.value),
        (not_started & (programme == "closed"), EntryState.NOT_CARRIED_OUT.value),
        (not_started, EntryState.PLANNED.value),
        (audit_state.in_(AUDIT_DONE), EntryState.DONE.value),
        (audit_state == "cancelled", EntryState.CANCELLED.value),
        else_=EntryState.STARTED.value,
    )


ProgrammeEntry.state = column_property(_entry_state())


class TeamMember(Base):
    """A person on an audit team; the lead auditor is also named by the audit itself."""

    __tablename__ = "audit_team_member"
    __table_args__ = (UniqueConstraint("audit_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[TeamRole] = mapped_column(str_enum(TeamRole))
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(64))

    person: Mapped[Person] = relationship()


class ImpartialityException(Base):
    """A quality manager's written approval for an auditor with a role on the audited
    process to audit it anyway (clause 9.2.2 c)."""

    __tablename__ = "impartiality_exception"
    __table_args__ = (UniqueConstraint("audit_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    conflicting_roles: Mapped[str] = mapped_column(String(200))
    justification: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    approved_at: Mapped[datetime]

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    approved_by: Mapped[Person] = relationship(foreign_keys=[approved_by_id])


class ChecklistItem(Base):
    """One question of an audit's checklist, and the auditor's answer with its evidence (or,
    for a question that does not apply, the reason why)."""

    __tablename__ = "audit_checklist_item"
    __table_args__ = (UniqueConstraint("audit_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    position: Mapped[int]
    clause: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[Answer | None] = mapped_column(str_enum(Answer))
    evidence: Mapped[str] = mapped_column(Text, default="")
    not_applicable_reason: Mapped[str] = mapped_column(Text, default="")  # ISO 19011 6.4.7
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answered_at: Mapped[datetime | None]

    answered_by: Mapped[Person | None] = relationship()


class ReportRevision(Base):
    """An issued audit report, frozen: its HTML and PDF as issued, with their hashes."""

    __tablename__ = "audit_report_revision"
    __table_args__ = (UniqueConstraint("audit_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    revision: Mapped[int]
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    html_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
