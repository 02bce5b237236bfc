"""The audit settings as values: finding types, due days per grade, closed periods.

Kept beside :mod:`qms.config` (which validates the ``QMS_AUDIT_*`` variables with these
parsers) so that a malformed value stops qms at start-up with a message naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class FindingType:
    name: str
    grade: str | None  # a nonconformity grade (major, minor, ...) or None

    @property
    def is_nonconformity(self) -> bool:
        return self.grade is not None


@dataclass(frozen=True)
class ClosedPeriod:
    """A yearly period, e.g. 12-20..01-04 (it may run over the new year)."""

    start: tuple[int, int]
    end: tuple[int, int]

    def covers(self, day: date) -> bool:
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end

    def __str__(self) -> str:
        return f"{self.start[0]:02d}-{self.start[1]:02d}..{self.end[0]:02d}-{self.end[1]:02d}"


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_finding_types(value: str) -> list[FindingType]:
    types: list[FindingType] = []
    for item in _items(value):
        name, _, grade = item.partition(":")
        if not name.strip() or (":" in item and not grade.strip()):
            raise ValueError(f"{item!r}: give a type, or type:grade for a nonconformity")
        types.append(FindingType(name.strip(), grade.strip() or None))
    names = [t.name for t in types]
    if not types or len(set(names)) != len(names):
        raise ValueError(f"{value!r}: give distinct finding types separated by commas")
    return types


def parse_due_days(value: str) -> dict[str, int]:
    days: dict[str, int] = {}
    for item in _items(value):
        grade, _, number = item.partition("=")
        if not grade.strip() or not number.strip().isdigit() or int(number) < 1:
            raise ValueError(f"{item!r}: give grade=days with a positive number, e.g. major=30")
        days[grade.strip()] = int(number)
    return days


def _month_day(text: str, item: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in text.strip().split("-"))
        date(2024, month, day)  # a leap year: 02-29 is allowed
    except ValueError:
        raise ValueError(f"{item!r}: give MM-DD..MM-DD, e.g. 07-14..08-31") from None
    return month, day


def parse_closed_periods(value: str) -> list[ClosedPeriod]:
    periods = []
    for item in _items(value):
        start, sep, end = item.partition("..")
        if not sep:
            raise ValueError(f"{item!r}: give MM-DD..MM-DD, e.g. 07-14..08-31")
        periods.append(ClosedPeriod(_month_day(start, item), _month_day(end, item)))
    return periods


def is_closed(day: date, periods: list[ClosedPeriod]) -> bool:
    """True on a weekend or inside a closed period."""
    return day.weekday() >= 5 or any(p.covers(day) for p in periods)


def first_open_day(day: date, periods: list[ClosedPeriod], limit: date) -> date | None:
    """The first day from ``day`` up to ``limit`` that is open for an audit."""
    while day <= limit:
        if not is_closed(day, periods):
            return day
        day += timedelta(days=1)
    return None
