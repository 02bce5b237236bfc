"""The presentation pieces shared by the inputs of a review: sections, tables, formatting.

A :class:`Section` is one 9.3.2 input with its summary, :class:`Table` rows and charts;
:func:`indicator_table` lays out indicators with their latest value and status, and the
small helpers here format numbers and days and pick indicators by topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from qms.models import Topic
from qms.services.indicators.series import Series
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import MissingReason, ReviewData

STATUS_TEXT = {Status.ON_TARGET: "on target", Status.WATCH: "off target", Status.BREACH: "alert"}
INDICATOR_COLUMNS = (
    "indicator",
    "name",
    "process",
    "latest",
    "value",
    "target",
    "alert",
    "status",
    "trend",
)


@dataclass
class Table:
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    flagged: frozenset[int] = frozenset()  # rows shown in red


@dataclass
class Section:
    key: str
    clause: str
    title: str
    summary: str = ""
    missing_reason: str = ""  # why there is no data
    note: str = ""
    reason: MissingReason | None = None  # why a person says it is missing (9.3.2)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # indicator codes

    @property
    def missing(self) -> bool:
        return bool(self.missing_reason) and not self.note


def num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def indicator_table(title: str, all_series: Sequence[Series], data: ReviewData) -> Table:
    rows, flagged = [], set()
    for i, s in enumerate(all_series):
        latest, ind = s.latest, s.indicator
        state = s.status
        if state == Status.BREACH:
            flagged.add(i)
        rows.append(
            (
                ind.code,
                ind.name,
                data.process_of.get(ind.id, ""),
                latest.period if latest else "—",
                f"{num(latest.value)} {ind.unit}" if latest else "no value",
                num(ind.target),
                num(ind.alert_threshold),
                STATUS_TEXT[state] if state else "no value",
                s.trend,
            )
        )
    return Table(title, INDICATOR_COLUMNS, rows, frozenset(flagged))


def about(data: ReviewData, topic: Topic) -> list[Series]:
    return [s for s in data.series if topic.value in (s.indicator.topics or [])]


def with_values(series: Iterable[Series]) -> list[Series]:
    return [s for s in series if s.latest is not None]


def off_target(series: Sequence[Series]) -> int:
    return sum(1 for x in series if x.status in (Status.WATCH, Status.BREACH))


def day_text(day: date | None) -> str:
    return day.isoformat() if day is not None else "—"
