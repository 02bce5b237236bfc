"""Internal audits (clause 9.2, ISO 19011): programme entries, audit teams, impartiality
exceptions, checklists and frozen report revisions.

The records that move through a workflow (the programme, the audit, its findings) live
in :mod:`qms.models.records`; the tables here hang off them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class ProgrammeEntry(Base):
    """One planned audit of one process in a cycle's programme (clause 9.2.2 a)."""

    __tablename__ = "audit_programme_entry"

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
    """One question of an audit's checklist, and the auditor's answer with its evidence."""

    __tablename__ = "audit_checklist_item"
    __table_args__ = (UniqueConstraint("audit_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    position: Mapped[int]
    clause: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[Answer | None] = mapped_column(str_enum(Answer))
    evidence: Mapped[str] = mapped_column(Text, default="")
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
