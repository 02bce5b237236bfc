"""Import measurements from a CSV or XLSX file: all of it, or nothing.

The whole file is checked before anything is written, and every bad row is reported
with its row number (as a spreadsheet shows it: the header is row 1) and the reason:
unknown indicator, period outside its frequency, not a number, duplicate period, value
not allowed.  Importing the same file again changes nothing; a row that changes a
stored value is a correction, accepted only with a reason (kept with the previous value).
The file itself is read by :func:`qms.services.indicators.sheets.read_table`; the problems
of its cells (control characters, formulas without result) are reported with the others.
A person is shown the first :data:`SHOWN` problems and how many more there are
(:func:`shown_lines`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import DefinitionError, Problem
from qms.models import Indicator, Measurement
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import service as indicators
from qms.services.indicators.service import Entry
from qms.services.indicators.sheets import Row, period_text, read_table
from qms.workflow.permissions import ActorRoles

SHOWN = 50  # problems shown to a person; the rest are counted
SOURCE_LENGTH = 200  # Measurement.source, MeasurementRevision.source: String(200)


@dataclass
class Report:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int
    outcomes: Counter[str]
    dry_run: bool
    encoding: str = ""


def import_file(
    app: Services,
    actor: str,
    path: Path,
    reason: str = "",
    dry_run: bool = False,
    notice: Callable[[str], None] | None = None,
) -> Report:
    """Check every row, then store them all in one transaction (or nothing).

    ``notice`` is told how a CSV file was read ("read as Windows-1252 (not UTF-8)") as soon
    as it is, before any row is checked.
    """
    table = read_table(path)
    if notice is not None and table.encoding:
        notice(f"read as {table.encoding}")
    rows = table.rows
    today, now = app.engine.today(), app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        session = uow.session
        roles = ActorRoles.for_handle(session, actor, today)
        entries, problems = _check(session, str(path), rows, roles, today)
        stored = _stored(session, entries)
        problems += table.problems + _corrections(str(path), entries, stored, reason)
        if problems:
            raise DefinitionError(problems)
        outcomes: Counter[str] = Counter()
        source = f"import {path.name}"[:SOURCE_LENGTH]
        for _, entry in entries:
            found = stored.get((entry.indicator.id, entry.period.label))
            outcome = indicators.store_over(session, entry, found, actor, now, source, reason)
            outcomes[outcome.value] += 1
        if not dry_run:
            uow.commit()
        return Report(len(rows), outcomes, dry_run, table.encoding)


def shown_lines(problems: list[Problem], limit: int = SHOWN) -> list[str]:
    """The lines a person reads: the first ``limit`` problems, then how many more."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        rest = len(problems) - limit
        lines.append(f"... and {rest} more problem{'s' if rest > 1 else ''}")
    return lines


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
        raise ValueError(f"unknown indicator {_quoted(row.indicator)}")
    if indicator.retired_on is not None:
        raise ValueError(f"indicator '{indicator.code}' was retired on {indicator.retired_on}")
    if not indicators_queries.may_record(roles, indicator):
        raise ValueError(indicators_queries.refusal(roles, indicator))
    text = period_text(row.period, indicator.frequency)
    if not text:
        raise ValueError("no period")
    if len(text) > _LONGEST:
        raise ValueError(f"{_quoted(text)} is not a {indicator.frequency.value} period")
    period = indicators.check_period(indicator, text, today)
    value = indicators.check_value(indicator, indicators.parse_number(row.value, indicator))
    return Entry(indicator, period, value, row.comment)


_LONGEST = 40  # longer than any period or code: not quoted in full


def _quoted(text: str) -> str:
    return f"'{text}'" if len(text) <= _LONGEST else f"'{text[: _LONGEST - 3]}...'"


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
