"""The measurements files (clause 9.1): a CSV or XLSX file read into checked rows.

A measurements file is checked for what it is before it is read (see
:mod:`qms.services.indicators.sheet_formats`: an .xlsx must be a zip holding a workbook, a
.csv must be text).  Every cell is checked for control characters, every formula for a
saved result; blank and whitespace-only rows are skipped.  Problems name the row as a
spreadsheet shows it (the header is row 1) and the column.  :func:`read_rows` gives the
rows or refuses the file; :func:`read_table` returns the problems of single cells for the
import to report with those of the other rows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from qms.errors import DefinitionError, Problem
from qms.models import Frequency
from qms.services.indicators.sheet_formats import (
    Formula,
    Percentage,
    blank,
    read_csv,
    read_xlsx,
    refused,
)

COLUMNS = ("indicator", "period", "value")
OPTIONAL = ("comment",)
ALIASES = {
    "code": "indicator",
    "indicator_code": "indicator",
    "note": "comment",
    # the headers a French spreadsheet is likely to carry
    "indicateur": "indicator",
    "période": "period",
    "periode": "period",
    "valeur": "value",
    "commentaire": "comment",
}
EXPECTED = "columns: indicator, period, value, and optionally comment"
_SHOWN = 40  # characters of a cell quoted in a message


@dataclass(frozen=True)
class Row:
    number: int
    indicator: str
    period: object
    value: object
    comment: str


@dataclass(frozen=True)
class Table:
    """The data rows of a measurements file, the problems found reading its cells, and the
    encoding a CSV file was read in ("" for a workbook)."""

    rows: list[Row]
    problems: list[Problem]
    encoding: str = ""


def read_rows(path: Path) -> list[Row]:
    """The data rows of a CSV or XLSX file; a DefinitionError when the file or a cell is wrong."""
    table = read_table(path)
    if table.problems:
        raise DefinitionError(table.problems)
    return table.rows


def read_table(path: Path) -> Table:
    """Read a CSV or XLSX file; a DefinitionError when the file itself cannot be read.

    Problems of single cells (a control character, a formula without result, a value in
    a column that has no name) are returned in ``problems``, for the import to report with
    those of the other rows.
    """
    shown = str(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise refused(shown, "an Excel 97-2003 .xls file is not read: save it as .xlsx or CSV")
    if suffix not in (".csv", ".xlsx"):
        raise refused(shown, "give a .csv or .xlsx file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise refused(shown, "file not found") from None
    except IsADirectoryError:
        raise refused(shown, "is a folder, not a file") from None
    except OSError as exc:
        raise refused(shown, f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise refused(shown, "the file is empty")
    if suffix == ".xlsx":
        table, encoding = read_xlsx(path, data), ""
    else:
        table, encoding = read_csv(shown, data)
    return _table(shown, table, encoding)


def _table(shown: str, table: list[tuple[int, list[object]]], encoding: str) -> Table:
    problems: list[Problem] = []
    filled = [(number, cells) for number, cells in table if not blank(cells)]
    if not filled:
        raise refused(shown, "the file is empty")
    (head, head_cells), data = filled[0], filled[1:]
    names, header_problems = _header_row(shown, head, head_cells)
    if header_problems:
        raise DefinitionError(header_problems)
    if not data:
        raise refused(shown, f"row {head}: the file has a header but no values", head)
    where = {name: index for index, name in enumerate(names) if name}
    rows = []
    for number, cells in data:
        problem = _cells_problem(cells, names)
        if problem:
            problems.append(Problem(shown, number, f"row {number}: {problem}"))
        else:
            rows.append(_row(number, cells, where))
    return Table(rows, problems, encoding)


def _header_row(shown: str, number: int, cells: list[object]) -> tuple[list[str], list[Problem]]:
    """The column names (``""`` for a column without one) and what is wrong with the header."""
    messages: list[str] = []
    names: list[str] = []
    for index, cell in enumerate(cells):
        problem = _text_problem(cell) if isinstance(cell, str) else None
        if problem:
            messages.append(f"the header of column {_letter(index)} {problem}")
            cell = None
        name = _header(cell)
        names.append(ALIASES.get(name, name))
    unknown = [
        f"'{_clip(str(cells[i]).strip())}' (column {_letter(i)})"
        for i, name in enumerate(names)
        if name and name not in (*COLUMNS, *OPTIONAL)
    ]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name in seen:
            messages.append(
                f"column {name} appears twice (columns {_letter(seen[name])} and {_letter(index)})"
            )
        else:
            seen[name] = index
    absent = [c for c in COLUMNS if c not in names]
    if not any(n in (*COLUMNS, *OPTIONAL) for n in names):
        held = ", ".join(f"'{_clip(str(c).strip())}'" for c in cells[:4] if c is not None)
        hint = ""
        if len([c for c in cells if c is not None]) == 1 and "\t" in str(cells[0]):
            hint = " (columns separated by tabs are not read: use commas or semicolons)"
        messages.append(
            f"missing column {', '.join(absent)}: the first row must name the columns "
            f"indicator, period, value, and optionally comment; it holds {held}{hint}"
        )
        return names, [Problem(shown, number, f"row {number}: {m}") for m in messages]
    if unknown:
        messages.append(f"unknown column {', '.join(unknown)} ({EXPECTED})")
    if absent:
        messages.append(f"missing column {', '.join(absent)} ({EXPECTED})")
    return names, [Problem(shown, number, f"row {number}: {m}") for m in messages]


def _header(cell: object) -> str:
    return " ".join(str(cell or "").split()).lower().replace(" ", "_")


def _letter(index: int) -> str:
    """The spreadsheet name of the column at ``index`` (0: A, 26: AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _cells_problem(cells: list[object], names: list[str]) -> str | None:
    """The first thing wrong with the cells of one data row, or None."""
    for index, cell in enumerate(cells):
        name = names[index] if index < len(names) else ""
        column = name or f"column {_letter(index)}"
        if isinstance(cell, Formula):
            return (
                f"{column} is a formula with no saved result: "
                "open the file in Excel and save it again"
            )
        if isinstance(cell, str):
            problem = _text_problem(cell, multiline=name == "comment")
            if problem:
                return f"{column} {problem}"
        if not name and not (cell is None or (isinstance(cell, str) and not cell.strip())):
            return (
                f"column {_letter(index)} holds '{_clip(str(cell).strip())}' but has no name "
                "in the header (a decimal comma in a comma-separated file? put the value "
                "in quotes, or separate the columns with semicolons)"
            )
    return None


def _text_problem(text: str, multiline: bool = False) -> str | None:
    """Why a cell's text cannot be stored (a control character, bytes not decoded), or None."""
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if category == "Cs":  # a byte that is neither UTF-8 nor Windows-1252
            return (
                f"holds the byte 0x{ord(char) - 0xDC00:02X}, which is not UTF-8 while the rest "
                "of the file is: save the file again as CSV UTF-8"
            )
        if category == "Cc" and char not in "\t\n\r":
            return f"holds a control character ({_control(char)}) at position {position}: remove it"
    inner = text.strip()
    if not multiline and ("\n" in inner or "\r" in inner):
        return "runs over several lines (a quote opened and never closed?)"
    return None


_CONTROL_NAMES = {0: "NUL", 0x1B: "ESC", 0x7F: "DEL", 0x0B: "vertical tab", 0x0C: "form feed"}


def _control(char: str) -> str:
    code = ord(char)
    name = _CONTROL_NAMES.get(code)
    return f"{name}, U+{code:04X}" if name else f"U+{code:04X}"


def _row(number: int, cells: list[object], where: dict[str, int]) -> Row:
    def cell(name: str) -> object:
        index = where.get(name)
        value = cells[index] if index is not None and index < len(cells) else None
        return value.strip() if isinstance(value, str) else value

    comment = cell("comment")
    return Row(
        number,
        str(cell("indicator") or "").strip(),
        cell("period"),
        cell("value"),
        "" if comment is None else str(comment).strip(),
    )


def period_text(raw: object, frequency: Frequency) -> str:
    """A period cell as text; a spreadsheet may have turned 2026-03 into a date or 2026 a number."""
    if isinstance(raw, datetime | date) and frequency == Frequency.MONTHLY:
        return f"{raw.year}-{raw.month:02d}"
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, Percentage):
        return f"{raw.percent:g} %"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return "" if raw is None else str(raw).strip()
