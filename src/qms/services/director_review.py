"""The last management review's decisions (clause 9.3.3) on the director's view: each
decision with its action's state, owner and due date, as far as the reader sees the
action (:mod:`qms.services.visibility`). Two queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import ImprovementAction, ManagementReview, Person, ReviewDecision, ReviewKind
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.visibility import Scope

HELD = ("held", "outputs_recorded", "closed")  # a management review that took decisions


@dataclass(frozen=True)
class DecisionLine:
    title: str
    category: str
    action_id: int
    state: str  # the action's
    owner: str | None  # handle
    due_date: date | None
    days_late: int

    @property
    def closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class Review:
    """The last management review that took decisions (clause 9.3.3)."""

    id: int
    title: str
    state: str
    planned_on: date | None
    decisions: tuple[DecisionLine, ...]
    hidden: int  # decisions whose action the reader does not see


def last_review(session: Session, seen: Scope, today: date) -> Review | None:
    """The last management review held, with its decisions and their actions (two queries)."""
    review = session.scalar(
        select(ManagementReview)
        .where(ManagementReview.state.in_(HELD))
        .order_by(
            ManagementReview.planned_on.is_(None),
            ManagementReview.planned_on.desc(),
            ManagementReview.id.desc(),
        )
        .limit(1)
    )
    if review is None:
        return None
    a = ImprovementAction
    rows = session.execute(
        select(ReviewDecision, a.state, a.due_date, a.process_id, a.owner_id, Person.handle)
        .join(a, ReviewDecision.action_id == a.id)
        .outerjoin(Person, a.owner_id == Person.id)
        .where(ReviewDecision.review_kind == ReviewKind.MANAGEMENT)
        .where(ReviewDecision.review_id == review.id)
        .order_by(ReviewDecision.id)
    ).all()
    shown = [
        DecisionLine(
            d.title,
            d.category,
            d.action_id,
            state,
            owner,
            due,
            (today - due).days if due and due < today and state in ACTION_OPEN_WORK else 0,
        )
        for d, state, due, process_id, owner_id, owner in rows
        if seen.sees_action(process_id, owner_id)
    ]
    return Review(
        review.id,
        review.title,
        review.state,
        review.planned_on,
        tuple(shown),
        len(rows) - len(shown),
    )
