"""The records a review counts, one query per table: nonconformities, audits, findings and
process reviews, as they stand now (:mod:`qms.services.reviews.asof` takes them back to
the moment the inputs were gathered; :mod:`qms.services.reviews.queries` reads the rest).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.models import (
    AuditFinding,
    ImprovementAction,
    InternalAudit,
    Nonconformity,
    Process,
    ProcessReview,
)
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.reviews.data import AuditInfo, FindingInfo, NcInfo, ProcessReviewInfo


def nonconformities(session: Session, today: date) -> list[NcInfo]:
    """Every nonconformity with the earliest due date of its open actions, in one query:
    the actions are grouped once, not looked up per nonconformity (the model's correlated
    ``action_due_date`` makes SQLite scan the actions again for each row)."""
    due = (
        select(
            ImprovementAction.nonconformity_id, func.min(ImprovementAction.due_date).label("due")
        )
        .where(
            ImprovementAction.nonconformity_id.is_not(None),
            ImprovementAction.state.in_(ACTION_OPEN_WORK),
        )
        .group_by(ImprovementAction.nonconformity_id)
        .subquery()
    )
    query = (
        select(
            Nonconformity.id,
            Nonconformity.title,
            Nonconformity.state,
            Nonconformity.severity,
            Nonconformity.source,
            Nonconformity.detected_on,
            Process.code,
            Nonconformity.is_repeat,
            due.c.due,
        )
        .join(Process, Nonconformity.process_id == Process.id)
        .outerjoin(due, due.c.nonconformity_id == Nonconformity.id)
    )
    return [_nc(row, today) for row in session.connection().execute(query)]


def _nc(row: Any, today: date) -> NcInfo:
    nc_id, title, state, severity, source, detected_on, process, is_repeat, due = row
    return NcInfo(
        nc_id, title, state, severity, source, detected_on, process, is_repeat, due, today
    )


def audits(session: Session) -> list[AuditInfo]:
    query = select(
        InternalAudit.id,
        InternalAudit.title,
        InternalAudit.state,
        Process.code,
        InternalAudit.planned_start,
    ).outerjoin(Process, InternalAudit.process_id == Process.id)
    return [AuditInfo(*row) for row in session.connection().execute(query)]


def findings(session: Session) -> list[FindingInfo]:
    query = select(
        AuditFinding.id,
        AuditFinding.audit_id,
        AuditFinding.finding_type,
        AuditFinding.state,
        Process.code,
        AuditFinding.title,
    ).outerjoin(Process, AuditFinding.process_id == Process.id)
    return [FindingInfo(*row) for row in session.connection().execute(query)]


def process_reviews(session: Session) -> list[ProcessReviewInfo]:
    query = select(ProcessReview, Process.code).join(
        Process, ProcessReview.process_id == Process.id
    )
    return [
        ProcessReviewInfo(
            r.id,
            code,
            r.state,
            r.field_value("held_on"),
            r.field_value("intended_results_met"),
            r.field_value("evaluation") or "",
        )
        for r, code in session.execute(query)
    ]
