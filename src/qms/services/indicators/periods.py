"""Measurement periods: ``2026-03`` (monthly), ``2026-Q1``, ``2026-S1`` (semester), ``2026``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from qms.models import Frequency

PER_YEAR = {
    Frequency.MONTHLY: 12,
    Frequency.QUARTERLY: 4,
    Frequency.SEMESTER: 2,
    Frequency.YEARLY: 1,
}
PATTERN = {
    Frequency.MONTHLY: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    Frequency.QUARTERLY: re.compile(r"^(\d{4})-Q([1-4])$"),
    Frequency.SEMESTER: re.compile(r"^(\d{4})-S([12])$"),
    Frequency.YEARLY: re.compile(r"^(\d{4})()$"),
}
EXAMPLE = {
    Frequency.MONTHLY: "2026-03",
    Frequency.QUARTERLY: "2026-Q1",
    Frequency.SEMESTER: "2026-S1",
    Frequency.YEARLY: "2026",
}


@dataclass(frozen=True, order=True)
class Period:
    year: int
    index: int  # 1-based within the year
    frequency: Frequency

    @property
    def months(self) -> int:
        return 12 // PER_YEAR[self.frequency]

    @property
    def label(self) -> str:
        match self.frequency:
            case Frequency.MONTHLY:
                return f"{self.year}-{self.index:02d}"
            case Frequency.QUARTERLY:
                return f"{self.year}-Q{self.index}"
            case Frequency.SEMESTER:
                return f"{self.year}-S{self.index}"
        return str(self.year)

    @property
    def start(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> Period:
        if self.index == PER_YEAR[self.frequency]:
            return Period(self.year + 1, 1, self.frequency)
        return Period(self.year, self.index + 1, self.frequency)

    def previous(self) -> Period:
        if self.index == 1:
            return Period(self.year - 1, PER_YEAR[self.frequency], self.frequency)
        return Period(self.year, self.index - 1, self.frequency)

    def __str__(self) -> str:
        return self.label


def parse(text: str, frequency: Frequency) -> Period:
    """The period ``text`` names; ValueError saying what a period of ``frequency`` looks like."""
    found = PATTERN[frequency].match(text.strip().upper())
    if found is None:
        raise ValueError(
            f"{text!r} is not a {frequency.value} period (write it like {EXAMPLE[frequency]})"
        )
    return Period(int(found.group(1)), int(found.group(2) or 1), frequency)


def containing(day: date, frequency: Frequency) -> Period:
    months = 12 // PER_YEAR[frequency]
    return Period(day.year, (day.month - 1) // months + 1, frequency)


def span(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last``, both included."""
    periods: list[Period] = []
    current = first
    while current <= last:
        periods.append(current)
        current = current.next()
    return periods


def last_n(end: Period, count: int) -> list[Period]:
    """The ``count`` periods ending with ``end``, oldest first."""
    periods = [end]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]
