"""What a review looks at, read in a fixed number of queries whatever the size of the year.

:func:`load` reads the indicators with their last 24 periods, the breaches, the actions,
nonconformities, audits and findings, the previous review's decisions, changes to the
process map and the notes written for the review: one query each, never one per row.
A process review reads the same, narrowed to its process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from qms.models import (
    AuditFinding,
    BreachProposal,
    ImprovementAction,
    Indicator,
    InternalAudit,
    Nonconformity,
    Person,
    Process,
    ProcessReview,
    ReviewDecision,
    ReviewNote,
    RoleAssignment,
)
from qms.services.capa import stats
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.indicators import series as indicators_series
from qms.services.reviews.data import (
    ActionInfo,
    AuditInfo,
    BreachInfo,
    DecisionInfo,
    FindingInfo,
    NcInfo,
    ProcessReviewInfo,
    ReviewData,
    RoleChange,
    Scope,
)


def load(session: Session, scope: Scope) -> ReviewData:
    pairs = _indicators(session, scope.process)
    indicators = [indicator for indicator, _, _ in pairs]
    values = indicators_series.values_of(session, [i.id for i in indicators])
    all_actions = _actions(session, scope.today)
    return ReviewData(
        scope=scope,
        series=indicators_series.series_of(indicators, values, scope.end + timedelta(days=1)),
        missing=indicators_series.missing_of(pairs, values, scope.today, scope.start),
        breaches=_breaches(session, scope),
        actions=_only(all_actions, scope.process),
        nonconformities=_only(_nonconformities(session, scope.today), scope.process),
        audits=_only(_audits(session), scope.process),
        findings=_only(_findings(session), scope.process),
        previous_decisions=_decisions(session, scope, {a.id: a for a in all_actions}),
        role_changes=_role_changes(session, scope),
        process_reviews=_only(_process_reviews(session), scope.process),
        notes=_notes(session, scope),
        process_of={indicator.id: code for indicator, code, _ in pairs},
        close_days=_close_days(session),
    )


def _close_days(session: Session) -> dict[int, int]:
    days = stats.milestone_days(session, "improvement_action", {"close": "closed"})
    return {record_id: steps["close"] for record_id, steps in days.items() if "close" in steps}


def _only(rows: Sequence[Any], process: str | None) -> list[Any]:
    return list(rows) if process is None else [r for r in rows if r.process == process]


def _indicators(session: Session, process: str | None) -> list[tuple[Indicator, str, str | None]]:
    query = (
        select(Indicator, Process.code, Person.handle)
        .join(Process, Indicator.process_id == Process.id)
        .outerjoin(Person, Indicator.owner_id == Person.id)
        .where(Indicator.retired_on.is_(None))
        .order_by(Process.code, Indicator.position)
    )
    if process is not None:
        query = query.where(Process.code == process)
    return [(indicator, code, owner) for indicator, code, owner in session.execute(query)]


def _breaches(session: Session, scope: Scope) -> list[BreachInfo]:
    start = datetime.combine(scope.start, time(), tzinfo=UTC)
    end = datetime.combine(scope.end + timedelta(days=1), time(), tzinfo=UTC)
    query = (
        select(BreachProposal, Indicator.code, Process.code)
        .join(Indicator, BreachProposal.indicator_id == Indicator.id)
        .join(Process, Indicator.process_id == Process.id)
        .where(BreachProposal.raised_at >= start, BreachProposal.raised_at < end)
        .order_by(BreachProposal.raised_at)
    )
    rows = [
        BreachInfo(
            b.id, code, pcode, b.period, b.value, b.threshold, b.state.value, b.action_id, b.reason
        )
        for b, code, pcode in session.execute(query)
    ]
    return _only(rows, scope.process)


def _action(row: Any, today: date) -> ActionInfo:
    state, due = row[2], row[4]
    is_open = state in ACTION_OPEN_WORK
    late = (today - due).days if is_open and due is not None and due < today else 0
    return ActionInfo(
        row[0], row[1], state, row[3], due, row[5], row[6], row[7], row[8], is_open, late
    )


def _actions(session: Session, today: date) -> list[ActionInfo]:
    owner = aliased(Person)
    query = (
        select(
            ImprovementAction.id,
            ImprovementAction.title,
            ImprovementAction.state,
            ImprovementAction.kind,
            ImprovementAction.due_date,
            ImprovementAction.origin,
            Process.code,
            owner.handle,
            ImprovementAction.data["effectiveness_result"].as_string(),
        )
        .join(Process, ImprovementAction.process_id == Process.id)
        .outerjoin(owner, ImprovementAction.owner_id == owner.id)
        .order_by(ImprovementAction.id)
    )
    return [_action(row, today) for row in session.connection().execute(query)]


def _nonconformities(session: Session, today: date) -> list[NcInfo]:
    query = select(
        Nonconformity.id,
        Nonconformity.title,
        Nonconformity.state,
        Nonconformity.severity,
        Nonconformity.source,
        Nonconformity.detected_on,
        Process.code,
        Nonconformity.is_repeat,
        Nonconformity.action_due_date,
    ).join(Process, Nonconformity.process_id == Process.id)
    return [NcInfo(*row, today) for row in session.connection().execute(query)]


def _audits(session: Session) -> list[AuditInfo]:
    query = select(
        InternalAudit.id,
        InternalAudit.title,
        InternalAudit.state,
        Process.code,
        InternalAudit.planned_start,
    ).outerjoin(Process, InternalAudit.process_id == Process.id)
    return [AuditInfo(*row) for row in session.connection().execute(query)]


def _findings(session: Session) -> list[FindingInfo]:
    query = select(
        AuditFinding.id,
        AuditFinding.audit_id,
        AuditFinding.finding_type,
        AuditFinding.state,
        Process.code,
        AuditFinding.title,
    ).outerjoin(Process, AuditFinding.process_id == Process.id)
    return [FindingInfo(*row) for row in session.connection().execute(query)]


def _decisions(
    session: Session, scope: Scope, actions: dict[int, ActionInfo]
) -> list[DecisionInfo]:
    if scope.previous_id is None:
        return []
    query = (
        select(ReviewDecision)
        .where(
            ReviewDecision.review_kind == scope.kind,
            ReviewDecision.review_id == scope.previous_id,
        )
        .order_by(ReviewDecision.id)
    )
    return [
        DecisionInfo(d.id, d.category, d.title, actions[d.action_id])
        for d in session.scalars(query)
        if d.action_id in actions
    ]


def _role_changes(session: Session, scope: Scope) -> list[RoleChange]:
    """Roles taken up or handed over during the period (the first load is not a change)."""
    first = session.scalar(select(func.min(RoleAssignment.valid_from)))
    query = (
        select(RoleAssignment, Person.name, Process.code)
        .join(Person, RoleAssignment.person_id == Person.id)
        .outerjoin(Process, RoleAssignment.process_id == Process.id)
        .where(
            (RoleAssignment.valid_from.between(scope.start, scope.end))
            | (RoleAssignment.valid_to.between(scope.start, scope.end))
        )
        .order_by(RoleAssignment.valid_from)
    )
    changes = []
    for assignment, name, code in session.execute(query):
        where = code or "the institution"
        if assignment.valid_from != first and scope.start <= assignment.valid_from <= scope.end:
            text = f"{name} became {assignment.role.value} of {where}"
            changes.append(RoleChange(assignment.valid_from, text))
        if assignment.valid_to is not None and scope.start <= assignment.valid_to <= scope.end:
            text = f"{name} is no longer {assignment.role.value} of {where}"
            changes.append(RoleChange(assignment.valid_to, text))
    return sorted(changes, key=lambda c: c.day)


def _process_reviews(session: Session) -> list[ProcessReviewInfo]:
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


def _notes(session: Session, scope: Scope) -> dict[str, str]:
    query = (
        select(ReviewNote.section, ReviewNote.text)
        .where(ReviewNote.review_kind == scope.kind, ReviewNote.review_id == scope.review_id)
        .order_by(ReviewNote.id)
    )
    return dict(session.execute(query).all())  # ordered by id: the latest note wins
