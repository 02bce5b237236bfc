"""Records that move through a declared workflow, one table per record kind.

Every record carries its state, a version for optimistic locking (two people firing
on the same version: one wins, the other gets ConflictError), the name and content
hash of the workflow definition it started under, and a ``data`` document for the
values its workflow asks for that have no column of their own.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, Text, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from qms.models.base import Base
from qms.models.processmap import Person, Process


@cache
def _field_names(model: type[Base]) -> frozenset[str]:
    return frozenset(inspect(model).attrs.keys())


class WorkflowRecord(Base):
    __abstract__ = True
    record_kind: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(default=1)
    workflow_name: Mapped[str] = mapped_column(String(64))
    workflow_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy passes the class
        return {"version_id_col": cls.__table__.c.version}

    @declared_attr
    def process_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("process.id"), index=True)

    @declared_attr
    def process(cls) -> Mapped[Process | None]:  # noqa: N805
        return relationship(Process)

    @property
    def reference(self) -> str:
        return f"{self.record_kind} #{self.id}"

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """The mapped attributes (columns and relationships) of this kind of record."""
        return _field_names(cls)

    def has_field(self, name: str) -> bool:
        return name in _field_names(type(self))

    def field_value(self, name: str) -> Any:
        """A column or relationship of that name, else the value kept in ``data``."""
        if self.has_field(name) and name != "data":
            return getattr(self, name)
        return (self.data or {}).get(name)

    def set_field(self, name: str, value: Any) -> None:
        if self.has_field(name) and name not in ("data", "state", "version", "id"):
            setattr(self, name, value)
            return
        stored = value.isoformat() if isinstance(value, date) else value
        self.data = {**(self.data or {}), name: stored}


class Nonconformity(WorkflowRecord):
    """A failure to meet a requirement (clause 10.2)."""

    __tablename__ = "nonconformity"
    __table_args__ = (
        Index("ix_nonconformity_repeat_lookup", "process_id", "cause_category", "detected_on"),
    )
    record_kind = "nonconformity"

    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20), default="minor")
    source: Mapped[str] = mapped_column(String(40), default="other")
    detected_on: Mapped[date | None]
    detected_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    cause_category: Mapped[str | None] = mapped_column(String(40))
    action_due_date: Mapped[date | None] = mapped_column(index=True)
    is_repeat: Mapped[bool] = mapped_column(default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"))

    detected_by: Mapped[Person | None] = relationship(foreign_keys=[detected_by_id])
    repeat_of: Mapped[Nonconformity | None] = relationship(remote_side="Nonconformity.id")


class ImprovementAction(WorkflowRecord):
    """An action tracked to a verified result: correction, corrective, preventive, improvement."""

    __tablename__ = "improvement_action"
    record_kind = "improvement_action"

    kind: Mapped[str] = mapped_column(String(20), default="improvement")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    origin: Mapped[str] = mapped_column(String(30), default="suggestion")
    origin_ref: Mapped[str] = mapped_column(String(60), default="")
    nonconformity_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"), index=True)
    effectiveness_criteria: Mapped[str] = mapped_column(Text, default="")
    effectiveness_check_date: Mapped[date | None]

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    nonconformity: Mapped[Nonconformity | None] = relationship()


class InternalAudit(WorkflowRecord):
    __tablename__ = "internal_audit"
    record_kind = "internal_audit"

    scope: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    lead_auditor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    planned_start: Mapped[date | None]

    lead_auditor: Mapped[Person | None] = relationship(foreign_keys=[lead_auditor_id])


class AuditFinding(WorkflowRecord):
    __tablename__ = "audit_finding"
    record_kind = "audit_finding"

    audit_id: Mapped[int | None] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    finding_type: Mapped[str] = mapped_column(String(40), default="observation")
    criterion: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")

    audit: Mapped[InternalAudit | None] = relationship()


class ManagementReview(WorkflowRecord):
    __tablename__ = "management_review"
    record_kind = "management_review"

    planned_on: Mapped[date | None]


class ProcessReview(WorkflowRecord):
    __tablename__ = "process_review"
    record_kind = "process_review"

    planned_on: Mapped[date | None]


RECORD_MODELS: dict[str, type[WorkflowRecord]] = {
    model.record_kind: model
    for model in (
        ImprovementAction,
        Nonconformity,
        InternalAudit,
        AuditFinding,
        ManagementReview,
        ProcessReview,
    )
}
