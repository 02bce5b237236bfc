"""Records that move through a declared workflow, one table per record kind.

Every record carries its state, a version for optimistic locking (two people firing
on the same version: one wins, the other gets ConflictError), the name and content
hash of the workflow definition it started under, and a ``data`` document for the
values its workflow asks for that have no column of their own.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, Text, func, inspect, select
from sqlalchemy.orm import Mapped, column_property, declared_attr, mapped_column, relationship

from qms.models.base import Base
from qms.models.processmap import Person, Process


@cache
def _field_names(model: type[WorkflowRecord]) -> frozenset[str]:
    return frozenset(inspect(model).attrs.keys()) - model.computed_fields


class WorkflowRecord(Base):
    __abstract__ = True
    record_kind: ClassVar[str]
    # Columns qms works out from other records (not a person's input): not in the trail.
    derived_fields: ClassVar[frozenset[str]] = frozenset()
    # Read-only values computed by the database from other records: never set, never stored.
    computed_fields: ClassVar[frozenset[str]] = frozenset()

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
        # The engine sets the version: one more per trail row of the record, so that a
        # record's version is always the length of its trail (checked by `qms trail verify`)
        # and writes that are part of a step (a repeat flagged, a link set) do not move it.
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}

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
        # the open ones of some processes: the home page's worklist and the register
        Index("ix_nonconformity_process_state", "process_id", "state"),
    )
    record_kind = "nonconformity"
    derived_fields = frozenset({"is_repeat", "repeat_of_id"})  # repeat detection
    computed_fields = frozenset({"action_due_date"})  # from its corrective actions

    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20), default="minor")
    source: Mapped[str] = mapped_column(String(40), default="other")
    detected_on: Mapped[date | None]
    detected_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    cause_category: Mapped[str | None] = mapped_column(String(40))
    is_repeat: Mapped[bool] = mapped_column(default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"))

    detected_by: Mapped[Person | None] = relationship(foreign_keys=[detected_by_id])
    repeat_of: Mapped[Nonconformity | None] = relationship(remote_side="Nonconformity.id")
    if TYPE_CHECKING:  # mapped below, once ImprovementAction exists
        actions: Mapped[list[ImprovementAction]]  # its corrective actions
        action_due_date: Mapped[date | None]  # the earliest due date of the open ones


class ImprovementAction(WorkflowRecord):
    """An action tracked to a verified result: correction, corrective, preventive, improvement."""

    __tablename__ = "improvement_action"
    __table_args__ = (
        # the open ones of some processes, by due date: the worklist and the register
        Index("ix_improvement_action_process_state_due", "process_id", "state", "due_date"),
        # the open ones a person owns: the worklist
        Index("ix_improvement_action_owner_state", "owner_id", "state"),
        # a nonconformity's open corrective actions and their earliest due date
        Index("ix_improvement_action_nc_state_due", "nonconformity_id", "state", "due_date"),
    )
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
    nonconformity: Mapped[Nonconformity | None] = relationship(back_populates="actions")


# An action is open while it is being worked on; its due date can then pass.
ACTION_OPEN_STATES = ("proposed", "approved", "in_progress")

# A nonconformity's corrective actions are action records (clause 10.2.1 c): the register
# of actions holds them once, and the nonconformity's "action due" is the earliest due
# date of its open ones, computed by the database (so lists can filter and sort on it).
Nonconformity.actions = relationship(
    ImprovementAction, back_populates="nonconformity", order_by=ImprovementAction.id, viewonly=True
)
Nonconformity.action_due_date = column_property(
    select(func.min(ImprovementAction.due_date))
    .where(
        ImprovementAction.nonconformity_id == Nonconformity.id,
        ImprovementAction.state.in_(ACTION_OPEN_STATES),
    )
    .correlate_except(ImprovementAction)
    .scalar_subquery()
)


class AuditProgramme(WorkflowRecord):
    """The internal audit programme of one cycle (clause 9.2.2 a); its entries are in audits.py."""

    __tablename__ = "audit_programme"
    record_kind = "audit_programme"

    cycle: Mapped[int] = mapped_column(unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class InternalAudit(WorkflowRecord):
    """One audit of one process (clause 9.2); team, checklist and reports are in audits.py."""

    __tablename__ = "internal_audit"
    record_kind = "internal_audit"

    scope: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    lead_auditor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    planned_start: Mapped[date | None]
    audit_type: Mapped[str] = mapped_column(String(20), default="internal")
    planned_end: Mapped[date | None]
    location: Mapped[str] = mapped_column(Text, default="")
    auditee: Mapped[str] = mapped_column(Text, default="")
    audit_client: Mapped[str] = mapped_column(String(200), default="")
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("audit_programme.id"), index=True)
    previous_audit_id: Mapped[int | None] = mapped_column(ForeignKey("internal_audit.id"))

    lead_auditor: Mapped[Person | None] = relationship(foreign_keys=[lead_auditor_id])
    programme: Mapped[AuditProgramme | None] = relationship()
    previous_audit: Mapped[InternalAudit | None] = relationship(remote_side="InternalAudit.id")


class AuditFinding(WorkflowRecord):
    """A finding of an audit, citing its criterion and evidence; a nonconformity finding
    links to the nonconformity and the corrective action it raised."""

    __tablename__ = "audit_finding"
    record_kind = "audit_finding"

    audit_id: Mapped[int | None] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    finding_type: Mapped[str] = mapped_column(String(40), default="observation")
    criterion: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    grade: Mapped[str | None] = mapped_column(String(20))
    found_on: Mapped[date | None]
    nonconformity_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_action.id"))

    audit: Mapped[InternalAudit | None] = relationship()
    nonconformity: Mapped[Nonconformity | None] = relationship()
    action: Mapped[ImprovementAction | None] = relationship()


class ManagementReview(WorkflowRecord):
    """Top management's review (clause 9.3) of the period ``period_start``..``period_end``."""

    __tablename__ = "management_review"
    record_kind = "management_review"

    planned_on: Mapped[date | None]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    previous_review_id: Mapped[int | None] = mapped_column(ForeignKey("management_review.id"))

    previous_review: Mapped[ManagementReview | None] = relationship(
        remote_side="ManagementReview.id"
    )


class ProcessReview(WorkflowRecord):
    """A pilot's yearly review of their process (clauses 4.4, 9.1.3)."""

    __tablename__ = "process_review"
    record_kind = "process_review"

    planned_on: Mapped[date | None]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    previous_review_id: Mapped[int | None] = mapped_column(ForeignKey("process_review.id"))

    previous_review: Mapped[ProcessReview | None] = relationship(remote_side="ProcessReview.id")


# Columns the engine keeps itself: never a person's input, so neither in a record's first
# trail row nor replayed from its trail.
ENGINE_COLUMNS = frozenset(
    {"id", "state", "version", "data", "workflow_name", "workflow_hash", "created_at",
     "updated_at"}
)  # fmt: skip

RECORD_MODELS: dict[str, type[WorkflowRecord]] = {
    model.record_kind: model
    for model in (
        ImprovementAction,
        Nonconformity,
        InternalAudit,
        AuditFinding,
        AuditProgramme,
        ManagementReview,
        ProcessReview,
    )
}
