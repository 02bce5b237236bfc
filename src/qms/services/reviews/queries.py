"""What a review looks at, read in a fixed number of queries whatever the size of the year.

:func:`load` reads the indicators with their last 24 periods, the breaches, the actions,
nonconformities, audits and findings, the previous review's decisions, changes to the
process map and the notes written for the review: one query each, never one per row
(the records counted are read by :mod:`qms.services.reviews.records`). A process review
reads the same, narrowed to its process.

Everything is read as it stood at the scope's ``as_of`` moment (clause 9.3.2: the
inputs as gathered): records from their trail (:mod:`qms.services.reviews.asof`), an
indicator value as its revisions stood then, a breach if raised by then and undecided
if decided later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from qms.models import (
    BreachProposal,
    HistoryEntry,
    ImprovementAction,
    Indicator,
    Person,
    Process,
    ReviewDecision,
    ReviewKind,
    ReviewNote,
    RoleAssignment,
)
from qms.reporting.render import DEFAULT_DATE_FORMAT
from qms.reporting.words import Words
from qms.services.audits import coverage as audits_coverage
from qms.services.capa import stats
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.indicators import series as indicators_series
from qms.services.reviews import asof, records
from qms.services.reviews.data import (
    ActionInfo,
    BreachInfo,
    DecisionInfo,
    MissingReason,
    ReviewData,
    RoleChange,
    Scope,
)
from qms.workflow.guards.reviews import EXPLAIN, REASON_PREFIX


def load(
    session: Session,
    scope: Scope,
    words: Words | None = None,
    date_format: str = DEFAULT_DATE_FORMAT,
) -> ReviewData:
    """The review's data as gathered, with the names and date format its texts use."""
    pairs = _indicators(session, scope.process)
    indicators = [indicator for indicator, _, _ in pairs]
    values = indicators_series.values_of(session, [i.id for i in indicators], scope.as_of)
    then = asof.records_then(session, scope.as_of)
    all_actions = asof.actions(_actions(session, scope.today), then, scope.today, ACTION_OPEN_WORK)
    ncs = asof.nonconformities(records.nonconformities(session, scope.today), then)
    return ReviewData(
        scope=scope,
        series=indicators_series.series_of(indicators, values, scope.end + timedelta(days=1)),
        missing=indicators_series.missing_of(pairs, values, scope.today, scope.start),
        breaches=_breaches(session, scope),
        actions=_only(all_actions, scope.process),
        nonconformities=_only(ncs, scope.process),
        audits=_only(asof.audits(records.audits(session), then), scope.process),
        findings=_only(asof.findings(records.findings(session), then), scope.process),
        previous_decisions=_decisions(session, scope, {a.id: a for a in all_actions}),
        role_changes=_role_changes(session, scope, words or Words()),
        process_reviews=_only(
            asof.process_reviews(records.process_reviews(session), then), scope.process
        ),
        notes=_notes(session, scope),
        reasons=_reasons(session, scope),
        process_of={indicator.id: code for indicator, code, _ in pairs},
        close_days=_close_days(session, {a.id for a in all_actions if a.state == "closed"}),
        programmes=audits_coverage.of_period(
            session, scope.start, scope.end, scope.today, scope.process
        ),
        words=words or Words(),
        date_format=date_format,
    )


def _close_days(session: Session, closed: set[int]) -> dict[int, int]:
    """Days from proposal to closure of the actions closed at the moment."""
    days = stats.milestone_days(session, "improvement_action", {"close": "closed"})
    return {
        record_id: steps["close"]
        for record_id, steps in days.items()
        if "close" in steps and record_id in closed
    }


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
        .where(BreachProposal.raised_at <= scope.as_of)
        .order_by(BreachProposal.raised_at)
    )
    rows = [_breach(b, code, pcode, scope.as_of) for b, code, pcode in session.execute(query)]
    return _only(rows, scope.process)


def _breach(b: BreachProposal, code: str, process: str, moment: datetime) -> BreachInfo:
    """The breach as it stood at ``moment``: awaiting its pilot if decided later."""
    if b.decided_at is not None and b.decided_at > moment:
        return BreachInfo(b.id, code, process, b.period, b.value, b.threshold, "open", None, "")
    state = b.state.value
    return BreachInfo(
        b.id, code, process, b.period, b.value, b.threshold, state, b.action_id, b.reason
    )


def _action(row: Any, today: date) -> ActionInfo:
    state, due = row[2], row[4]
    is_open = state in ACTION_OPEN_WORK
    late = asof.days_late(is_open, due, today)
    return ActionInfo(
        row[0], row[1], state, row[3], due, row[5], row[6], row[7], row[8], is_open, late
    )


_ACTION_COLUMNS = (
    ImprovementAction.id,
    ImprovementAction.title,
    ImprovementAction.state,
    ImprovementAction.kind,
    ImprovementAction.due_date,
    ImprovementAction.origin,
    Process.code,
)


def _with_owner(query: Any, owner: Any) -> Any:
    """The owner's handle and the effectiveness result after the action's columns."""
    return query.add_columns(
        owner.handle, ImprovementAction.data["effectiveness_result"].as_string()
    )


def _actions(session: Session, today: date) -> list[ActionInfo]:
    owner = aliased(Person)
    query = (
        select(*_ACTION_COLUMNS)
        .join(Process, ImprovementAction.process_id == Process.id)
        .outerjoin(owner, ImprovementAction.owner_id == owner.id)
        .order_by(ImprovementAction.id)
    )
    return [_action(row, today) for row in session.connection().execute(_with_owner(query, owner))]


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
            ReviewDecision.decided_at <= scope.as_of,
        )
        .order_by(ReviewDecision.id)
    )
    taken = [d for d in session.scalars(query) if d.action_id in actions]
    closed = _closed_on(session, [d.action_id for d in taken], scope.as_of)
    return [
        DecisionInfo(d.id, d.category, d.title, actions[d.action_id], closed.get(d.action_id))
        for d in taken
        if d.action_id in actions
    ]


def _closed_on(session: Session, ids: list[int], moment: datetime) -> dict[int, date]:
    """The day each of these actions was closed, by its trail, if it was by ``moment``."""
    if not ids:
        return {}
    query = (
        select(HistoryEntry.record_id, func.max(HistoryEntry.at))
        .where(
            HistoryEntry.record_kind == "improvement_action",
            HistoryEntry.record_id.in_(ids),
            HistoryEntry.to_state == "closed",
            HistoryEntry.at <= moment,
        )
        .group_by(HistoryEntry.record_id)
    )
    return {record_id: at.date() for record_id, at in session.execute(query)}


def outputs(session: Session, kind: ReviewKind, review_id: int, today: date) -> list[DecisionInfo]:
    """The decisions of this review (clause 9.3.3), each with its action as it stands now."""
    owner = aliased(Person)
    query = (
        select(ReviewDecision.id, ReviewDecision.category, ReviewDecision.title, *_ACTION_COLUMNS)
        .join(ImprovementAction, ReviewDecision.action_id == ImprovementAction.id)
        .join(Process, ImprovementAction.process_id == Process.id)
        .outerjoin(owner, ImprovementAction.owner_id == owner.id)
        .where(ReviewDecision.review_kind == kind, ReviewDecision.review_id == review_id)
        .order_by(ReviewDecision.id)
    )
    rows = session.connection().execute(_with_owner(query, owner))
    return [DecisionInfo(row[0], row[1], row[2], _action(row[3:], today)) for row in rows]


def _role_changes(session: Session, scope: Scope, words: Words) -> list[RoleChange]:
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
        where, role = code or "the institution", words.term("role", assignment.role.value).lower()
        if assignment.valid_from != first and scope.start <= assignment.valid_from <= scope.end:
            text = f"{name} became {role} of {where}"
            changes.append(RoleChange(assignment.valid_from, text))
        if assignment.valid_to is not None and scope.start <= assignment.valid_to <= scope.end:
            text = f"{name} is no longer {role} of {where}"
            changes.append(RoleChange(assignment.valid_to, text))
    return sorted(changes, key=lambda c: c.day)


def _notes(session: Session, scope: Scope) -> dict[str, str]:
    query = (
        select(ReviewNote.section, ReviewNote.text)
        .where(ReviewNote.review_kind == scope.kind, ReviewNote.review_id == scope.review_id)
        .order_by(ReviewNote.id)
    )
    return dict(session.execute(query).all())  # ordered by id: the latest note wins


def _reasons(session: Session, scope: Scope) -> dict[str, MissingReason]:
    """Why inputs are missing, from the review's trail: the latest reason for each wins."""
    query = (
        select(HistoryEntry.inputs, HistoryEntry.actor, HistoryEntry.at)
        .where(
            HistoryEntry.record_kind == scope.kind.value,
            HistoryEntry.record_id == scope.review_id,
            HistoryEntry.trigger == EXPLAIN,
        )
        .order_by(HistoryEntry.id)
    )
    found: dict[str, MissingReason] = {}
    for inputs, actor, at in session.execute(query):
        for name, text in (inputs or {}).items():
            if name.startswith(REASON_PREFIX):
                found[name.removeprefix(REASON_PREFIX)] = MissingReason(text, actor, at)
    return found
