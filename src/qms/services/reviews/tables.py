"""The presentation pieces shared by the inputs of a review: sections, tables, formatting.

A :class:`Section` is one 9.3.2 input with its summary, :class:`Table` rows and charts;
:func:`indicator_table` lays out indicators with their latest value and status, and the
small helpers here write values and pick indicators by topic.  Every cell is written for
the reader: names, labels, the institution's dates, whole numbers for counts
(:mod:`qms.reporting.words`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qms.models import Direction, Indicator, Topic
from qms.reporting.words import number, whole
from qms.services.indicators.series import Series
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import MissingReason, ReviewData

STATUS_TEXT = {Status.ON_TARGET: "On target", Status.WATCH: "Off target", Status.BREACH: "Alert"}
# Four columns, the process as a heading row above its indicators: a table cell costs
# WeasyPrint about 1 ms, and this table has a row for every indicator of the institution.
INDICATOR_COLUMNS = ("indicator", "latest value", "target / alert", "status · trend")
INDICATOR_WIDTHS = (45, 19, 14, 22)
NUMERIC = frozenset({"latest value"})
# Units that are measures, not things counted: their values keep their decimals.
MEASURES = frozenset({"days", "hours", "minutes", "weeks", "months", "years"})


@dataclass
class Table:
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    flagged: frozenset[int] = frozenset()  # rows shown in red
    widths: tuple[int, ...] = ()  # share of the page's width of each column, in percent
    numeric: frozenset[int] = frozenset()  # columns of figures, aligned right
    more: str = ""  # the rows left out of a long list, and where to find them all
    indicators: tuple[str, ...] = ()  # an indicator table: the code of each row
    lead: str = ""  # a line above the table: what it is drawn from ("17 indicators: ...")
    link: str = ""  # where the rows left out are: an id, shown with its page number
    link_text: str = ""  # the words of that link ("9.3.2 c 5")
    # With the page number: WeasyPrint lays a page out twice more for each page that prints
    # one (target-counter), so only the light summary page does.
    link_page: bool = False
    anchor: str = ""  # this table's own id, for links from other sections
    groups: dict[int, str] = field(default_factory=dict)  # a heading row before row i


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

    @property
    def rows(self) -> int:
        return sum(len(t.rows) for t in self.tables)


# A list longer than this shows its first rows and says how many more there are: the pack
# is read by directors; the registers behind it are a command away.
LONGEST = 15


def shortened(table: Table, left_out: int, where: str) -> Table:
    """The table of the first rows of a longer list, saying what was left out and where."""
    if left_out > 0:
        table.more = f"{left_out} more not shown here: {where}."
    return table


def num(value: float | None) -> str:
    return number(value, 2)


def counted(unit: str) -> bool:
    """Whether the unit names things counted ("start-ups", "complaints"): whole values."""
    word = unit.strip().lower()
    return word.isascii() and word.replace("-", "").isalpha() and word not in MEASURES


def value_text(value: float | None, unit: str) -> str:
    """A value with its unit: "88.3 %", "4.4 /5", "18 start-ups" (a count is whole)."""
    if value is None:
        return "—"
    if counted(unit):
        return f"{whole(value)} {singular(unit) if round(value) == 1 else unit}"
    return f"{num(value)} {unit}".strip()


def singular(unit: str) -> str:
    """One of what a unit counts: "1 incident", "1 delivery", "1 start-up"."""
    if unit.endswith("ies"):
        return unit[:-3] + "y"
    return unit.removesuffix("s")


def target_text(indicator: Indicator) -> str:
    """The target and the alert threshold, in the unit of the value: "≥ 85 / 75"."""
    sign = "≥" if indicator.direction == Direction.HIGHER else "≤"
    count = counted(indicator.unit)
    target, alert = indicator.target, indicator.alert_threshold
    written = whole if count else num
    return f"{sign} {written(target)} / {written(alert)}"


def status_text(s: Series) -> str:
    return STATUS_TEXT[s.status] if s.status else "No value"


def trend_text(s: Series) -> str:
    """The trend in a word, or how many values it still lacks ("3 of 4 values")."""
    label = s.trend
    if label.startswith("not enough values"):
        return f"Too few values ({label.partition('(')[2].removesuffix(' needed)')})"
    return label[:1].upper() + label[1:]


def indicator_table(title: str, all_series: Sequence[Series], data: ReviewData) -> Table:
    """One row per indicator (in process order), under a heading row per process."""
    rows, flagged, groups, previous = [], set(), {}, None
    for i, s in enumerate(all_series):
        latest, ind = s.latest, s.indicator
        process = data.process_of.get(ind.id, "")
        if process != previous:
            groups[i], previous = f"Process {process}", process
        if s.status == Status.BREACH:
            flagged.add(i)
        value = f"{value_text(latest.value, ind.unit)} · {latest.period}" if latest else "no value"
        said = f"{status_text(s)} · {trend_text(s)}" if latest else "No value"
        rows.append((f"{ind.code} {ind.name}", value, target_text(ind), said))
    return Table(
        title,
        INDICATOR_COLUMNS,
        rows,
        frozenset(flagged),
        INDICATOR_WIDTHS,
        frozenset(i for i, c in enumerate(INDICATOR_COLUMNS) if c in NUMERIC),
        indicators=tuple(s.indicator.code for s in all_series),
        groups=groups,
    )


def values_table(title: str, all_series: Sequence[Series]) -> Table:
    """Indicators with too few values for a chart: their values, one row each."""
    rows = []
    for s in all_series:
        ind = s.indicator
        recorded = [p for p in s.points if p.value is not None]
        values = " · ".join(f"{p.period}: {value_text(p.value, ind.unit)}" for p in recorded)
        rows.append((f"{ind.code} {ind.name}", values or "no value", trend_text(s)))
    return Table(title, ("indicator", "values recorded", "trend"), rows, widths=(38, 44, 18))


def about(data: ReviewData, topic: Topic) -> list[Series]:
    return [s for s in data.series if topic.value in (s.indicator.topics or [])]


def with_values(series: Iterable[Series]) -> list[Series]:
    return [s for s in series if s.latest is not None]


def off_target(series: Sequence[Series]) -> int:
    return sum(1 for x in series if x.status in (Status.WATCH, Status.BREACH))
