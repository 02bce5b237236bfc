"""Import measurements from a CSV or XLSX file: all of it, or nothing.

The whole file is checked before anything is written, and every bad row is reported
with its row number (as a spreadsheet shows it: the header is row 1) and the reason:
unknown indicator, period outside its frequency, not a number, duplicate period, value
not allowed.  Importing the same file again changes nothing; a row that changes a
stored value is a correction, accepted only with a reason (kept with the previous value).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import DefinitionError, Problem
from qms.models import Frequency, Indicator, Measurement
from qms.services.indicators import service as indicators
from qms.services.indicators.service import Entry
from qms.workflow.permissions import ActorRoles

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


@dataclass
class Report:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int
    outcomes: Counter[str]
    dry_run: bool


def import_file(
    app: Services, actor: str, path: Path, reason: str = "", dry_run: bool = False
) -> Report:
    """Check every row, then store them all in one transaction (or nothing)."""
    rows = read_rows(path)
    today, now = app.engine.today(), app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        session = uow.session
        roles = ActorRoles.for_handle(session, actor, today)
        entries, problems = _check(session, str(path), rows, roles, today)
        stored = _stored(session, entries)
        problems += _corrections(str(path), entries, stored, reason)
        if problems:
            raise DefinitionError(problems)
        outcomes: Counter[str] = Counter()
        source = f"import {path.name}"
        for _, entry in entries:
            found = stored.get((entry.indicator.id, entry.period.label))
            outcome = indicators.store_over(session, entry, found, actor, now, source, reason)
            outcomes[outcome.value] += 1
        if not dry_run:
            uow.commit()
        return Report(len(rows), outcomes, dry_run)


def _check(
    session: Session, shown: str, rows: list[Row], roles: ActorRoles, today: date
) -> tuple[list[tuple[int, Entry]], list[Problem]]:
    known = {i.code: i for i in session.scalars(select(Indicator))}
    entries: list[tuple[int, Entry]] = []
    problems: list[Problem] = []
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        try:
            entry = _entry(row, known, roles, today)
        except ValueError as exc:
            problems.append(Problem(shown, row.number, f"row {row.number}: {exc}"))
            continue
        key = (entry.indicator.code, entry.period.label)
        if key in first:
            problems.append(
                Problem(
                    shown,
                    row.number,
                    f"row {row.number}: duplicate period {key[1]} of {key[0]} "
                    f"(first at row {first[key]})",
                )
            )
            continue
        first[key] = row.number
        entries.append((row.number, entry))
    return entries, problems


def _entry(row: Row, known: dict[str, Indicator], roles: ActorRoles, today: date) -> Entry:
    if not row.indicator:
        raise ValueError("no indicator code")
    indicator = known.get(row.indicator.upper())
    if indicator is None:
        raise ValueError(f"unknown indicator '{row.indicator}'")
    if indicator.retired_on is not None:
        raise ValueError(f"indicator '{indicator.code}' was retired on {indicator.retired_on}")
    if not indicators.may_record(roles, indicator):
        raise ValueError(indicators.refusal(roles, indicator))
    period = indicators.check_period(indicator, period_text(row.period, indicator.frequency), today)
    value = indicators.check_value(indicator, indicators.parse_number(row.value))
    return Entry(indicator, period, value, row.comment)


def _stored(
    session: Session, entries: list[tuple[int, Entry]]
) -> dict[tuple[int, str], Measurement]:
    """The measurements already stored for the file's periods, in one query."""
    keys = [(e.indicator.id, e.period.label) for _, e in entries]
    if not keys:
        return {}
    ids = sorted({k[0] for k in keys})
    query = select(Measurement).where(Measurement.indicator_id.in_(ids))
    wanted = set(keys)
    found = {}
    for measurement in session.scalars(query):
        key = (measurement.indicator_id, measurement.period)
        if key in wanted:
            found[key] = measurement
    return found


def _corrections(
    shown: str,
    entries: list[tuple[int, Entry]],
    stored: dict[tuple[int, str], Measurement],
    reason: str,
) -> list[Problem]:
    if reason.strip():
        return []
    problems = []
    for number, entry in entries:
        found = stored.get((entry.indicator.id, entry.period.label))
        if found is not None and found.value != entry.value:
            message = indicators.correction_needs_reason(entry, found)
            problems.append(
                Problem(shown, number, f"row {number}: duplicate period: {message} (--reason)")
            )
    return problems
