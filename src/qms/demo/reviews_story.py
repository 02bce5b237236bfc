"""Story of the reviews demo step: what the directors decided at the two management reviews,
why inputs had no data, what the pilots decided on breaches, and why this year's review
was brought forward.

:mod:`qms.demo.reviews` plays them on the demo's timeline; the tables here only say what
happened, not when (the due dates count from the day of the review).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from qms.services.reviews.decisions import Category, Decision

QUALITY_OFFICE = "cvidal"  # correspondent of STE-02, continuous improvement
ATTENDEES = "Hélène Marchal, Pascal Delorme, Nadia Garnier, Thomas Brunet"
MINUTES = "Inputs presented by the quality manager; each decision below was agreed."

# The pilots' decisions on breaches: (pilot, action title), or no action (dismissed).
BREACH_DECISIONS: dict[str, tuple[str, str | None]] = {
    "TRN-04-GRADES": ("ebenoit", "Publish exam grades within 15 days: reminder to examiners"),
    "TRN-02-BREAKS": ("mleclerc", None),
}
DISMISSED = "Two apprentices left for permanent jobs at their host company: not a failure"

PROCESS_REVIEW = (
    "Émilie Benoit, Gaëlle Renaud, Camille Fontaine",
    "Admissions ran to plan; grades were published late in one month and student "
    "complaints rose after the exam period.",
    "partly",
)
PROCESS_DECISION = "Answer every written complaint within 10 days"

# The review planned a year after the last one falls after the demo's year; the directors
# hold it earlier, for the period that is over by then.
BROUGHT_FORWARD = (
    "Brought forward to {day}: the directors review the year before the accreditation "
    "visit in January"
)


@dataclass(frozen=True)
class Review:
    """One management review of the story: why inputs had no data, its decisions."""

    missing: dict[str, str]  # by input; "others" for any other input
    decisions: Callable[[date], list[Decision]]
    resources_note: str = ""


def _first(day: date) -> list[Decision]:
    def due(days: int) -> date:
        return day + timedelta(days=days)

    return [
        Decision(
            "Measure every process with at least one indicator",
            QUALITY_OFFICE,
            due(120),
            "STE-02",
            Category.QMS_CHANGE,
        ),
        Decision(
            "Train four more internal auditors", "amoulin", due(200), "RSC-01", Category.RESOURCES
        ),
        Decision(
            "Survey employers of apprentices every semester",
            "mleclerc",
            due(240),
            "TRN-02",
            Category.IMPROVEMENT,
        ),
    ]


def _second(day: date) -> list[Decision]:
    def due(days: int) -> date:
        return day + timedelta(days=days)

    return [
        Decision(
            "Publish exam grades within 15 days in every programme",
            "ebenoit",
            due(90),
            "TRN-04",
            Category.IMPROVEMENT,
        ),
        Decision(
            "Add supplier delivery performance to the purchasing procedure",
            "sboyer",
            due(120),
            "RSC-02",
            Category.QMS_CHANGE,
        ),
        Decision(
            "Recruit the two vacant lecturers", "amoulin", due(150), "RSC-01", Category.RESOURCES
        ),
    ]


FIRST = Review(
    {
        "a": "The first review recorded in qms: the previous review's actions were followed "
        "on paper and their status is in the minutes.",
        "b": "Presented orally by the director: the new accreditation rules and the regional "
        "funding plan (see the minutes).",
        "others": "qms holds records only from the past few weeks: the figures of the period "
        "come from the school's former spreadsheets, attached to the minutes.",
    },
    _first,
)
SECOND = Review(
    {
        "b": "The strategy seminar that reviews external and internal issues meets in "
        "January; its conclusions go to the next review.",
        "others": "Nothing of it was recorded in qms this year; reported orally (see the minutes).",
    },
    _second,
    "Two lecturer posts vacant since September; the learning platform needs a new hosting "
    "contract in 2027.",
)
