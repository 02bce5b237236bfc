"""The indicators a section looks at, in a few lines: a count by status and the worst few.

Every indicator is listed in full once, in 9.3.2 c 5 (:data:`FULL`, its one table of all
indicators). The other sections that concern indicators (the summary, customer
satisfaction, objectives, external providers, resources, risks) say how many they look
at by status ("17 indicators: 10 on target, 5 off target, 2 past their alert
threshold") and list only those off target or past their alert threshold, the worst
first, at most :data:`SHORT_MOST`, with the page of the full table for the rest. The
pack's size is then bounded by what a director reads, not by the size of the
institution.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from qms.models import Direction
from qms.reporting.words import plural
from qms.services.indicators.series import Series
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import ReviewData
from qms.services.reviews.tables import Table, status_text, value_text

SHORT_MOST = 10  # rows of a section's table of indicators needing attention
FULL = "indicators-all"  # the id of 9.3.2 c 5's table of every indicator
FULL_CLAUSE = "9.3.2 c 5"
ATTENTION = (Status.WATCH, Status.BREACH)


def shortfall(s: Series) -> float:
    """How far the latest value is from the target, in widths of the target-to-alert band:
    0 at the target, 1 at the alert threshold, more past it; negative when better."""
    latest, ind = s.latest, s.indicator
    if latest is None or latest.value is None:
        return float("-inf")
    band = abs(ind.target - ind.alert_threshold) or 1.0
    short = (
        ind.target - latest.value
        if ind.direction == Direction.HIGHER
        else latest.value - ind.target
    )
    return short / band


def worst_first(series: Sequence[Series]) -> list[Series]:
    """Past the alert threshold before off target, each the farthest from its target first."""
    return sorted(series, key=lambda s: (s.status == Status.BREACH, shortfall(s)), reverse=True)


def needing_attention(series: Sequence[Series]) -> list[Series]:
    return worst_first([s for s in series if s.status in ATTENTION])


def by_status(series: Sequence[Series], noun: str = "indicator") -> str:
    """ "17 indicators: 10 on target, 5 off target, 2 past their alert threshold"."""
    counts = Counter(s.status for s in series)
    alerts = counts[Status.BREACH]
    text = (
        f"{plural(len(series), noun)}: {counts[Status.ON_TARGET]} on target, "
        f"{counts[Status.WATCH]} off target, {alerts} past "
        f"{'its' if alerts == 1 else 'their'} alert threshold"
    )
    return text + (f", {counts[None]} without value" if counts[None] else "")


def attention_table(
    title: str,
    series: Sequence[Series],
    data: ReviewData,
    noun: str = "indicator",
    page: bool = False,
) -> Table:
    """The count by status of these indicators, and those needing attention, worst first."""
    worst = needing_attention(series)
    shown = worst[:SHORT_MOST]
    rows = [
        (
            f"{s.indicator.code} {s.indicator.name}",
            value_text(s.latest.value, s.indicator.unit) if s.latest else "no value",
            status_text(s),
        )
        for s in shown
    ]
    left_out = len(worst) - len(shown)
    label = f"{title} ({len(shown)} of {len(worst)}, the worst first)" if left_out else title
    return Table(
        label,
        ("indicator", "value", "status"),
        rows,
        frozenset(i for i, s in enumerate(shown) if s.status == Status.BREACH),
        (62, 20, 18),
        frozenset({1}),
        more=f"{left_out} more: table in" if left_out else "",
        indicators=tuple(s.indicator.code for s in shown),
        lead=by_status(series, noun) + ".",
        link=FULL if left_out else "",
        link_text=FULL_CLAUSE,
        link_page=page,
    )
