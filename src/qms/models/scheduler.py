"""The scheduler's own table (each try at sending an outbox message), and the indexes the
reminder planner reads through.

Planning asks each record kind for "open records whose date falls on or before a
day": an index on (state, date) answers it by reading only those records, so a pass
costs in proportion to the reminders due, not to the records open.  The outbox's own
columns for the scheduler (``recipient``, ``leased_by``) are in :mod:`qms.models.trail`.

``outbox_attempt`` keeps every try at sending a message, with its error: the outbox row
itself keeps only the latest (``last_error``) and how many tries failed (``attempts``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qms.models.base import Base, str_enum
from qms.models.records import (
    ImprovementAction,
    InternalAudit,
    ManagementReview,
    ProcessReview,
)

PLANNER_INDEXES = (
    Index(
        "ix_improvement_action_state_due_date", ImprovementAction.state, ImprovementAction.due_date
    ),
    Index(
        "ix_improvement_action_state_effectiveness_check_date",
        ImprovementAction.state,
        ImprovementAction.effectiveness_check_date,
    ),
    Index(
        "ix_internal_audit_state_planned_start", InternalAudit.state, InternalAudit.planned_start
    ),
    Index(
        "ix_management_review_state_planned_on", ManagementReview.state, ManagementReview.planned_on
    ),
    Index("ix_process_review_state_planned_on", ProcessReview.state, ProcessReview.planned_on),
)


class AttemptOutcome(enum.StrEnum):
    SENT = "sent"  # the server accepted it
    RETRY = "retry"  # failed for now (server down, 4xx): tried again later
    FAILED = "failed"  # refused for good (5xx): kept as failed


class OutboxAttempt(Base):
    """One try at handing an outbox message to the mail server, by one dispatcher."""

    __tablename__ = "outbox_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime]
    worker: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[AttemptOutcome] = mapped_column(str_enum(AttemptOutcome))
    error: Mapped[str] = mapped_column(Text, default="")
