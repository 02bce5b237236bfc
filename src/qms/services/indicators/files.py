"""The files of indicators (clause 9.1): the indicators file and measurement imports.

The indicators file (``workflows/indicators.yaml``) is checked like the process map:
every mistake is one ``file:line: message``, and the whole file is refused when any is
found.  Process codes and people are checked against the process map beside the file
(``check``) or against the database (``load``).  A measurements file (CSV or XLSX) is
read into rows by :func:`read_rows`; the import checks and stores them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from pydantic import Field

from qms import yamldoc
from qms.errors import DefinitionError, Problem
from qms.models import Direction, Frequency, Topic
from qms.services.indicators import periods as indicators_periods
from qms.services.processmap.files import CODE, HANDLE
from qms.yamldoc import Document, Spec

INDICATOR_CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"


class IndicatorSpec(Spec):
    code: str = Field(pattern=INDICATOR_CODE, max_length=40)
    process: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    measures: str = Field(min_length=1)
    method: str = ""
    unit: str = Field("", max_length=20)
    # Not strict: the file gives enums as strings, and the enum's error lists the valid ones.
    direction: Direction = Field(strict=False)
    target: float | int
    alert_threshold: float | int
    frequency: Frequency = Field(strict=False)
    data_source: str = Field(min_length=1)
    owner: str | None = Field(None, pattern=HANDLE)
    about: list[Annotated[Topic, Field(strict=False)]] = []
    minimum: float | int | None = None
    maximum: float | int | None = None
    due_days: int = Field(30, ge=0, le=366)
    since: str | int | None = None


class IndicatorsSpec(Spec):
    indicators: list[IndicatorSpec] = Field(min_length=1)


def read(
    path: Path | str, processes: set[str] | None = None, people: set[str] | None = None
) -> IndicatorsSpec:
    """Parse and check an indicators file; DefinitionError lists every problem.

    ``processes`` and ``people`` are the codes and handles that exist; when not given
    they are read from ``process-map.yaml`` beside the file, if there is one.
    """
    doc = yamldoc.load(path)
    spec = yamldoc.parse(doc, IndicatorsSpec)
    if processes is None or people is None:
        processes, people = _beside(Path(path))
    problems = list(check(doc, spec, processes, people))
    if problems:
        raise DefinitionError(problems)
    return spec


def _beside(path: Path) -> tuple[set[str] | None, set[str] | None]:
    from qms.services.processmap import files as processmap_file

    map_path = path.parent / "process-map.yaml"
    if not map_path.is_file():
        return None, None
    spec = processmap_file.read(map_path)
    codes = {p.code for m in spec.macro_processes for p in m.processes}
    return codes, {p.id for p in spec.people}


def check(
    doc: Document, spec: IndicatorsSpec, processes: set[str] | None, people: set[str] | None
) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for i, indicator in enumerate(spec.indicators):
        loc = ("indicators", i)
        if indicator.code in first:
            yield doc.problem(
                (*loc, "code"),
                f"duplicate indicator '{indicator.code}' "
                f"(first at line {doc.line(('indicators', first[indicator.code], 'code'))})",
            )
        else:
            first[indicator.code] = i
        yield from _check_one(doc, loc, indicator, processes, people)


def _check_one(
    doc: Document,
    loc: tuple[str, int],
    spec: IndicatorSpec,
    processes: set[str] | None,
    people: set[str] | None,
) -> Iterable[Problem]:
    what = f"indicator '{spec.code}'"
    if processes is not None and spec.process not in processes:
        yield doc.problem((*loc, "process"), f"{what} names unknown process '{spec.process}'")
    if people is not None and spec.owner is not None and spec.owner not in people:
        yield doc.problem((*loc, "owner"), f"{what} names unknown owner '{spec.owner}'")
    yield from _check_numbers(doc, loc, spec, what)
    if spec.since is not None:
        try:
            indicators_periods.parse(str(spec.since), spec.frequency)
        except ValueError as exc:
            yield doc.problem((*loc, "since"), f"{what}: since: {exc}")


def _check_numbers(
    doc: Document, loc: tuple[str, int], spec: IndicatorSpec, what: str
) -> Iterable[Problem]:
    for key in ("target", "alert_threshold", "minimum", "maximum"):
        value = getattr(spec, key)
        if value is not None and not math.isfinite(value):
            yield doc.problem((*loc, key), f"{what}: {key} must be a finite number")
    higher = spec.direction == Direction.HIGHER
    if (spec.alert_threshold > spec.target) if higher else (spec.alert_threshold < spec.target):
        side = "above" if higher else "below"
        yield doc.problem(
            (*loc, "alert_threshold"),
            f"{what}: the alert threshold {_g(spec.alert_threshold)} is {side} the target "
            f"{_g(spec.target)}, but {spec.direction.value} is better: the alert would sound "
            "before the target is missed",
        )
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None and low >= high:
        yield doc.problem(
            (*loc, "maximum"), f"{what}: maximum {_g(high)} is not above minimum {_g(low)}"
        )
    for key in ("target", "alert_threshold"):
        value = getattr(spec, key)
        if (low is not None and value < low) or (high is not None and value > high):
            yield doc.problem(
                (*loc, key), f"{what}: {key} {_g(value)} is outside [{_g(low)}, {_g(high)}]"
            )


def _g(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# --- measurement files (CSV, XLSX) --------------------------------------------------------


COLUMNS = ("indicator", "period", "value")
ALIASES = {"code": "indicator", "indicator_code": "indicator", "note": "comment"}


@dataclass(frozen=True)
class Row:
    number: int
    indicator: str
    period: object
    value: object
    comment: str


def read_rows(path: Path) -> list[Row]:
    """The data rows of a CSV or XLSX file; a DefinitionError when the file itself is wrong."""
    shown = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise DefinitionError([Problem(shown, 0, "give a .csv or .xlsx file")])
    try:
        table = list(_xlsx(path) if suffix == ".xlsx" else _csv(path))
    except FileNotFoundError:
        raise DefinitionError([Problem(shown, 0, "file not found")]) from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as exc:
        raise DefinitionError([Problem(shown, 0, f"cannot read: {exc}")]) from exc
    if not table:
        raise DefinitionError([Problem(shown, 1, "the file is empty")])
    header = [ALIASES.get(h, h) for h in (_header(c) for c in table[0])]
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        raise DefinitionError(
            [
                Problem(
                    shown,
                    1,
                    f"missing column {', '.join(absent)} (columns: indicator, "
                    "period, value, and optionally comment)",
                )
            ]
        )
    where = {name: header.index(name) for name in (*COLUMNS, "comment") if name in header}
    return [
        _row(number, cells, where)
        for number, cells in enumerate(table[1:], start=2)
        if any(c not in (None, "") for c in cells)
    ]


def _header(cell: object) -> str:
    return str(cell or "").strip().lower().replace(" ", "_")


def _row(number: int, cells: list[object], where: dict[str, int]) -> Row:
    def cell(name: str) -> object:
        index = where.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    comment = cell("comment")
    return Row(
        number,
        str(cell("indicator") or "").strip(),
        cell("period"),
        cell("value"),
        "" if comment is None else str(comment).strip(),
    )


def _csv(path: Path) -> Iterator[list[object]]:
    text = path.read_text(encoding="utf-8-sig")
    dialect = "excel-semicolon" if _semicolons(text) else "excel"
    csv.register_dialect("excel-semicolon", delimiter=";")
    yield from csv.reader(io.StringIO(text), dialect)


def _semicolons(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return first.count(";") > first.count(",")


def _xlsx(path: Path) -> Iterator[list[object]]:
    from openpyxl import load_workbook  # imported here: only imports need it

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def period_text(raw: object, frequency: Frequency) -> str:
    """A period cell as text; a spreadsheet may have turned 2026-03 into a date or 2026 a number."""
    if isinstance(raw, datetime | date) and frequency == Frequency.MONTHLY:
        return f"{raw.year}-{raw.month:02d}"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return "" if raw is None else str(raw).strip()
