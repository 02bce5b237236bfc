"""What a review looks at, read in a fixed number of queries whatever the size of the year.

:func:`load` reads the indicators with their last 24 periods, the breaches, the actions,
nonconformities, audits and findings, the previous review's decisions, changes to the
process map and the notes written for the review: one query each, never one per row.
A process review reads the same, narrowed to its process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    ReviewKind,
    ReviewNote,
    RoleAssignment,
)
from qms.services import indicators_series, stats
from qms.services.capa import ACTION_OPEN_WORK, NC_OPEN_WORK
from qms.services.indicators_series import MissingRow, Series


@dataclass(frozen=True)
class Scope:
    kind: ReviewKind
    review_id: int
    start: date
    end: date
    today: date
    previous_id: int | None = None
    process: str | None = None  # a process review looks at one process


@dataclass(frozen=True)
class ActionInfo:
    id: int
    title: str
    state: str
    kind: str
    due_date: date | None
    origin: str
    origin_ref: str
    process: str
    owner: str | None
    created_on: date
    effectiveness: str | None
    today: date

    @property
    def is_open(self) -> bool:
        return self.state in ACTION_OPEN_WORK

    @property
    def days_overdue(self) -> int:
        if self.due_date is None or not self.is_open or self.due_date >= self.today:
            return 0
        return (self.today - self.due_date).days


@dataclass(frozen=True)
class NcInfo:
    id: int
    title: str
    state: str
    severity: str
    source: str
    detected_on: date | None
    process: str
    is_repeat: bool
    action_due_date: date | None
    today: date

    @property
    def overdue(self) -> bool:
        due = self.action_due_date
        return due is not None and due < self.today and self.state in NC_OPEN_WORK


@dataclass(frozen=True)
class AuditInfo:
    id: int
    title: str
    state: str
    process: str | None
    planned_start: date | None


@dataclass(frozen=True)
class FindingInfo:
    id: int
    audit_id: int | None
    finding_type: str
    state: str
    process: str | None
    title: str


@dataclass(frozen=True)
class DecisionInfo:
    id: int
    category: str
    title: str
    action: ActionInfo


@dataclass(frozen=True)
class BreachInfo:
    id: int
    indicator: str
    process: str
    period: str
    value: float
    threshold: float
    state: str
    action_id: int | None
    reason: str


@dataclass(frozen=True)
class RoleChange:
    day: date
    what: str


@dataclass(frozen=True)
class ProcessReviewInfo:
    id: int
    process: str
    state: str
    held_on: str | None
    intended_results_met: str | None
    evaluation: str


@dataclass
class ReviewData:
    scope: Scope
    series: list[Series]
    missing: list[MissingRow]
    breaches: list[BreachInfo]
    actions: list[ActionInfo]
    nonconformities: list[NcInfo]
    audits: list[AuditInfo]
    findings: list[FindingInfo]
    previous_decisions: list[DecisionInfo]
    role_changes: list[RoleChange]
    process_reviews: list[ProcessReviewInfo]
    notes: dict[str, str]
    process_of: dict[int, str] = field(default_factory=dict)  # indicator id -> process code
    action_figures: list[stats.ProcessFigures] = field(default_factory=list)

    def in_period(self, day: date | None) -> bool:
        return day is not None and self.scope.start <= day <= self.scope.end


def load(session: Session, scope: Scope) -> ReviewData:
    pairs = _indicators(session, scope.process)
    indicators = [indicator for indicator, _ in pairs]
    all_actions = _actions(session, scope.today)
    return ReviewData(
        scope=scope,
        series=indicators_series.series(session, indicators, scope.end + timedelta(days=1)),
        missing=[
            m
            for m in indicators_series.missing(session, scope.today, scope.start)
            if scope.process in (None, m.process)
        ],
        breaches=_breaches(session, scope),
        actions=_only(all_actions, scope.process),
        nonconformities=_only(_nonconformities(session, scope.today), scope.process),
        audits=_only(_audits(session), scope.process),
        findings=_only(_findings(session), scope.process),
        previous_decisions=_decisions(session, scope, {a.id: a for a in all_actions}),
        role_changes=_role_changes(session, scope),
        process_reviews=_only(_process_reviews(session), scope.process),
        notes=_notes(session, scope),
        process_of={indicator.id: code for indicator, code in pairs},
        action_figures=stats.action_figures(session, scope.today),
    )


def _only(rows: Sequence[Any], process: str | None) -> list[Any]:
    return list(rows) if process is None else [r for r in rows if r.process == process]


def _indicators(session: Session, process: str | None) -> list[tuple[Indicator, str]]:
    query = (
        select(Indicator, Process.code)
        .join(Process, Indicator.process_id == Process.id)
        .where(Indicator.retired_on.is_(None))
        .order_by(Process.code, Indicator.position)
    )
    if process is not None:
        query = query.where(Process.code == process)
    return [(indicator, code) for indicator, code in session.execute(query)]


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
            ImprovementAction.origin_ref,
            Process.code,
            owner.handle,
            ImprovementAction.created_at,
            ImprovementAction.data,
        )
        .join(Process, ImprovementAction.process_id == Process.id)
        .outerjoin(owner, ImprovementAction.owner_id == owner.id)
        .order_by(ImprovementAction.id)
    )
    return [
        ActionInfo(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9].date(),
            (r[10] or {}).get("effectiveness_result"), today,
        )
        for r in session.execute(query)
    ]  # fmt: skip


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
    return [NcInfo(*row, today) for row in session.execute(query)]


def _audits(session: Session) -> list[AuditInfo]:
    query = select(
        InternalAudit.id,
        InternalAudit.title,
        InternalAudit.state,
        Process.code,
        InternalAudit.planned_start,
    ).outerjoin(Process, InternalAudit.process_id == Process.id)
    return [AuditInfo(*row) for row in session.execute(query)]


def _findings(session: Session) -> list[FindingInfo]:
    query = select(
        AuditFinding.id,
        AuditFinding.audit_id,
        AuditFinding.finding_type,
        AuditFinding.state,
        Process.code,
        AuditFinding.title,
    ).outerjoin(Process, AuditFinding.process_id == Process.id)
    return [FindingInfo(*row) for row in session.execute(query)]


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
