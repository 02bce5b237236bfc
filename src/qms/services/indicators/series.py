"""Values over time: the last periods of each indicator, their trend, and what is missing.

Every function here reads all the indicators it is given with one query for their
measurements, whatever their number (no query per indicator).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from itertools import pairwise
from statistics import fmean, median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import (
    Direction,
    Frequency,
    Indicator,
    Measurement,
    MeasurementRevision,
    Person,
    Process,
)
from qms.services.indicators import periods as indicators_periods
from qms.services.indicators.periods import Period
from qms.services.indicators.vocabulary import Status, status

WINDOW = 24  # periods on a trend chart
SHOWN_AT_LEAST = 8  # periods kept when the oldest ones have no value
TREND_VALUES = 2  # a trend compares the mean of the last 2 values with the 2 before
GAP_SHARE = 0.25  # a change within a quarter of the target-to-alert distance is noise


@dataclass(frozen=True)
class Point:
    period: str
    value: float | None


@dataclass(frozen=True)
class Series:
    indicator: Indicator
    points: tuple[Point, ...]  # oldest first, None where nothing was recorded

    @property
    def values(self) -> list[float]:
        return [p.value for p in self.points if p.value is not None]

    @property
    def latest(self) -> Point | None:
        return next((p for p in reversed(self.points) if p.value is not None), None)

    @property
    def status(self) -> Status | None:
        latest = self.latest
        return (
            None if latest is None or latest.value is None else status(self.indicator, latest.value)
        )

    @property
    def trend(self) -> str:
        """improving, worsening, stable, or not enough values (see :func:`trend_of`)."""
        return self.trend_reading.label

    @property
    def trend_reading(self) -> Trend:
        ind = self.indicator
        return trend_of(self.values, ind.direction, ind.target, ind.alert_threshold, ind.unit)


@dataclass(frozen=True)
class Trend:
    """Which way an indicator is going (clause 9.1.3), and what that reading rests on."""

    label: str  # improving, worsening, stable, or "not enough values (2 of 4 needed)"
    explanation: str  # the same in a sentence: what was compared with what

    def __str__(self) -> str:
        return self.label


def trend_of(
    values: Sequence[float], direction: Direction, target: float, alert: float, unit: str = ""
) -> Trend:
    """The mean of the last ``TREND_VALUES`` values against the mean of as many before.

    A change no larger than the noise reads ``stable``; the noise is the larger of a
    quarter of the distance between target and alert threshold (what matters for this
    indicator) and the usual change from one value to the next (the median of those
    changes over every value given), so an indicator that swings reads stable.  Otherwise
    the change reads ``improving`` or ``worsening`` in the indicator's direction.
    """
    needed = 2 * TREND_VALUES
    if len(values) < needed:
        label = f"not enough values ({len(values)} of {needed} needed)"
        return Trend(
            label,
            f"{label}: a trend compares the mean of the last {TREND_VALUES} values with the "
            f"mean of the {TREND_VALUES} before",
        )
    recent, before = fmean(values[-TREND_VALUES:]), fmean(values[-needed:-TREND_VALUES])
    change = recent - before
    noise = max(GAP_SHARE * abs(target - alert), _usual_step(values))
    if abs(change) <= noise + 1e-9 * max(abs(recent), abs(before), 1.0):
        label = "stable"
    else:
        better = change > 0 if direction == Direction.HIGHER else change < 0
        label = "improving" if better else "worsening"
    words = "higher" if direction == Direction.HIGHER else "lower"
    unit = f" {unit}" if unit else ""
    return Trend(
        label,
        f"{label}: the last {TREND_VALUES} values average {_num(recent)}{unit}, the "
        f"{TREND_VALUES} before {_num(before)}{unit} ({'+' if change >= 0 else ''}"
        f"{_num(change)}; a change within ±{_num(noise)} reads stable; {words} is better)",
    )


def _num(value: float) -> str:
    return f"{round(value, 2) + 0.0:.10g}"  # + 0.0: no "-0"


def _usual_step(values: Sequence[float]) -> float:
    """The median change from one value to the next: how much the indicator swings."""
    return median(abs(b - a) for a, b in pairwise(values))


def last_period(indicator: Indicator, until: date) -> Period:
    """The latest period of the indicator that is over on ``until``."""
    return indicators_periods.containing(until, indicator.frequency).previous()


def series(
    session: Session, indicators: Sequence[Indicator], until: date, count: int = WINDOW
) -> list[Series]:
    """For each indicator, its last ``count`` periods over on ``until`` (one query in all)."""
    return series_of(indicators, values_of(session, [i.id for i in indicators]), until, count)


def series_of(
    indicators: Sequence[Indicator],
    values: dict[int, dict[str, float]],
    until: date,
    count: int = WINDOW,
) -> list[Series]:
    """As :func:`series`, from values already read with :func:`values_of`."""
    found = []
    for indicator in indicators:
        periods = indicators_periods.last_n(last_period(indicator, until), count)
        mine = values.get(indicator.id, {})
        points = [Point(p.label, mine.get(p.label)) for p in periods]
        found.append(Series(indicator, tuple(_trimmed(points))))
    return found


def _trimmed(points: list[Point]) -> list[Point]:
    """Without the oldest periods before the first value (a yearly indicator measured for
    three years shows eight years, not twenty-four)."""
    first = next((i for i, p in enumerate(points) if p.value is not None), len(points))
    return points[min(first, max(len(points) - SHOWN_AT_LEAST, 0)) :]


def values_of(
    session: Session, ids: list[int], as_of: datetime | None = None
) -> dict[int, dict[str, float]]:
    """Every value of these indicators, by indicator id and period (one query); with
    ``as_of``, each value as it stood then (recorded later: left out; corrected later:
    the value before the correction)."""
    by_indicator: dict[int, dict[str, float]] = defaultdict(dict)
    if not ids:
        return by_indicator
    if as_of is not None:
        return _values_then(session, ids, as_of)
    query = select(Measurement.indicator_id, Measurement.period, Measurement.value).where(
        Measurement.indicator_id.in_(ids)
    )
    for indicator_id, period, value in session.execute(query):
        by_indicator[indicator_id][period] = value
    return by_indicator


def _values_then(session: Session, ids: list[int], as_of: datetime) -> dict[int, dict[str, float]]:
    """The last revision of each value made by ``as_of`` (one query, oldest first)."""
    by_indicator: dict[int, dict[str, float]] = defaultdict(dict)
    query = (
        select(Measurement.indicator_id, Measurement.period, MeasurementRevision.value)
        .join(MeasurementRevision, MeasurementRevision.measurement_id == Measurement.id)
        .where(Measurement.indicator_id.in_(ids), MeasurementRevision.at <= as_of)
        .order_by(MeasurementRevision.id)
    )
    for indicator_id, period, value in session.execute(query):
        by_indicator[indicator_id][period] = value
    return by_indicator


@dataclass(frozen=True)
class MissingRow:
    indicator: str
    process: str
    period: str
    due_on: date
    days_late: int
    owner: str | None


def missing(session: Session, today: date, since: date) -> list[MissingRow]:
    """Periods ended on or after ``since`` whose value is past due and not recorded."""
    query = (
        select(Indicator, Process.code, Person.handle)
        .join(Process, Indicator.process_id == Process.id)
        .outerjoin(Person, Indicator.owner_id == Person.id)
        .where(Indicator.retired_on.is_(None))
        .order_by(Process.code, Indicator.position)
    )
    rows = session.execute(query).all()
    values = values_of(session, [i.id for i, _, _ in rows])
    return missing_of(rows, values, today, since)


def missing_of(
    rows: Sequence[Any], values: dict[int, dict[str, float]], today: date, since: date
) -> list[MissingRow]:
    """As :func:`missing` for (indicator, process code, owner handle) rows, values read."""
    found = []
    for indicator, process, owner in rows:
        recorded = values.get(indicator.id, {})
        for label, due in _expected(indicator, since, today):
            if label not in recorded:
                late = (today - due).days
                found.append(MissingRow(indicator.code, process, label, due, late, owner))
    return found


def _expected(indicator: Indicator, since: date, today: date) -> list[tuple[str, date]]:
    return _expected_periods(
        indicator.frequency, indicator.since_period, indicator.due_days, since, today
    )


@cache
def _expected_periods(
    frequency: Frequency, since_period: str | None, due_days: int, since: date, today: date
) -> list[tuple[str, date]]:
    """(label, due date) of the periods expected; indicators alike share one answer."""
    first = indicators_periods.containing(since, frequency)
    if since_period:
        first = max(first, indicators_periods.parse(since_period, frequency))
    last = indicators_periods.containing(today, frequency).previous()
    return [
        (p.label, p.end + timedelta(days=due_days))
        for p in indicators_periods.span(first, last)
        if p.end >= since and p.end + timedelta(days=due_days) < today
    ]
