"""The pack's 9.3.3 section: what the review decided, and what it was missing.

The decisions of this review grouped by clause 9.3.3 a-c (opportunities for improvement,
changes to the quality management system, resource needs), each with its action, owner,
due date and state; the inputs the review went without, with the reason recorded for
each; and what became of the previous review's decisions.  Before the review is held,
the section says so rather than showing an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qms.models import ManagementReview
from qms.reporting.words import plural
from qms.services.reviews.data import DecisionInfo, Edition, Held, ReviewData
from qms.services.reviews.decisions import Category
from qms.services.reviews.tables import Section, Table

ACTION = "improvement_action"
NOT_HELD = ("planned", "inputs_gathered")


@dataclass
class Outputs:
    status: str  # where the review stands, in a sentence
    groups: list[Table] = field(default_factory=list)  # decisions by category, non-empty
    texts: list[tuple[str, str]] = field(default_factory=list)  # (heading, text as recorded)
    missing: list[Section] = field(default_factory=list)  # inputs without data
    previous: str = ""  # what became of the previous review's decisions
    decided: int = 0

    @property
    def previous_listed(self) -> bool:
        """Whether ``previous`` ends by pointing to the table of input a."""
        return self.previous.endswith(" in")


def section(
    review: ManagementReview,
    data: ReviewData,
    built: list[Section],
    held: Held | None,
    edition: Edition,
) -> Outputs:
    found = Outputs(
        status(review, data, held, edition),
        groups=groups(data),
        missing=[s for s in built if s.missing],
        previous=previous(data),
        decided=len(data.outputs),
    )
    for heading, text in (
        (
            "Changes needed to the quality management system",
            edition.qms_changes or (review.field_value("qms_changes") or ""),
        ),
        ("Resource needs", edition.resource_needs or (review.field_value("resource_needs") or "")),
    ):
        if text.strip():
            found.texts.append((heading, text.strip()))
    return found


def status(review: ManagementReview, data: ReviewData, held: Held | None, edition: Edition) -> str:
    if review.state in NOT_HELD or held is None:
        return (
            "The review is not held yet: its decisions are recorded after the meeting, "
            "each as an action with an owner and a due date."
        )
    when = f"The review was held on {data.day(held.held_on)}"
    if edition.outputs_recorded or review.state not in ("held",):
        n = len(data.outputs)
        return f"{when}; its outputs are recorded: {plural(n, 'decision')}, each an action."
    if data.outputs:
        return (
            f"{when}; {plural(len(data.outputs), 'decision')} recorded so far. The pack is "
            "frozen again, with every decision, when the outputs are recorded."
        )
    return (
        f"{when}. Its decisions are recorded after the meeting: the pack is frozen again, "
        "with them, when the outputs are recorded (revision 2)."
    )


def groups(data: ReviewData) -> list[Table]:
    tables = []
    for category in Category:
        taken = [d for d in data.outputs if d.category == category.value]
        if taken:
            title = data.words.term("category", category.value)
            tables.append(
                Table(
                    f"{title} ({len(taken)})",
                    ("action", "decision", "owner", "due", "state"),
                    [row(data, d) for d in taken],
                    frozenset(i for i, d in enumerate(taken) if d.action.days_overdue),
                    (10, 42, 18, 13, 17),
                )
            )
    return tables


def row(data: ReviewData, d: DecisionInfo) -> tuple[str, ...]:
    late = f", {plural(d.action.days_overdue, 'day')} late" if d.action.days_overdue else ""
    return (
        f"#{d.action.id}",
        d.action.title,
        data.person(d.action.owner),
        data.day(d.action.due_date),
        data.state(ACTION, d.action.state) + late,
    )


def previous(data: ReviewData) -> str:
    decisions = data.previous_decisions
    if data.scope.previous_id is None:
        return "No previous management review is recorded."
    if not decisions:
        return "The previous review recorded no decisions."
    closed = sum(1 for d in decisions if d.action.state == "closed")
    late = sum(1 for d in decisions if d.action.days_overdue)
    still = len(decisions) - closed
    return (
        f"Of the {plural(len(decisions), 'decision')} of management review "
        f"#{data.scope.previous_id}, {closed} {'was' if closed == 1 else 'were'} closed and "
        f"{still} {'was' if still == 1 else 'were'} not ({late} of them late) when the inputs "
        "were gathered; each is listed with what became of it in"
    )
