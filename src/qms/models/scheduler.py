"""Indexes the reminder planner reads through (the scheduler adds no table of its own).

Planning asks each record kind for "open records whose date falls on or before a
day": an index on (state, date) answers it by reading only those records, so a pass
costs in proportion to the reminders due, not to the records open.  The outbox's own
columns for the scheduler (``recipient``, ``leased_by``) are in :mod:`qms.models.trail`.
"""

from __future__ import annotations

from sqlalchemy import Index

from qms.models.records import (
    ImprovementAction,
    InternalAudit,
    ManagementReview,
    Nonconformity,
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
        "ix_nonconformity_state_action_due_date", Nonconformity.state, Nonconformity.action_due_date
    ),
    Index(
        "ix_internal_audit_state_planned_start", InternalAudit.state, InternalAudit.planned_start
    ),
    Index(
        "ix_management_review_state_planned_on", ManagementReview.state, ManagementReview.planned_on
    ),
    Index("ix_process_review_state_planned_on", ProcessReview.state, ProcessReview.planned_on),
)
