"""Where the pack shows each indicator's trend: a chart once, in the first section that needs it.

A chart is drawn only when its series has enough recorded values for a trend
(:func:`qms.reporting.charts.drawable`); with fewer, the values are shown in a small
table instead, so that no chart of one to three points stands on a 24-period axis.
Each indicator is shown once in the whole pack: a later section that looks at the same
indicator refers to it ("chart in 9.3.2 c 1, page 7"; the page comes from the PDF's
``target-counter``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from qms.db import Database
from qms.reporting.charts import drawable
from qms.services.indicators import charts as indicators_charts
from qms.services.indicators.series import Series
from qms.services.reviews.data import ReviewData
from qms.services.reviews.tables import Section, Table, values_table


@dataclass(frozen=True)
class Shown:
    """One indicator's trend chart as a section shows it."""

    code: str
    anchor: str  # the id later sections link to
    caption: str
    svg: Markup


@dataclass(frozen=True)
class Earlier:
    """An indicator shown in an earlier section: where."""

    code: str
    anchor: str
    clause: str
    chart: bool  # a chart, or a table of its values


@dataclass
class Placed:
    shown: list[Shown] = field(default_factory=list)  # charts drawn here
    few: list[Series] = field(default_factory=list)  # too few values: shown in a table here
    earlier: list[Earlier] = field(default_factory=list)

    @property
    def values(self) -> Table:
        return values_table("Indicators with too few values for a chart", self.few)

    @property
    def anchors(self) -> list[str]:
        return [anchor(s.indicator.code) for s in self.few]


def place(database: Database, data: ReviewData, built: list[Section]) -> dict[str, Placed]:
    """For each section (by key), the trends it shows and those shown before it."""
    by_code = {s.indicator.code: s for s in data.series}
    wanted = [by_code[c] for c in dict.fromkeys(c for s in built for c in s.charts)]
    svgs = indicators_charts.svgs(database, [s for s in wanted if can_draw(s)])
    first: dict[str, Earlier] = {}
    placed: dict[str, Placed] = {}
    for section in built:
        here = placed.setdefault(section.key, Placed())
        for code in section.charts:
            if code in first:
                here.earlier.append(first[code])
                continue
            series, svg = by_code[code], svgs.get(code)
            if svg is None:
                here.few.append(series)
            else:
                trend = series.trend_reading.explanation
                here.shown.append(Shown(code, anchor(code), f"{code} trend: {trend}", Markup(svg)))  # noqa: S704 - drawn by the charts module, not typed by a user
            first[code] = Earlier(code, anchor(code), section.clause, svg is not None)
    return placed


def anchor(code: str) -> str:
    return f"trend-{code}"


def can_draw(series: Series) -> bool:
    return drawable(indicators_charts.chart_data(series))
