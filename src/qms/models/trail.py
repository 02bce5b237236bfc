"""The audit trail (clause 7.5), stored workflow versions and the outbox.

``workflow_history`` is append-only: the database refuses UPDATE and DELETE on it
(triggers created by the migration), and each row carries the hash of the previous
row, so ``qms trail verify`` finds any row changed or removed behind qms's back.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qms.models.base import Base, str_enum

GENESIS_HASH = "0" * 64


class WorkflowVersion(Base):
    """A workflow definition as it was when a record first used it, by content hash."""

    __tablename__ = "workflow_version"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    definition: Mapped[dict[str, Any]]
    first_used_at: Mapped[datetime]


class HistoryEntry(Base):
    __tablename__ = "workflow_history"
    __table_args__ = (Index("ix_workflow_history_record", "record_kind", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    inputs: Mapped[dict[str, Any]]
    comment: Mapped[str] = mapped_column(Text, default="")
    workflow_name: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int]
    workflow_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (again, after a temporary failure)
    SENT = "sent"
    FAILED = "failed"  # refused for good (e.g. unknown mailbox); kept, retried on request
    HANDLED = "handled"  # needed no e-mail (an engine event, a reminder for a closed record)


class OutboxMessage(Base):
    """Something to tell the world, written in the same transaction as the change it reports.

    ``dedupe_key`` is unique: writing the same message twice stores it once.  The
    scheduler's dispatcher claims pending rows with a lease (``leased_until``, and
    ``leased_by`` the worker holding it); a lease that expires is claimed again.
    ``recipient`` is the handle of the person a reminder or digest is for.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_available", "status", "available_at"),
        Index("ix_outbox_recipient_topic_status", "recipient", "topic", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str | None] = mapped_column(String(64), default=None)
    leased_by: Mapped[str | None] = mapped_column(String(64), default=None)
