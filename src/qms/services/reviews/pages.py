"""What the web's review pages read: the reviews a person may see with their decisions
counted, who may plan or write what, the review that followed one, the frozen revisions of a
pack. Read only: every step is taken by :mod:`qms.services.reviews.service`,
:mod:`~qms.services.reviews.steps` and :mod:`~qms.services.reviews.decisions`.

Who sees a review is who sees its process (:mod:`qms.services.visibility`): a management
review belongs to no process, so directors, the quality manager and internal auditors see
it; a process review is seen by the people of its process too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import NotFound
from qms.models import (
    ImprovementAction,
    ManagementReview,
    Process,
    ProcessReview,
    ReviewDecision,
    ReviewKind,
    ReviewPack,
)
from qms.reporting.words import Words, words_for
from qms.services import shared, visibility
from qms.services.capa.vocabulary import ACTION_OPEN_WORK
from qms.services.reviews.decisions import review_model
from qms.workflow.guards import as_date
from qms.workflow.permissions import ActorRoles

KINDS = {"management_review": ReviewKind.MANAGEMENT, "process_review": ReviewKind.PROCESS}
# The roles that plan a review and write a management review's notes (service.plan, note).
MANAGING = frozenset({"director", "quality_manager"})
PLANS_PROCESS = frozenset({"pilot", "quality_manager"})


def kind_of(kind: str) -> ReviewKind:
    """The review kind of an address (``management_review``, ``process_review``)."""
    if kind not in KINDS:
        raise NotFound(f"there is no kind of review called '{kind}'")
    return KINDS[kind]


@dataclass(frozen=True)
class Counted:
    """A review's decisions: how many, how many of their actions are closed, how many late."""

    decisions: int = 0
    done: int = 0
    late: int = 0


@dataclass(frozen=True)
class Row:
    kind: str
    id: int
    title: str
    state: str
    state_label: str
    process: str  # "STE-02 Continuous improvement", or "" for a management review
    planned_on: date | None
    period_start: date | None
    period_end: date | None
    held_on: date | None
    counted: Counted

    @property
    def href(self) -> str:
        return f"/reviews/{self.kind}/{self.id}"

    @property
    def over(self) -> bool:
        return self.state in ("closed", "cancelled")


@dataclass(frozen=True)
class Listing:
    sees_management: bool
    management: tuple[Row, ...]
    processes: tuple[Row, ...]
    plans_management: bool
    plannable: tuple[tuple[str, str], ...]  # (code, name): processes they may plan a review of


def listing(app: Services, handle: str) -> Listing:
    """The reviews ``handle`` may see, newest first, and what they may plan."""
    today = app.engine.today()
    with app.database.reading() as session:
        person = shared.person(session, handle, "actor")
        scope = visibility.scope(session, person, today)
        words = words_for(session, app.registry)
        counts = _counts(session, today)
        management: list[Row] = []
        if scope.sees_process(None):
            found: Any = session.scalars(
                select(ManagementReview).order_by(
                    ManagementReview.planned_on.desc(), ManagementReview.id.desc()
                )
            )
            management = [_row(words, r, counts) for r in found]
        query = (
            select(ProcessReview)
            .join(Process, ProcessReview.process_id == Process.id)
            .order_by(ProcessReview.planned_on.desc(), Process.code, ProcessReview.id.desc())
        )
        processes = [
            _row(words, r, counts)
            for r in session.scalars(query)
            if scope.sees_process(r.process_id)
        ]
        roles = ActorRoles.for_handle(session, handle, today)
        plannable = tuple((p.code, p.name) for p in plannable_processes(session, roles, today))
    return Listing(
        scope.sees_process(None),
        tuple(management),
        tuple(processes),
        bool(roles.institution & MANAGING),
        plannable,
    )


def _row(words: Words, review: Any, counts: dict[tuple[str, int], Counted]) -> Row:
    kind = review.record_kind
    process = review.process
    return Row(
        kind=kind,
        id=review.id,
        title=review.title,
        state=review.state,
        state_label=words.state(kind, review.state),
        process=f"{process.code} {process.name}" if process is not None else "",
        planned_on=review.planned_on,
        period_start=review.period_start,
        period_end=review.period_end,
        held_on=as_date(review.field_value("held_on")),
        counted=counts.get((kind, review.id), Counted()),
    )


def _counts(session: Session, today: date) -> dict[tuple[str, int], Counted]:
    """Every review's decisions counted, in one query."""
    query = select(
        ReviewDecision.review_kind,
        ReviewDecision.review_id,
        ImprovementAction.state,
        ImprovementAction.due_date,
    ).join(ImprovementAction, ReviewDecision.action_id == ImprovementAction.id)
    tally: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for kind, review_id, state, due in session.execute(query):
        counted = tally[(ReviewKind(kind).value, review_id)]
        counted[0] += 1
        counted[1] += state == "closed"
        counted[2] += state in ACTION_OPEN_WORK and due is not None and due < today
    return {key: Counted(*values) for key, values in tally.items()}


def plannable_processes(session: Session, roles: ActorRoles, today: date) -> list[Process]:
    """The processes in force whose review the person may plan: their pilot's, or any for
    the quality manager (the rule of ``service.plan``)."""
    everything = bool(roles.institution & PLANS_PROCESS)
    return [
        p
        for p in session.scalars(select(Process).order_by(Process.code))
        if (p.retired_on is None or p.retired_on > today)
        and (everything or roles.by_process.get(p.id, frozenset()) & PLANS_PROCESS)
    ]


def writes_notes(session: Session, handle: str, today: date) -> bool:
    """Whether the person may write a management review's notes (as ``service.note``)."""
    return bool(ActorRoles.for_handle(session, handle, today).institution & MANAGING)


def following(
    session: Session, review: ManagementReview | ProcessReview
) -> ManagementReview | ProcessReview | None:
    """The review planned when this one was closed (the next of the same kind and process)."""
    model = review_model(KINDS[review.record_kind])
    query = select(model).where(model.previous_review_id == review.id).order_by(model.id)
    found: Any = session.scalars(query).first()
    assert found is None or isinstance(found, ManagementReview | ProcessReview)
    return found


@dataclass(frozen=True)
class Revision:
    """A frozen revision of a management review's pack, without its bytes."""

    revision: int
    frozen_at: datetime
    frozen_by: str  # a handle
    reason: str
    sha256: str  # of its PDF; of its HTML for a pack frozen before PDFs were kept
    has_pdf: bool


def revisions(session: Session, review_id: int) -> list[Revision]:
    query = (
        select(
            ReviewPack.revision,
            ReviewPack.frozen_at,
            ReviewPack.frozen_by,
            ReviewPack.reason,
            ReviewPack.pdf_sha256,
            ReviewPack.content_hash,
        )
        .where(ReviewPack.review_kind == ReviewKind.MANAGEMENT, ReviewPack.review_id == review_id)
        .order_by(ReviewPack.revision)
    )
    return [
        Revision(number, at, by, reason, pdf_hash or html_hash, pdf_hash is not None)
        for number, at, by, reason, pdf_hash, html_hash in session.execute(query)
    ]
