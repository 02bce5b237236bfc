"""What a measurements file is, and its bytes read into a grid of raw cells.

A measurements file is checked for what it is before it is read: an .xlsx must be a zip
holding a workbook, a .csv must be text (UTF-8, with or without BOM, else Windows-1252 as
Excel writes it).  A file that is neither is refused with what it looks like instead (a
PDF, an image, a Word document, UTF-16 text...).  The grid is a list of ``(row number,
cells)``; :mod:`qms.services.indicators.sheets` checks its header and cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qms.errors import DefinitionError, Problem

UTF8, UTF8_BOM, CP1252 = "UTF-8", "UTF-8 (with BOM)", "Windows-1252 (not UTF-8)"
_SAMPLE = 8192  # bytes looked at to tell text from binary data


@dataclass(frozen=True)
class Formula:
    """A formula cell whose result was never saved (the file was written by a program)."""

    text: str


@dataclass(frozen=True)
class Percentage:
    """A number in a cell formatted as a percentage: Excel stores 12.5 % as 0.125."""

    fraction: float

    @property
    def percent(self) -> float:
        return round(self.fraction * 100, 10)


def refused(shown: str, message: str, line: int = 0) -> DefinitionError:
    return DefinitionError([Problem(shown, line, message)])


def blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_csv(shown: str, data: bytes) -> tuple[list[tuple[int, list[object]]], str]:
    looks = _not_text(data)
    if looks:
        raise refused(shown, f"is not CSV text: it looks like {looks}")
    text, encoding = _decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table: list[tuple[int, list[object]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            table.append((number, list(cells)))
    except csv.Error as exc:
        row = len(table) + 1
        raise refused(shown, _quote_problem(row, reader.line_num, exc), row) from None
    return table, encoding


def _quote_problem(row: int, line: int, exc: csv.Error) -> str:
    if "end of data" in str(exc):
        return f"row {row}: a quote opened in this row is never closed"
    where = f"row {row}" if line == row else f"row {row} (line {line} of the file)"
    return (
        f"{where}: text follows the closing quote of a cell (a quote inside a quoted cell "
        'is written twice: ""), or a quote opened in this row is closed in a later one'
    )


def _delimiter(text: str) -> str:
    """Semicolons when the header has more of them than commas (Excel in French), else commas."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in.

    UTF-8 first (with or without BOM).  A file that is not UTF-8 anywhere is Windows-1252
    (Excel's "CSV" on a Western Windows); one that is UTF-8 in places and not in others
    keeps its undecodable bytes as surrogates, which the cells that hold them report.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    text = (data[3:] if bom else data).decode("utf-8", "surrogateescape")
    if bom or not _SURROGATES.search(text) or re.search(r"[^\x00-\x7f\udc80-\udcff]", text):
        return text, UTF8_BOM if bom else UTF8
    # the five bytes Windows-1252 leaves undefined become the C1 controls, as Windows reads
    # them, and are refused as control characters with their row
    text = data.decode("cp1252", "surrogateescape")
    return _SURROGATES.sub(lambda m: chr(ord(m[0]) - 0xDC00), text), CP1252


_SURROGATES = re.compile(r"[\udc80-\udcff]")


def _not_text(data: bytes) -> str | None:
    """What ``data`` looks like when it is not CSV text, or None."""
    known = _magic(data)
    if known:
        return known
    sample = data[:_SAMPLE]
    controls = sum(1 for b in sample if (b < 0x20 and b not in b"\t\n\r\x0c") or b == 0x7F)
    if controls * 20 > len(sample):  # more than 5 %: binary data, not text with a stray byte
        return "binary data"
    return None


def _magic(data: bytes) -> str | None:
    if data.startswith(b"PK\x03\x04"):
        return "an XLSX workbook or another zip archive (name an XLSX workbook .xlsx)"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            "an Excel 97-2003 workbook (.xls) or a password-protected workbook: "
            "save it as CSV UTF-8 or as .xlsx without a password"
        )
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 'UTF-16 text (Excel\'s "Unicode text"): save it as "CSV UTF-8"'
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    return None


def read_xlsx(path: Path, data: bytes) -> list[tuple[int, list[object]]]:
    shown = str(path)
    if not data.startswith(b"PK"):
        raise refused(shown, f"is not an XLSX workbook: it looks like {_what_instead(data)}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError):
        raise refused(
            shown, "is not an XLSX workbook: it is a damaged zip file (cut short by a download?)"
        ) from None
    if "xl/workbook.xml" not in names:
        raise refused(shown, f"is not an XLSX workbook: it is {_zip_kind(names, mimetype)}")
    return _sheet(path)


def _what_instead(data: bytes) -> str:
    known = _magic(data)
    if known:
        return known
    if _not_text(data) is None:
        return "text (a CSV file? name it .csv)"
    return "binary data"


def _zip_kind(names: set[str], mimetype: bytes) -> str:
    if "word/document.xml" in names:
        return "a Word document"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    if b"opendocument.spreadsheet" in mimetype:
        return "an OpenDocument spreadsheet (.ods): save it as .xlsx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "an OpenDocument file"
    return "a zip archive that holds no workbook"


def _sheet(path: Path) -> list[tuple[int, list[object]]]:
    """The first sheet's rows; a formula without a saved result becomes a :class:`Formula`,
    a number formatted as a percentage a :class:`Percentage`."""
    from openpyxl import load_workbook  # imported here: only imports need it

    shown = str(path)
    try:
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises anything on a damaged part
        raise _damaged(shown, exc) from None
    try:
        if not values.worksheets:
            raise refused(shown, "the workbook has no worksheet")
        table: list[tuple[int, list[object]]] = []
        first, written = values.worksheets[0], formulas.worksheets[0]
        for number, (cells, sources) in enumerate(
            zip(first.iter_rows(), written.iter_rows(), strict=False), start=1
        ):
            table.append((number, [_cell(c, s) for c, s in zip(cells, sources, strict=False)]))
        if _blank_table(table) and len(values.worksheets) > 1:
            others = ", ".join(f"'{s.title}'" for s in values.worksheets[1:])
            raise refused(
                shown,
                f"the first sheet '{first.title}' is empty: the values are read from the "
                f"first sheet only (the workbook also has {others})",
            )
        return table
    except DefinitionError:
        raise
    except Exception as exc:
        raise _damaged(shown, exc) from None
    finally:
        values.close()
        formulas.close()


def _damaged(shown: str, exc: Exception) -> DefinitionError:
    return refused(shown, f"cannot be read as a workbook ({type(exc).__name__}: {exc})")


def _blank_table(table: list[tuple[int, list[object]]]) -> bool:
    return all(blank(cells) for _, cells in table)


def _cell(cell: object, source: object) -> object:
    value = getattr(cell, "value", None)
    if value is None:
        written = getattr(source, "value", None)
        if isinstance(written, str) and written.startswith("="):
            return Formula(written)
        return None
    number_format = str(getattr(cell, "number_format", "") or "")
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and _percent_format(number_format)
    ):
        return Percentage(float(value))
    return value


def _percent_format(number_format: str) -> bool:
    """Whether a number format scales by 100: a % outside quotes and not escaped."""
    plain = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in plain
