"""The process map (clause 4.4): organisation, macro-processes, processes, people, roles."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, or_, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.models.base import Base, str_enum


class Role(enum.StrEnum):
    PILOT = "pilot"
    CORRESPONDENT = "correspondent"
    CONTRIBUTOR = "contributor"
    AUDITOR = "auditor"
    DIRECTOR = "director"
    QUALITY_MANAGER = "quality_manager"


PROCESS_ROLES = frozenset({Role.PILOT, Role.CORRESPONDENT, Role.CONTRIBUTOR})
ORGANISATION_ROLES = frozenset({Role.AUDITOR, Role.DIRECTOR, Role.QUALITY_MANAGER})


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    macro_processes: Mapped[list[MacroProcess]] = relationship(
        back_populates="organisation", order_by="MacroProcess.position"
    )


class MacroProcess(Base):
    __tablename__ = "macro_process"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship(back_populates="macro_processes")
    processes: Mapped[list[Process]] = relationship(
        back_populates="macro_process", order_by="Process.position"
    )


class Process(Base):
    __tablename__ = "process"

    id: Mapped[int] = mapped_column(primary_key=True)
    macro_process_id: Mapped[int] = mapped_column(ForeignKey("macro_process.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[list[Any]] = mapped_column(default=list)
    outputs: Mapped[list[Any]] = mapped_column(default=list)
    interfaces: Mapped[list[Any]] = mapped_column(default=list)
    resources: Mapped[list[Any]] = mapped_column(default=list)
    risks: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    retired_on: Mapped[date | None] = mapped_column(default=None)

    macro_process: Mapped[MacroProcess] = relationship(back_populates="processes")


class Notification(enum.StrEnum):
    """How a person gets their reminders: each one as it falls due, or one e-mail a day."""

    IMMEDIATE = "immediate"
    DAILY = "daily"


class Person(Base):
    """Someone named in the process map; active until ``inactive_from`` (clause 5.3).

    A person left out of the map, or marked ``active: false``, on a load dated in the
    future stays active until that date: ``active_on(day)`` answers for a given day, in
    Python and in SQL (``select(Person).where(Person.active_on(day))``).
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    inactive_from: Mapped[date | None] = mapped_column(default=None)
    notification: Mapped[Notification] = mapped_column(
        str_enum(Notification), default=Notification.IMMEDIATE, server_default="immediate"
    )

    @hybrid_method
    def active_on(self, day: date) -> bool:
        return self.inactive_from is None or day < self.inactive_from

    @active_on.expression
    @classmethod
    def _active_on_expression(cls, day: date) -> ColumnElement[bool]:
        return or_(cls.inactive_from.is_(None), cls.inactive_from > day)


class RoleAssignment(Base):
    """A person holds a role on a process (or the whole organisation) from one date to another.

    The interval is half-open: ``valid_from <= day < valid_to``; an open end is ``None``.
    """

    __tablename__ = "role_assignment"
    __table_args__ = (
        # At most one open pilot per process; overlaps of closed ones are refused by the service.
        Index(
            "uq_role_assignment_open_pilot",
            "process_id",
            unique=True,
            sqlite_where=text("role = 'pilot' AND valid_to IS NULL"),
            postgresql_where=text("role = 'pilot' AND valid_to IS NULL"),
        ),
        Index("ix_role_assignment_person_role", "person_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("process.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None] = mapped_column(default=None)

    person: Mapped[Person] = relationship()
    process: Mapped[Process | None] = relationship()

    def holds_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)
