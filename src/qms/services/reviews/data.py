"""The read model of a review: what a review looks at, as plain dataclasses.

:class:`ReviewData` holds, for the :class:`Scope` of one review, the indicators with their
series, the breaches, the actions, nonconformities, audits and findings, the previous
review's decisions, changes to the process map and the notes written for the review.
:func:`qms.services.reviews.queries.load` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from qms.models import ReviewKind
from qms.reporting.render import DEFAULT_DATE_FORMAT
from qms.reporting.words import Words
from qms.services.audits.coverage import ProgrammeStatus
from qms.services.capa.vocabulary import NC_OPEN_WORK
from qms.services.indicators.series import MissingRow, Series


@dataclass(frozen=True)
class Scope:
    kind: ReviewKind
    review_id: int
    start: date
    end: date
    today: date  # the day of ``as_of`` in the institution's time zone
    as_of: datetime  # the moment the inputs are gathered (asof.py: what counts then)
    previous_id: int | None = None
    process: str | None = None  # a process review looks at one process


@dataclass(slots=True)
class ActionInfo:
    id: int
    title: str
    state: str
    kind: str
    due_date: date | None
    origin: str
    process: str
    owner: str | None
    effectiveness: str | None
    is_open: bool = False
    days_overdue: int = 0


@dataclass(slots=True)
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


@dataclass(slots=True)
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
    closed_on: date | None = None  # the day its action was closed, if it was


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
class Held:
    """The meeting of a management review: when, who attended, the minutes."""

    held_on: date
    attendees: str
    minutes: str


@dataclass(frozen=True)
class Edition:
    """Which pack is rendered: the draft, or revision ``revision`` being frozen."""

    revision: int | None = None
    outputs_recorded: bool = False  # frozen as the outputs are recorded (9.3.3)
    qms_changes: str = ""
    resource_needs: str = ""


@dataclass(frozen=True)
class RoleChange:
    day: date
    what: str


@dataclass(frozen=True)
class MissingReason:
    """Why a 9.3.2 input has no data, as a person recorded it (a trail row of the review)."""

    text: str
    by: str
    at: datetime


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
    reasons: dict[str, MissingReason] = field(default_factory=dict)  # input key -> reason
    process_of: dict[int, str] = field(default_factory=dict)  # indicator id -> process code
    close_days: dict[int, int] = field(default_factory=dict)  # action id -> days to closure
    trail_seal: str = "the trail is not sealed yet"  # the seal in force (clause 7.5.3)
    programmes: list[ProgrammeStatus] = field(default_factory=list)  # audits of the period
    outputs: list[DecisionInfo] = field(default_factory=list)  # this review's decisions, now
    words: Words = field(default_factory=Words)  # names and labels for the reader
    date_format: str = DEFAULT_DATE_FORMAT  # the institution's way of writing a date

    def in_period(self, day: date | None) -> bool:
        return day is not None and self.scope.start <= day <= self.scope.end

    def day(self, day: date | None) -> str:
        """A date as the institution writes it ("4 Feb 2026"); a dash when there is none."""
        return day.strftime(self.date_format) if day is not None else "—"

    def person(self, handle: str | None) -> str:
        return self.words.person(handle)

    def state(self, kind: str, state: str | None) -> str:
        return self.words.state(kind, state)
