"""What a review's page shows, read in one session: where the review stands among its steps,
its inputs (clause 9.3.2, or a process review's five) as gathered or as the data gives them
now, its decisions with their actions, its pack's frozen revisions, and the steps the
signed-in person may take now, each with why it would be refused, in words."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import PermissionDenied
from qms.models import ManagementReview, ProcessReview, ReviewKind
from qms.reporting.words import Words
from qms.services import record_view, shared
from qms.services.reviews import decisions as reviews_decisions
from qms.services.reviews import pages
from qms.services.reviews import queries as reviews_queries
from qms.services.reviews import service as reviews
from qms.services.reviews.data import DecisionInfo
from qms.services.reviews.inputs import sections
from qms.services.reviews.tables import Section
from qms.web.forms_common import Choices, choices
from qms.web.records_words import choice_label
from qms.web.refusals import blocked_said
from qms.web.refusals_voice import Voice, voice_for
from qms.workflow.guards import as_date

MR = ReviewKind.MANAGEMENT
STAGES = {
    ReviewKind.MANAGEMENT: ("planned", "inputs_gathered", "held", "outputs_recorded", "closed"),
    ReviewKind.PROCESS: ("planned", "inputs_gathered", "held", "closed"),
}
# The inputs a process review gathers (steps.process_inputs): the section, its step's field.
PROCESS_INPUTS = (
    ("c5", "indicators_summary"),
    ("c4", "nonconformities_summary"),
    ("c6", "audit_results"),
    ("c1", "customer_feedback"),
    ("e", "risks_summary"),
)
# What the steps after gathering recorded, shown under the review's title.
RECORDED = {
    ReviewKind.MANAGEMENT: (
        "attendees",
        "minutes",
        "qms_changes",
        "resource_needs",
        "cancellation_reason",
    ),
    ReviewKind.PROCESS: ("participants", "evaluation", "intended_results_met"),
}


@dataclass(frozen=True)
class Stage:
    label: str
    status: str  # done, current or todo


@dataclass(frozen=True)
class Step:
    """A step the person may take now; ``blocked`` says why it would be refused, if it would."""

    trigger: str
    label: str
    blocked: str | None


@dataclass(frozen=True)
class Card:
    """One input: what the data gave, or why there is none (and the reason recorded)."""

    key: str
    clause: str
    title: str
    summary: str
    missing: bool
    why_missing: str  # what the data lacks
    note: str
    reason: str  # why a person says it is missing
    reason_by: str
    reason_at: datetime | None

    @property
    def anchor(self) -> str:
        return f"input-{self.key}"


@dataclass(frozen=True)
class Decided:
    category: str
    title: str
    action_id: int
    owner: str
    due: date | None
    state: str
    done: bool
    days_late: int

    @property
    def href(self) -> str:
        return f"/records/improvement_action/{self.action_id}"


@dataclass(frozen=True)
class Linked:
    href: str
    reference: str
    title: str
    planned_on: date | None


@dataclass(frozen=True)
class ReviewView:
    kind: str
    kind_label: str
    id: int
    title: str
    state: str
    state_label: str
    process_code: str
    process: str  # "TRN-04 Admissions and student life", or "" for a management review
    planned_on: date | None
    period_start: date | None
    period_end: date | None
    held_on: date | None
    recorded: tuple[tuple[str, str], ...]  # (label, text) of what the steps recorded
    previous: Linked | None
    following: Linked | None
    stages: tuple[Stage, ...]
    steps: dict[str, Step]
    writes_notes: bool
    decides: bool
    cards: tuple[Card, ...]
    decisions: tuple[Decided, ...]
    revisions: tuple[pages.Revision, ...]
    options: Choices | None  # processes and people for a decision's owner
    categories: tuple[tuple[str, str], ...]

    @property
    def management(self) -> bool:
        return self.kind == MR.value

    @property
    def href(self) -> str:
        return f"/reviews/{self.kind}/{self.id}"

    @property
    def reference(self) -> str:
        return f"{self.kind_label} #{self.id}"

    @property
    def unexplained(self) -> list[Card]:
        """The inputs missing with no reason recorded: the review is not held until each has one."""
        return [c for c in self.cards if c.missing and not c.reason]

    @property
    def frozen(self) -> bool:
        return bool(self.revisions)


def review_view(app: Services, kind: str, review_id: int, handle: str) -> ReviewView:
    """The page of the review, if ``handle`` may see it (PermissionDenied otherwise)."""
    review_kind = pages.kind_of(kind)
    today = app.engine.today()
    with app.database.reading() as session:
        record, _scope = record_view.seen(session, kind, review_id, handle, today)
        assert isinstance(record, ManagementReview | ProcessReview)
        voice = voice_for(session, app, record)
        words = voice.words
        scope = reviews.scope_for(app, session, review_kind, record)
        data = reviews_queries.load(session, scope, words, app.settings.date_format)
        taken = reviews_queries.outputs(session, review_kind, review_id, today)
        actor = shared.person(session, handle, "actor")
        available = app.engine.available_triggers(session, record, actor)
        steps = {
            a.trigger: Step(a.trigger, a.label, blocked_said(a.blocked, voice, a.trigger))
            for a in available
        }
        decides = record.state in reviews_decisions.DECIDING[review_kind] and _decides(
            app, session, review_kind, record, handle
        )
        process = record.process
        following = pages.following(session, record) if record.state == "closed" else None
        return ReviewView(
            kind=kind,
            kind_label=words.kind(kind),
            id=record.id,
            title=record.title,
            state=record.state,
            state_label=words.state(kind, record.state),
            process_code=process.code if process is not None else "",
            process=f"{process.code} {process.name}" if process is not None else "",
            planned_on=record.planned_on,
            period_start=record.period_start,
            period_end=record.period_end,
            held_on=as_date(record.field_value("held_on")),
            recorded=tuple(_recorded(voice, review_kind, record)),
            previous=_linked(words, record.previous_review),
            following=_linked(words, following),
            stages=_stages(words, review_kind, record.state),
            steps=steps,
            writes_notes=review_kind == MR
            and record.state == "planned"
            and pages.writes_notes(session, handle, today),
            decides=decides,
            cards=tuple(_cards(voice, review_kind, sections(data))),
            decisions=tuple(_decided(words, d) for d in taken),
            revisions=tuple(_revisions(app, session, words, review_kind, review_id)),
            options=choices(session, actor.id, today) if decides else None,
            categories=tuple(
                (c.value, words.term("category", c.value)) for c in reviews_decisions.Category
            ),
        )


def _decides(
    app: Services, session: Session, kind: ReviewKind, record: object, handle: str
) -> bool:
    assert isinstance(record, ManagementReview | ProcessReview)
    try:
        reviews_decisions.check_decider(app, session, kind, record, handle)
    except PermissionDenied:
        return False
    return True


def _stages(words: Words, kind: ReviewKind, state: str) -> tuple[Stage, ...]:
    order = STAGES[kind]
    if state not in order:  # cancelled
        return ()
    at = order.index(state)
    done_all = state == "closed"
    return tuple(
        Stage(
            words.state(kind.value, s),
            "done" if i < at or done_all else "current" if i == at else "todo",
        )
        for i, s in enumerate(order)
    )


def _recorded(
    voice: Voice, kind: ReviewKind, record: ManagementReview | ProcessReview
) -> list[tuple[str, str]]:
    found = []
    for name in RECORDED[kind]:
        value = record.field_value(name)
        if value in (None, ""):
            continue
        text = str(value)
        if name in ("attendees", "participants"):
            text = ", ".join(voice.words.person(a.strip()) for a in text.split(",") if a.strip())
        elif name == "intended_results_met":
            text = choice_label(name, text)
        found.append((voice.field(name), text))
    return found


def _linked(words: Words, review: ManagementReview | ProcessReview | None) -> Linked | None:
    if review is None:
        return None
    kind = review.record_kind
    return Linked(
        f"/reviews/{kind}/{review.id}", words.ref(kind, review.id), review.title, review.planned_on
    )


def _cards(voice: Voice, kind: ReviewKind, built: list[Section]) -> list[Card]:
    if kind == MR:
        return [_card(voice, s, s.clause, s.title) for s in built]
    by = {s.key: s for s in built}
    return [_card(voice, by[key], "", voice.field(name)) for key, name in PROCESS_INPUTS]


def _card(voice: Voice, s: Section, clause: str, title: str) -> Card:
    reason = s.reason
    return Card(
        key=s.key,
        clause=clause,
        title=title,
        summary=s.summary,
        missing=s.missing,
        why_missing=s.missing_reason,
        note=s.note,
        reason=reason.text if reason is not None else "",
        reason_by=voice.words.person(reason.by) if reason is not None else "",
        reason_at=reason.at if reason is not None else None,
    )


def _decided(words: Words, d: DecisionInfo) -> Decided:
    action = d.action
    return Decided(
        category=words.term("category", d.category),
        title=action.title,
        action_id=action.id,
        owner=words.person(action.owner),
        due=action.due_date,
        state=words.state("improvement_action", action.state),
        done=action.state == "closed",
        days_late=action.days_overdue,
    )


def _revisions(
    app: Services, session: Session, words: Words, kind: ReviewKind, review_id: int
) -> list[pages.Revision]:
    """The pack's frozen revisions, by whom (named) and when (the institution's time)."""
    if kind != MR:
        return []
    return [
        replace(
            r,
            frozen_by=words.person(r.frozen_by),
            frozen_at=r.frozen_at.astimezone(app.settings.zone),
        )
        for r in pages.revisions(session, review_id)
    ]
