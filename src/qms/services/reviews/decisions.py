"""Review outputs (clause 9.3.3) and accepted breaches become tracked improvement actions.

An action built here is checked like one proposed by hand (`services.actions`): a title,
an active owner, a due date not in the past, and is started in its workflow in the same
transaction as the decision or breach it comes from.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qms.bootstrap import Services
from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.models import (
    ImprovementAction,
    ManagementReview,
    ProcessReview,
    ReviewDecision,
    ReviewKind,
    WorkflowRecord,
)
from qms.services import shared
from qms.services.capa.vocabulary import ActionKind, Origin, Priority
from qms.services.shared import required_text, text_for
from qms.workflow.guards import about
from qms.workflow.permissions import ActorRoles


class Category(enum.StrEnum):
    """The outputs of a management review, clause 9.3.3 a-c."""

    IMPROVEMENT = "improvement"  # a) opportunities for improvement
    QMS_CHANGE = "qms_change"  # b) changes needed to the quality system
    RESOURCES = "resources"  # c) resource needs


# The states in which a review still takes decisions.
DECIDING = {
    ReviewKind.MANAGEMENT: ("held",),
    ReviewKind.PROCESS: ("held",),
}


@dataclass(frozen=True)
class ActionSpec:
    title: str
    process_id: int
    owner: str
    due_date: date
    origin: str
    origin_ref: str
    description: str = ""
    priority: str = Priority.NORMAL


def build(session: Session, spec: ActionSpec, today: date) -> ImprovementAction:
    if spec.due_date < today:
        raise ValidationError("due_date", f"{spec.due_date} is in the past")
    return ImprovementAction(
        title=required_text("title", spec.title, (ImprovementAction, "title")),
        description=text_for(ImprovementAction, "description", spec.description),
        process_id=spec.process_id,
        owner_id=shared.active_person(session, spec.owner, "owner", on=today).id,
        due_date=spec.due_date,
        kind=ActionKind.IMPROVEMENT,
        priority=spec.priority,
        origin=spec.origin,
        origin_ref=text_for(ImprovementAction, "origin_ref", spec.origin_ref),
        data={},
    )


Link = Callable[[Session, ImprovementAction], None]


def start(
    app: Services,
    actor: str,
    prepare: Callable[[Session], tuple[ImprovementAction, Link]],
) -> ImprovementAction:
    """Start the action ``prepare`` builds, then ``link`` it to what it comes from: one
    transaction.  ``prepare`` must not add the action to the session (its workflow state
    is set by the engine first)."""
    with app.database.unit_of_work() as uow:
        person = shared.active_person(uow.session, actor, on=app.engine.today())
        action, link = prepare(uow.session)
        app.engine.start(uow.session, action, person)
        link(uow.session, action)
        reference = action.reference
        try:
            uow.commit()
        except (StaleDataError, IntegrityError) as exc:
            raise ConflictError(
                f"{reference} could not be saved: someone changed what it comes from at the "
                "same time; nothing was saved"
            ) from exc
        return action


@dataclass(frozen=True)
class Decision:
    title: str
    owner: str
    due_date: date
    process: str | None = None  # default: the reviewed process (a process review's)
    category: str = Category.IMPROVEMENT
    description: str = ""


def review_model(kind: ReviewKind) -> type[ManagementReview] | type[ProcessReview]:
    return ManagementReview if kind == ReviewKind.MANAGEMENT else ProcessReview


def decide(
    app: Services, kind: ReviewKind, review_id: int, actor: str, spec: Decision
) -> ReviewDecision:
    """Record a decision of a held review, as one who may take the step that ends the
    deciding (:func:`check_decider`); its improvement action starts at once."""
    today, now = app.engine.today(), app.engine.clock.now()
    holder: list[ReviewDecision] = []

    def prepare(session: Session) -> tuple[ImprovementAction, Link]:
        review = shared.record(session, kind.value, review_id)
        _check_deciding(kind, review)
        check_decider(app, session, kind, review, actor)
        category = _category(spec.category)
        process_id = _process_id(session, review, spec.process)
        action = build(
            session,
            ActionSpec(
                title=spec.title,
                process_id=process_id,
                owner=spec.owner,
                due_date=spec.due_date,
                origin=_origin(kind),
                origin_ref=review.reference,
                description=spec.description,
            ),
            today,
        )

        def link(session: Session, action: ImprovementAction) -> None:
            decision = ReviewDecision(
                review_kind=kind,
                review_id=review_id,
                category=category,
                title=action.title,
                action_id=action.id,
                decided_by=actor,
                decided_at=now,
            )
            session.add(decision)
            session.flush()
            holder.append(decision)

        return action, link

    start(app, actor, prepare)
    return holder[0]


def _check_deciding(kind: ReviewKind, review: WorkflowRecord) -> None:
    if review.state not in DECIDING[kind]:
        raise ValidationError(
            "review",
            f"{review.reference} is {review.state}: decisions are recorded once the review "
            "is held and before its outputs are recorded (clause 9.3.3)",
        )


# Who records a held review's decisions: whoever may take the step that ends the deciding
# (its workflow's roles: a director or the quality manager for a management review, clause
# 9.3.3; the pilot for a process review).
DECIDED_UNTIL = {ReviewKind.MANAGEMENT: "record_outputs", ReviewKind.PROCESS: "close"}


def check_decider(
    app: Services, session: Session, kind: ReviewKind, review: WorkflowRecord, actor: str
) -> None:
    """Refuse a decision from someone who may not take the step that ends the deciding."""
    today = app.engine.today()
    step = DECIDED_UNTIL[kind]
    transition = app.engine.definition(session, review).transition(review.state, step)
    roles = ActorRoles.for_handle(session, actor, today)
    held = roles.on_record(review)
    if transition is None or transition.roles & held:
        return
    needed = tuple(sorted(transition.roles))
    raise PermissionDenied(
        f"{roles.who} may not record a decision of {review.reference}: that is for the "
        f"role {' or '.join(needed)} (clause 9.3.3); on {today.isoformat()} they hold "
        f"{', '.join(sorted(held)) or 'no role'} there",
        **about(review, step, roles=needed, held=tuple(sorted(held)), day=today),
        actor=actor,
    )


def _category(value: str) -> str:
    if value not in {c.value for c in Category}:
        raise ValidationError(
            "category", f"{value!r} is not one of {', '.join(c.value for c in Category)}"
        )
    return value


def _process_id(session: Session, review: WorkflowRecord, code: str | None) -> int:
    if code:
        return shared.process(session, code).id
    if review.process_id is not None:
        return review.process_id
    raise ValidationError("process", "name the process that carries the action out")


def _origin(kind: ReviewKind) -> str:
    # The register knows one review origin; a process review's actions say which review
    # in their origin_ref ("process_review #N").
    return Origin.MANAGEMENT_REVIEW if kind == ReviewKind.MANAGEMENT else Origin.SUGGESTION
