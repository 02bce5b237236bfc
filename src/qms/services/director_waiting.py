"""What waits for a director (clauses 9.2.2, 9.3, 5.1): an audit programme to approve, a
management review to prepare, hold or close, and the records escalated to the directors.

Escalated is what the scheduler's reminder rules say (``workflows/reminders.yaml``): a
rule whose ``escalate`` step reaches ``directors`` once its deadline is that many days
past (an action overdue by 30 days, an effectiveness check by 45, in the example). The
web reads the rules and gives them here as :class:`Escalation` values, so that the view
says what the reminders do; each is counted by the database and its most late records
read with a limit.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from qms.models import AuditProgramme, ManagementReview, Process, WorkflowRecord

SHOWN = 5  # escalated records listed per rule (the count says how many in all)
PROGRAMME_WAITING = ("draft", "approved")  # to approve, to put in effect
REVIEW_OPEN = ("planned", "inputs_gathered", "held", "outputs_recorded")


@dataclass(frozen=True)
class Escalation:
    """One reminder rule's escalation to the directors, as plain values."""

    rule: str  # its id, e.g. action-due
    label: str  # e.g. Improvement action due
    model: type[WorkflowRecord]
    date_field: str
    states: tuple[str, ...]
    after_days: int  # days past the deadline the directors are told
    date_plus_days: int = 0
    end_of_month: bool = False

    def cutoff(self, today: date) -> date:
        """The latest stored date whose deadline is ``after_days`` past on ``today``."""
        last = today - timedelta(days=self.after_days + self.date_plus_days)
        if self.end_of_month and last.day != calendar.monthrange(last.year, last.month)[1]:
            last = last.replace(day=1) - timedelta(days=1)  # the month before is over
        return last


@dataclass(frozen=True)
class Escalated:
    kind: str  # the record kind
    id: int
    title: str
    process: str | None  # code
    deadline: date
    days_late: int


@dataclass(frozen=True)
class EscalationLine:
    escalation: Escalation
    count: int
    records: tuple[Escalated, ...]  # the most late first, at most SHOWN


@dataclass(frozen=True)
class ProgrammeLine:
    id: int
    cycle: int
    state: str


@dataclass(frozen=True)
class ReviewLine:
    id: int
    title: str
    state: str
    planned_on: date | None
    days_late: int  # past its planned day and not yet held


@dataclass(frozen=True)
class Waiting:
    programmes: tuple[ProgrammeLine, ...]
    reviews: tuple[ReviewLine, ...]  # open management reviews, the next first
    last_held: date | None  # when no review is open: the last one's planned day
    escalations: tuple[EscalationLine, ...]  # those with something escalated

    @property
    def count(self) -> int:
        plan_one = 0 if self.reviews else 1
        return (
            len(self.programmes)
            + len(self.reviews)
            + plan_one
            + sum(e.count for e in self.escalations)
        )


def waiting(session: Session, escalations: tuple[Escalation, ...], today: date) -> Waiting:
    programmes = tuple(
        ProgrammeLine(p.id, p.cycle, p.state)
        for p in session.scalars(
            select(AuditProgramme)
            .where(AuditProgramme.state.in_(PROGRAMME_WAITING))
            .order_by(AuditProgramme.cycle)
        )
    )
    r = ManagementReview
    reviews = tuple(
        ReviewLine(
            review.id,
            review.title,
            review.state,
            review.planned_on,
            (today - review.planned_on).days
            if review.planned_on and review.planned_on < today and review.state in REVIEW_OPEN[:2]
            else 0,
        )
        for review in session.scalars(
            select(r).where(r.state.in_(REVIEW_OPEN)).order_by(r.planned_on, r.id)
        )
    )
    last_held = None
    if not reviews:
        last_held = session.scalar(select(func.max(r.planned_on)).where(r.state == "closed"))
    lines = (_escalated(session, e, today) for e in escalations)
    return Waiting(programmes, reviews, last_held, tuple(line for line in lines if line.count))


def _escalated(session: Session, escalation: Escalation, today: date) -> EscalationLine:
    model = escalation.model
    column: ColumnElement[Any] = getattr(model, escalation.date_field)
    where = [column.is_not(None), column <= escalation.cutoff(today)]
    if escalation.states:
        where.append(model.state.in_(escalation.states))
    count = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = session.execute(
        select(model.id, model.title, Process.code, column)
        .outerjoin(Process, model.process_id == Process.id)
        .where(*where)
        .order_by(column, model.id)
        .limit(SHOWN)
    ).all()
    records = []
    for record_id, title, process, stored in rows:
        deadline = _deadline(escalation, stored)
        records.append(
            Escalated(
                model.record_kind, record_id, title, process, deadline, (today - deadline).days
            )
        )
    return EscalationLine(escalation, count, tuple(records))


def _deadline(escalation: Escalation, stored: date) -> date:
    if escalation.end_of_month:
        stored = stored.replace(day=calendar.monthrange(stored.year, stored.month)[1])
    return stored + timedelta(days=escalation.date_plus_days)
