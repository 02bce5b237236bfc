"""The audit trail (clause 7.5), its seals, stored workflow versions and the outbox.

``workflow_history`` is append-only: the database refuses UPDATE and DELETE on it, and
an INSERT over an existing row or one that goes back in time within its record's chain
(triggers created by the migrations; ``TRAIL_TRIGGERS`` names them for ``qms db check``).
Each record's rows form a chain: each row names the previous row of its record
(``prev_id``, ``prev_hash``) and its position (``seq``), and is signed with a key kept
outside the database (``key_id``).  Seals (``trail_seal``) are signed checkpoints of
every chain's head, so ``qms trail verify`` detects rows changed, added, removed or
cut off behind qms's back.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qms.models.base import Base, str_enum

GENESIS_HASH = "0" * 64
UNKEYED = ""  # key_id of the rows written before the trail was keyed (plain SHA-256)

# The append-only triggers of the trail and its seals, by dialect.
TRAIL_TRIGGERS = {
    "sqlite": (
        "workflow_history_no_update",
        "workflow_history_no_delete",
        "workflow_history_no_overwrite",
        "workflow_history_in_time_order",
        "trail_seal_no_update",
        "trail_seal_no_delete",
        "trail_seal_head_no_update",
        "trail_seal_head_no_delete",
    ),
    "postgresql": (
        "workflow_history_no_change",
        "workflow_history_no_truncate",
        "workflow_history_in_time_order",
        "trail_seal_no_change",
        "trail_seal_no_truncate",
        "trail_seal_head_no_change",
        "trail_seal_head_no_truncate",
    ),
}


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
    __table_args__ = (UniqueConstraint("record_kind", "record_id", "seq"),)

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
    seq: Mapped[int]  # position in its record's chain, from 1
    prev_id: Mapped[int | None]  # the row before it in its record's chain
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16), default=UNKEYED)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class TrailSeal(Base):
    """A signed checkpoint of the trail: how many rows, and the Merkle root of every
    record chain's head at that moment.  ``trail_seal_head`` holds the heads of the chains
    that changed since the seal before, so each seal stays small."""

    __tablename__ = "trail_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    sealed_at: Mapped[datetime]
    sealed_by: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    chains: Mapped[int]
    last_id: Mapped[int]
    root: Mapped[str] = mapped_column(String(64))
    unkeyed_rows: Mapped[int]  # rows from before the trail was keyed, covered by this seal
    unkeyed_last_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))


class TrailSealHead(Base):
    """The head of one record's chain as a seal saw it."""

    __tablename__ = "trail_seal_head"
    __table_args__ = (Index("ix_trail_seal_head_chain", "record_kind", "record_id", "seal_id"),)

    seal_id: Mapped[int] = mapped_column(ForeignKey("trail_seal.id"), primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    row_id: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


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
