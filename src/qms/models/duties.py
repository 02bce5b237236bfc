"""Exceptions to the segregation of duties (clause 5.3), granted by a quality manager.

A transition can name who may not fire it (``not_by:`` in its workflow: the action's
owner may not approve it or judge its effectiveness). The only way round is an exception
a quality manager records for one person, one record and one trigger, with a reason; it
is used once, by the fire it allowed, and both are in the record's trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.models.base import Base
from qms.models.processmap import Person


class DutyException(Base):
    __tablename__ = "duty_exception"
    __table_args__ = (Index("ix_duty_exception_record", "record_kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    granted_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_history_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_history.id"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    granted_by: Mapped[Person] = relationship(foreign_keys=[granted_by_id])
