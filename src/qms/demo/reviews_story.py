"""Story of the reviews demo step: what the directors decided at the two management reviews,
why inputs had no data, and why this year's review was brought forward.

:mod:`qms.demo.reviews` plays them on the demo's clock; the tables here only say what
happened, not when (the due dates count from the day of the review).
"""

from __future__ import annotations

from datetime import date, timedelta

from qms.services.reviews.decisions import Decision

QUALITY_OFFICE = "cvidal"  # correspondent of STE-02, continuous improvement

# Why an input has no data (clause 9.3.2), by input; "others" for any other input.
FIRST_REVIEW = {
    "a": "The first review recorded in qms: the previous review's actions were followed on "
    "paper and their status is in the minutes.",
    "b": "Presented orally by the director: the new accreditation rules and the regional "
    "funding plan (see the minutes).",
    "others": "qms holds records only from the past few weeks: the figures of the period come "
    "from the school's former spreadsheets, attached to the minutes.",
}
THIS_YEAR = {
    "b": "The strategy seminar that reviews external and internal issues meets in January; "
    "its conclusions go to the next review.",
    "others": "Nothing of it was recorded in qms this year; reported orally (see the minutes).",
}

# The review planned a year after the last one falls after the demo's year; the directors
# hold it earlier, for the period that is over by then.
BROUGHT_FORWARD = (
    "Brought forward to {day}: the directors review the year before the accreditation "
    "visit in January"
)
RESOURCES_NOTE = (
    "Two lecturer posts vacant since September; the learning platform needs a new hosting "
    "contract in 2027."
)


def first_decisions(day: date) -> list[Decision]:
    def due(days: int) -> date:
        return day + timedelta(days=days)

    return [
        Decision(
            "Measure every process with at least one indicator",
            QUALITY_OFFICE,
            due(120),
            "STE-02",
            "qms_change",
        ),
        Decision("Train four more internal auditors", "amoulin", due(200), "RSC-01", "resources"),
        Decision("Survey employers of apprentices every semester", "mleclerc", due(90), "TRN-02"),
    ]


def this_years_decisions(day: date) -> list[Decision]:
    def due(days: int) -> date:
        return day + timedelta(days=days)

    return [
        Decision(
            "Publish exam grades within 15 days in every programme", "ebenoit", due(90), "TRN-04"
        ),
        Decision(
            "Add supplier delivery performance to the purchasing procedure",
            "sboyer",
            due(120),
            "RSC-02",
            "qms_change",
        ),
        Decision("Recruit the two vacant lecturers", "amoulin", due(150), "RSC-01", "resources"),
    ]
