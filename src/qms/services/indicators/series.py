"""Values over time: the last periods of each indicator, their trend, and what is missing.

Every function here reads all the indicators it is given with one query for their
measurements, whatever their number (no query per indicator).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import Direction, Frequency, Indicator, Measurement, Person, Process
from qms.services.indicators import periods as indicators_periods
from qms.services.indicators.periods import Period
from qms.services.indicators.vocabulary import Status, status

WINDOW = 24  # periods on a trend chart
SHOWN_AT_LEAST = 8  # periods kept when the oldest ones have no value


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
        """improving, worsening or stable: the last three values against the three before."""
        values = self.values
        if len(values) < 2:
            return "not enough values"
        recent, before = values[-3:], values[-6:-3] or values[:1]
        change = sum(recent) / len(recent) - sum(before) / len(before)
        scale = max(abs(self.indicator.target), 1e-9)
        if abs(change) / scale < 0.02:
            return "stable"
        better = change > 0 if self.indicator.direction == Direction.HIGHER else change < 0
        return "improving" if better else "worsening"


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


def values_of(session: Session, ids: list[int]) -> dict[int, dict[str, float]]:
    """Every value of these indicators, by indicator id and period (one query)."""
    by_indicator: dict[int, dict[str, float]] = defaultdict(dict)
    if not ids:
        return by_indicator
    query = select(Measurement.indicator_id, Measurement.period, Measurement.value).where(
        Measurement.indicator_id.in_(ids)
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
