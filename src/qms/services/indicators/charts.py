"""Trend charts of indicators, drawn once per state of their data and kept in the database.

A chart is stored under the hash of what it shows (values, target, threshold, labels,
direction) and of the renderer's version, and drawn again only when one of them changes:
a chart kept by an older renderer is never shown again.  Drawing one costs well under a
millisecond now; reading kept ones in one query still beats drawing a hundred.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qms.db import Database
from qms.models import Direction, IndicatorChart
from qms.reporting.charts import MIN_POINTS, ChartData, drawable, trend_svg
from qms.services.indicators.series import Series

__all__ = ["MIN_POINTS", "chart_data", "drawable", "forget", "series_drawable", "svgs"]


def chart_data(series: Series) -> ChartData:
    indicator = series.indicator
    return ChartData(
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        target=indicator.target,
        threshold=indicator.alert_threshold,
        points=tuple((p.period, p.value) for p in series.points),
        higher_is_better=indicator.direction == Direction.HIGHER,
    )


def series_drawable(series: Series) -> bool:
    """Whether the series has the values a trend chart needs (``MIN_POINTS``); the pack
    shows the values in a small table below that."""
    return drawable(chart_data(series))


def svgs(database: Database, all_series: Sequence[Series]) -> dict[str, str]:
    """The chart of each series by indicator code: kept ones read in one query, others drawn."""
    wanted = {s.indicator.code: (s.indicator.id, chart_data(s)) for s in all_series}
    hashes = {data.data_hash for _, data in wanted.values()}
    kept = {h: _REMEMBERED[h] for h in hashes if h in _REMEMBERED}
    unknown = hashes - set(kept)
    if unknown:
        with database.reading() as session:
            query = select(IndicatorChart.data_hash, IndicatorChart.svg).where(
                IndicatorChart.data_hash.in_(unknown)
            )
            kept.update(dict(session.execute(query).all()))
    drawn = {
        data.data_hash: (indicator_id, trend_svg(data))
        for indicator_id, data in wanted.values()
        if data.data_hash not in kept
    }
    if drawn:
        _keep(database, drawn)
    kept.update({h: svg for h, (_, svg) in drawn.items()})
    _remember(kept)
    return {code: kept[data.data_hash] for code, (_, data) in wanted.items()}


# Charts by the hash of their data: the same data always draws the same chart, so a chart
# read once need not be read again by this process. Bounded, oldest forgotten first.
_REMEMBERED: dict[str, str] = {}
_REMEMBER_AT_MOST = 1000


def forget() -> None:
    """Empty this process's memory of charts (the table keeps them): a cold start."""
    _REMEMBERED.clear()


def _remember(charts: dict[str, str]) -> None:
    _REMEMBERED.update(charts)
    while len(_REMEMBERED) > _REMEMBER_AT_MOST:
        del _REMEMBERED[next(iter(_REMEMBERED))]


def _keep(database: Database, drawn: dict[str, tuple[int, str]]) -> None:
    """Store new charts; another process storing the same one first is fine."""
    with database.unit_of_work() as uow:
        for data_hash, (indicator_id, svg) in drawn.items():
            uow.session.add(IndicatorChart(data_hash=data_hash, indicator_id=indicator_id, svg=svg))
        try:
            uow.commit()
        except IntegrityError:
            uow.rollback()
