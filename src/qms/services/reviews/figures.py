"""Which trends the pack draws: the indicators the directors must look at, once, in c 5.

A chart is drawn for an indicator past its alert threshold or worsening, the worst first
(:func:`qms.services.reviews.digest.worst_first`), at most :data:`CHARTS_MOST`, and only
when its series has enough recorded values for a trend
(:func:`qms.reporting.charts.drawable`); one of those with fewer values has its values
shown in a small table instead, so that no chart of one to three points stands on a
24-period axis. Every other indicator is one row of c 5's table, and
``qms indicator chart CODE`` draws its chart.

Why a bound: a chart for each of a hundred indicators is a book, not a review pack; and
each costs WeasyPrint 40 to 90 ms to lay out and draw, 4 s or more for a hundred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from qms.db import Database
from qms.reporting.charts import MIN_POINTS, drawable
from qms.reporting.words import plural
from qms.services.indicators import charts as indicators_charts
from qms.services.indicators.series import Series
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import ReviewData
from qms.services.reviews.digest import worst_first
from qms.services.reviews.tables import Section, Table, values_table

# Measured on the benchmark's pack: a chart costs WeasyPrint 40 to 90 ms (two thirds of it
# its text), ten about 0.9 s of the pack's PDF; its tables and text take the rest.
CHARTS_MOST = 10
CHART_COMMAND = "qms indicator chart CODE -o CODE.svg"


@dataclass(frozen=True)
class Shown:
    """One indicator's trend chart as a section shows it."""

    code: str
    anchor: str  # the id other sections link to
    caption: str
    svg: Markup


@dataclass
class Placed:
    shown: list[Shown] = field(default_factory=list)  # charts drawn here
    few: list[Series] = field(default_factory=list)  # too few values: shown in a table here
    said: str = ""  # how many were drawn, of how many, and how to draw any other

    @property
    def values(self) -> Table:
        return values_table("Indicators with too few values for a chart", self.few)

    @property
    def anchors(self) -> list[str]:
        return [anchor(s.indicator.code) for s in self.few]


def must_look_at(series: Sequence[Series]) -> list[Series]:
    """Past the alert threshold or worsening, the worst first."""
    return worst_first(
        [s for s in series if s.status == Status.BREACH or s.trend_reading.label == "worsening"]
    )


def place(database: Database, data: ReviewData, built: list[Section]) -> dict[str, Placed]:
    """For each section (by key), the charts and values it shows, from its ``charts``."""
    by_code = {s.indicator.code: s for s in data.series}
    placed = {s.key: Placed() for s in built}
    for section in built:
        if section.charts:
            placed[section.key] = chosen([by_code[c] for c in section.charts], database)
    return placed


def chosen(series: Sequence[Series], database: Database) -> Placed:
    """At most CHARTS_MOST charts of those to look at, and the values of those with few."""
    wanted = must_look_at(series)
    can = [s for s in wanted if can_draw(s)]
    drawn = can[:CHARTS_MOST]
    svgs = indicators_charts.svgs(database, drawn)
    few = [s for s in wanted if not can_draw(s) and s.latest is not None][:CHARTS_MOST]
    return Placed(
        [shown(s, svgs[s.indicator.code]) for s in drawn],
        few,
        said(len(drawn), len(can), len(series)),
    )


def shown(series: Series, svg: str) -> Shown:
    code = series.indicator.code
    caption = f"{code} trend: {series.trend_reading.explanation}"
    return Shown(code, anchor(code), caption, Markup(svg))  # noqa: S704 - drawn by the charts module, not typed by a user


def said(drawn: int, wanted: int, every: int) -> str:
    """ "10 charts drawn (at most 10, the worst first) of the 30 indicators past ..." """
    head = f"{plural(drawn, 'chart')} drawn"
    if wanted > drawn:
        head += f" (at most {CHARTS_MOST}, the worst first)"
    return (
        f"{head} of the {plural(wanted, 'indicator')} past their alert threshold or "
        f"worsening with at least {MIN_POINTS} values ({every} in all): a chart for each "
        f"indicator would be a book, not a review pack; the command {CHART_COMMAND} "
        "draws any other."
    )


def anchor(code: str) -> str:
    return f"trend-{code}"


def can_draw(series: Series) -> bool:
    return drawable(indicators_charts.chart_data(series))
