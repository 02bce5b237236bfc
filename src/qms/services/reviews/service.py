"""Management reviews (clause 9.3) and process reviews (clauses 4.4, 9.1.3): their life cycle.

plan -> gather (the inputs assembled from the data go into the record and the trail)
-> hold (the pack is frozen with its hash) -> decide (each decision an improvement
action) -> record outputs -> close (the next review is planned).  Every step is one
transaction; the workflow definitions say who may fire what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qms.bootstrap import Services
from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.models import (
    HistoryEntry,
    ManagementReview,
    ProcessReview,
    ReviewDecision,
    ReviewKind,
    ReviewNote,
    WorkflowRecord,
)
from qms.services import shared
from qms.services.reviews import asof
from qms.services.reviews import data as reviews_data
from qms.services.reviews.decisions import review_model
from qms.services.reviews.inputs import SECTION_KEYS
from qms.services.shared import months_before
from qms.workflow.permissions import ActorRoles

OVER = ("closed", "cancelled")
AfterFire = Callable[[Session, WorkflowRecord, HistoryEntry], None]


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


def default_period(planned_on: date) -> tuple[date, date]:
    """The twelve months up to the end of the month before the review."""
    end = planned_on.replace(day=1) - timedelta(days=1)
    return months_after(end, -12) + timedelta(days=1), end


@dataclass(frozen=True)
class Plan:
    planned_on: date
    process: str | None = None  # a process review's process
    period_start: date | None = None
    period_end: date | None = None
    title: str = ""


def plan(app: Services, kind: ReviewKind, actor: str, spec: Plan) -> WorkflowRecord:
    """Plan a review; one open review at a time (per process for process reviews)."""
    today = app.engine.today()

    def prepare(session: Session) -> WorkflowRecord:
        return _new_review(session, kind, actor, spec, today)

    return shared.start_with(app.database, app.engine, actor, prepare)


def _new_review(
    session: Session, kind: ReviewKind, actor: str, spec: Plan, today: date
) -> WorkflowRecord:
    if spec.planned_on < today:
        raise ValidationError("planned_on", f"{spec.planned_on} is in the past")
    start, end = _period(spec)
    model = review_model(kind)
    process_id = _check_planner(session, kind, actor, spec.process, today)
    _refuse_second_open(session, model, process_id)
    previous = _latest(session, model, process_id)
    title = shared.text_for(model, "title", spec.title) or _title(kind, spec, end)
    review = model(
        title=title,
        planned_on=spec.planned_on,
        period_start=start,
        period_end=end,
        previous_review_id=previous.id if previous else None,
        process_id=process_id,
        data={},
    )
    review.set_field("period", f"{start.isoformat()} to {end.isoformat()}")
    return review


def _period(spec: Plan) -> tuple[date, date]:
    start, end = default_period(spec.planned_on)
    start, end = spec.period_start or start, spec.period_end or end
    if start >= end:
        raise ValidationError("period_start", f"{start} is not before the period's end {end}")
    if end > spec.planned_on:
        raise ValidationError(
            "period_end",
            f"the period reviewed would end on {end}, after the review itself "
            f"({spec.planned_on}): a review looks back on a period that is over by the day "
            f"it is held; end the period on {spec.planned_on} or before (clause 9.3.2)",
        )
    return start, end


def _title(kind: ReviewKind, spec: Plan, end: date) -> str:
    if kind == ReviewKind.MANAGEMENT:
        return f"Management review {spec.planned_on.year} (period ending {end.isoformat()})"
    return f"Review of {spec.process} {spec.planned_on.year}"


def _check_planner(
    session: Session, kind: ReviewKind, actor: str, process: str | None, today: date
) -> int | None:
    roles = ActorRoles.for_handle(session, actor, today)
    if kind == ReviewKind.MANAGEMENT:
        if process:
            raise ValidationError("process", "a management review covers the whole institution")
        if not roles.institution & {"director", "quality_manager"}:
            raise PermissionDenied(
                f"{roles.actor.name} ({actor}) may not plan a management review: that is for "
                "a director or the quality manager (clause 9.3.1)"
            )
        return None
    if not process:
        raise ValidationError("process", "say which process is reviewed")
    process_id = shared.process(session, process).id
    held = roles.institution | roles.by_process.get(process_id, frozenset())
    if not held & {"pilot", "quality_manager"}:
        raise PermissionDenied(
            f"{roles.actor.name} ({actor}) may not plan the review of {process}: that is for "
            "its pilot or the quality manager (clause 4.4)"
        )
    return process_id


def _refuse_second_open(
    session: Session, model: type[ManagementReview] | type[ProcessReview], process_id: int | None
) -> None:
    query = select(model).where(model.state.not_in(OVER), model.process_id.is_(process_id))
    if process_id is not None:
        query = select(model).where(model.state.not_in(OVER), model.process_id == process_id)
    found: Any = session.scalars(query).first()
    if found is not None:
        raise ValidationError(
            "planned_on",
            f"{found.reference} is already planned for {found.planned_on} and not closed",
        )


def _latest(
    session: Session, model: type[ManagementReview] | type[ProcessReview], process_id: int | None
) -> WorkflowRecord | None:
    query = select(model).where(model.state == "closed").order_by(model.planned_on.desc())
    if process_id is not None:
        query = query.where(model.process_id == process_id)
    return session.scalars(query).first()


# --- notes and inputs -----------------------------------------------------------------------


def note(app: Services, review_id: int, section: str, text: str, actor: str) -> ReviewNote:
    """Write the note of one 9.3.2 input of a management review (the latest note counts)."""
    if section not in SECTION_KEYS:
        raise ValidationError("section", f"{section!r} is not one of {', '.join(SECTION_KEYS)}")
    text = shared.required_text("text", text, (ReviewNote, "text"))
    shared.looked_up("actor", actor)
    today = app.engine.today()
    with app.database.unit_of_work() as uow:
        review = shared.record(uow.session, ReviewKind.MANAGEMENT.value, review_id)
        if review.state != "planned":
            raise ValidationError(
                "review",
                f"{review.reference} is {review.state}: its inputs were gathered and no longer "
                "change (a note is one of them); for an input found missing, record why with "
                f"`qms review input-missing {review_id} INPUT --reason TEXT` (clause 9.3.2)",
            )
        roles = ActorRoles.for_handle(uow.session, actor, today)
        if not roles.institution & {"director", "quality_manager"}:
            raise PermissionDenied(
                f"{roles.actor.name} ({actor}) may not write the inputs of a management "
                "review: that is for a director or the quality manager (clause 9.3.2)"
            )
        written = ReviewNote(
            review_kind=ReviewKind.MANAGEMENT,
            review_id=review_id,
            section=section,
            text=text,
            author=actor,
            at=app.engine.clock.now(),
        )
        uow.session.add(written)
        uow.commit()
        return written


def scope_for(
    app: Services, session: Session, kind: ReviewKind, review: WorkflowRecord
) -> reviews_data.Scope:
    """The review's scope as of the moment its inputs were gathered, or now until then."""
    moment = asof.gathered_at(session, kind.value, review.id) or app.engine.clock.now()
    return scope_of(review, kind, moment.astimezone(app.engine.zone).date(), moment)


def scope_of(
    review: WorkflowRecord, kind: ReviewKind, today: date, as_of: datetime
) -> reviews_data.Scope:
    assert isinstance(review, ManagementReview | ProcessReview)
    start, end = default_period(review.planned_on or today)
    return reviews_data.Scope(
        kind=kind,
        review_id=review.id,
        start=review.period_start or start,
        end=review.period_end or end,
        today=today,
        as_of=as_of,
        previous_id=review.previous_review_id,
        process=review.process.code if kind == ReviewKind.PROCESS and review.process else None,
    )


def decisions(session: Session, kind: ReviewKind, review_id: int) -> list[ReviewDecision]:
    return list(
        session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.review_kind == kind, ReviewDecision.review_id == review_id)
            .order_by(ReviewDecision.id)
        )
    )


def commit_or_conflict(commit: Callable[[], None], reference: str) -> None:
    try:
        commit()
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(
            f"{reference} was changed by someone else at the same time; nothing was saved"
        ) from exc
