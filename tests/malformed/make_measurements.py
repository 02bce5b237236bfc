"""Write the measurement cases of the malformed-input corpus (tests/malformed/measurements/).

Each case is a file a person could hand to ``qms indicator import`` and its ``.expected``:
the lines the error output must hold (``{file}`` is the case's path).  The files are
committed; run this again after changing a case:

    .venv/bin/python tests/malformed/make_measurements.py
"""

from __future__ import annotations

import codecs
import hashlib
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent / "measurements"
HEADER = "indicator,period,value,comment\n"
# a date as a spreadsheet holds it: no time zone
JULY_2025 = datetime(2025, 7, 1, tzinfo=UTC).replace(tzinfo=None)


def noise(size: int) -> bytes:
    """Bytes that look random, the same at every run."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:size]


def workbook(fill: Callable[[Worksheet], None]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    fill(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rows(sheet: Worksheet, *values: list[object]) -> None:
    for row in values:
        sheet.append(row)


def good_workbook() -> bytes:
    return workbook(
        lambda s: rows(s, ["indicator", "period", "value"], ["TRN-04-GRADES", "2025-09", 91])
    )


def formula_without_value(sheet: Worksheet) -> None:
    # openpyxl saves a formula without its result, as any program but Excel does
    rows(sheet, ["indicator", "period", "value"], ["TRN-04-GRADES", "2025-09", 91])
    rows(sheet, ["TRN-04-GRADES", "2025-10", "=C2+1"])


def percent_format(sheet: Worksheet) -> None:
    rows(sheet, ["indicator", "period", "value"], ["RSC-02-PAYMENT", "2025-09", 0.125])
    sheet["C2"].number_format = "0.0%"


def empty_first_sheet(sheet: Worksheet) -> None:
    other = sheet.parent.create_sheet("Values")
    rows(other, ["indicator", "period", "value"], ["TRN-04-GRADES", "2025-09", 91])


def word_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("values.csv", "indicator,period,value\nTRN-04-GRADES,2025-09,91\n")
    return buffer.getvalue()


def bad_rows(count: int) -> str:
    return HEADER + "".join(
        f"TRN-04-GRADES,{2000 + n // 12}-{n % 12 + 1:02d},n/a,\n" for n in range(count)
    )


CASES: dict[str, tuple[bytes | str, str]] = {
    # --- the file is not what its name says ------------------------------------------
    "empty.csv": (b"", "{file}: the file is empty"),
    "blank-lines-only.csv": ("\n   \n;;\n\t\n", "{file}: the file is empty"),
    "random-bytes.csv": (noise(4096), "{file}: is not CSV text: it looks like binary data"),
    "workbook-named-csv.csv": (
        good_workbook(),
        "{file}: is not CSV text: it looks like an XLSX workbook",
    ),
    "utf-16.csv": (
        codecs.BOM_UTF16_LE + "indicator\tperiod\tvalue\n".encode("utf-16-le"),
        "{file}: is not CSV text: it looks like UTF-16 text",
    ),
    "text-file.txt": ("indicator,period,value\n", "{file}: give a .csv or .xlsx file"),
    "old-excel.xls": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise(512),
        "{file}: an Excel 97-2003 .xls file is not read: save it as .xlsx or CSV",
    ),
    "text-named-xlsx.xlsx": (
        "indicator,period,value\nTRN-04-GRADES,2025-09,91\n",
        "{file}: is not an XLSX workbook: it looks like text (a CSV file? name it .csv)",
    ),
    "random-bytes-named-xlsx.xlsx": (
        noise(4096),
        "{file}: is not an XLSX workbook: it looks like binary data",
    ),
    "empty-workbook.xlsx": (b"", "{file}: the file is empty"),
    "old-excel-named-xlsx.xlsx": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise(512),
        "{file}: is not an XLSX workbook: it looks like an Excel 97-2003 workbook (.xls) "
        "or a password-protected workbook",
    ),
    "zip-without-workbook.xlsx": (
        plain_zip(),
        "{file}: is not an XLSX workbook: it is a zip archive that holds no workbook",
    ),
    "word-document.xlsx": (
        word_document(),
        "{file}: is not an XLSX workbook: it is a Word document",
    ),
    "cut-short.xlsx": (
        good_workbook()[:1500],
        "{file}: is not an XLSX workbook: it is a damaged zip file",
    ),
    "values-on-the-second-sheet.xlsx": (
        workbook(empty_first_sheet),
        "{file}: the first sheet 'Sheet' is empty: the values are read from the first sheet "
        "only (the workbook also has 'Values')",
    ),
    # --- the header ----------------------------------------------------------------------
    "header-only.csv": (HEADER, "{file}:1: row 1: the file has a header but no values"),
    "header-only-workbook.xlsx": (
        workbook(lambda s: rows(s, ["indicator", "period", "value"])),
        "{file}:1: row 1: the file has a header but no values",
    ),
    "missing-column.csv": (
        "indicator,period\nTRN-04-GRADES,2025-09\n",
        "{file}:1: row 1: missing column value (columns: indicator, period, value, "
        "and optionally comment)",
    ),
    "missing-column-workbook.xlsx": (
        workbook(lambda s: rows(s, ["indicator", "value"], ["TRN-04-GRADES", 91])),
        "{file}:1: row 1: missing column period",
    ),
    "unknown-column.csv": (
        "indicator,period,value,target\nTRN-04-GRADES,2025-09,91,95\n",
        "{file}:1: row 1: unknown column 'target' (column D) (columns: indicator, period, "
        "value, and optionally comment)",
    ),
    "duplicate-column.csv": (
        "indicator;period;value;value\nTRN-04-GRADES;2025-09;91;92\n",
        "{file}:1: row 1: column value appears twice (columns C and D)",
    ),
    "no-header.csv": (
        "TRN-04-GRADES,2025-09,91\nTRN-04-GRADES,2025-10,92\n",
        "{file}:1: row 1: missing column indicator, period, value: the first row must name "
        "the columns indicator, period, value, and optionally comment; it holds "
        "'TRN-04-GRADES', '2025-09', '91'",
    ),
    # --- cells -----------------------------------------------------------------------
    "nul-in-comment.csv": (
        HEADER + "TRN-04-GRADES,2025-09,91,\nTRN-04-GRADES,2025-10,92,late\x00\n",
        "{file}:3: row 3: comment holds a control character (NUL, U+0000) at position 5",
    ),
    "nul-in-value.csv": (
        HEADER + "TRN-04-GRADES,2025-09,9\x001,\n",
        "{file}:2: row 2: value holds a control character (NUL, U+0000) at position 2",
    ),
    "escape-in-indicator.csv": (
        HEADER + "\x1b[31mTRN-04-GRADES,2025-09,91,\n",
        "{file}:2: row 2: indicator holds a control character (ESC, U+001B) at position 1",
    ),
    "mixed-encodings.csv": (
        HEADER.encode()
        + "TRN-04-GRADES,2025-09,91,publiées\n".encode()
        + b"TRN-04-GRADES,2025-10,92,retard\xe9\n",
        "{file}:3: row 3: comment holds the byte 0xE9, which is not UTF-8 while the rest of "
        "the file is: save the file again as CSV UTF-8",
    ),
    "byte-undefined-in-windows-1252.csv": (
        HEADER.encode() + b"TRN-04-GRADES,2025-09,91,r\xe9sultat \x81\n",
        "{file}:2: row 2: comment holds a control character (U+0081) at position 10",
    ),
    "decimal-comma-in-a-comma-separated-file.csv": (
        "indicator,period,value\nTRN-04-GRADES,2025-09,92,5\n",
        "{file}:2: row 2: column D holds '5' but has no name in the header (a decimal comma "
        "in a comma-separated file?",
    ),
    "value-over-several-lines.csv": (
        HEADER + 'TRN-04-GRADES,2025-09,"91\n92",\n',
        "{file}:2: row 2: value runs over several lines",
    ),
    "unterminated-quote.csv": (
        HEADER + 'TRN-04-GRADES,2025-09,91,\nTRN-04-GRADES,2025-10,"92,late\n'
        "TRN-04-GRADES,2025-11,93,\n",
        "{file}:3: row 3: a quote opened in this row is never closed",
    ),
    "text-after-a-closing-quote.csv": (
        HEADER + 'TRN-04-GRADES,2025-09,"9"1,\n',
        "{file}:2: row 2: text follows the closing quote of a cell",
    ),
    "formula-without-value.xlsx": (
        workbook(formula_without_value),
        "{file}:3: row 3: value is a formula with no saved result: open the file in Excel "
        "and save it again",
    ),
    # --- numbers -----------------------------------------------------------------------
    "underscore-in-number.csv": (
        HEADER + "STE-03-WEB,2025-09,1_000,\n",
        "{file}:2: row 2: '1_000' is not a number (no underscores: write 1000 or 1 000)",
    ),
    "arabic-indic-digit.csv": (
        HEADER + "TRN-04-COMPLAINTS,2025-09,\u0663,\n",
        "{file}:2: row 2: '\u0663' is not a number (it holds arabic-indic digit three",
    ),
    "percent-on-days.csv": (
        "indicator;period;value\nRSC-02-PAYMENT;2025-09;12,5%\n",
        "{file}:2: row 2: '12,5%' has a percent sign, but 'RSC-02-PAYMENT' is measured in days",
    ),
    "percent-format-on-days.xlsx": (
        workbook(percent_format),
        "{file}:2: row 2: 12.5 % is formatted as a percentage, but 'RSC-02-PAYMENT' is "
        "measured in days",
    ),
    "exponent.csv": (
        HEADER + "STE-03-WEB,2025-09,1e3,\n",
        "{file}:2: row 2: '1e3' is not a number (no exponent",
    ),
    "thousands-comma.csv": (
        HEADER + 'STE-03-WEB,2025-09,"31,234.5",\n',
        "{file}:2: row 2: '31,234.5' is not a number (one decimal separator, comma or point",
    ),
    "empty-value.csv": (HEADER + "TRN-04-GRADES,2025-09,,late\n", "{file}:2: row 2: no value"),
    "true-in-value.xlsx": (
        workbook(
            lambda s: rows(s, ["indicator", "period", "value"], ["TRN-04-GRADES", "2025-09", True])
        ),
        "{file}:2: row 2: TRUE is not a number",
    ),
    "spreadsheet-error.csv": (
        HEADER + "TRN-04-GRADES,2025-09,#DIV/0!,\n",
        "{file}:2: row 2: '#DIV/0!' is an error of the spreadsheet, not a number",
    ),
    "outside-the-possible-values.csv": (
        HEADER + "TRN-04-GRADES,2025-09,130,\n",
        "{file}:2: row 2: 130 % is outside the possible values (0 to 100) of 'TRN-04-GRADES'",
    ),
    # --- periods ----------------------------------------------------------------------
    "period-in-the-wrong-format.csv": (
        HEADER + "TRN-04-GRADES,09/2025,91,\n",
        "{file}:2: row 2: '09/2025' is not a monthly period (write it like 2026-03)",
    ),
    "unknown-period.csv": (
        HEADER + "TRN-04-GRADES,2025-13,91,\nRSC-02-SUPPLIERS,2025-Q5,91,\n",
        "{file}:2: row 2: '2025-13' is not a monthly period (write it like 2026-03)\n"
        "{file}:3: row 3: '2025-Q5' is not a quarterly period (write it like 2026-Q1)",
    ),
    "date-for-a-quarter.xlsx": (
        workbook(
            lambda s: rows(s, ["indicator", "period", "value"], ["RSC-02-SUPPLIERS", JULY_2025, 91])
        ),
        "{file}:2: row 2: '2025-07-01' is not a quarterly period (write it like 2026-Q1)",
    ),
    "period-not-over.csv": (
        HEADER + "TRN-04-GRADES,2099-01,91,\n",
        "{file}:2: row 2: period 2099-01 of 'TRN-04-GRADES' ends on 2099-01-31: "
        "record its value once it is over",
    ),
    "duplicate-period.csv": (
        HEADER + "TRN-04-GRADES,2025-09,91,\ntrn-04-grades,2025-09,92,\n",
        "{file}:3: row 3: duplicate period 2025-09 of TRN-04-GRADES (first at row 2)",
    ),
    # --- many problems ----------------------------------------------------------------
    "two-hundred-bad-rows.csv": (
        bad_rows(200),
        "{file}:2: row 2: 'n/a' is not a number\n"
        "{file}:51: row 51: 'n/a' is not a number\n"
        "... and 150 more problems",
    ),
    "whitespace-row-in-a-bad-file.csv": (
        HEADER + "TRN-04-GRADES,2025-09,91,\n   ,  ,\u00a0 ,  \nTRN-04-GRADES,2025-10,lots,\n",
        "{file}:4: row 4: 'lots' is not a number",
    ),
}

SEEDS = {"unknown-indicator.csv": "{file}:2: row 2: unknown indicator 'NO-SUCH'"}


def main() -> None:
    for name, (content, expected) in CASES.items():
        path = HERE / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        path.with_suffix(".expected").write_text(expected + "\n", encoding="utf-8")
    for name, expected in SEEDS.items():
        (HERE / name).with_suffix(".expected").write_text(expected + "\n", encoding="utf-8")
    print(f"{len(CASES) + len(SEEDS)} cases in {HERE}")


if __name__ == "__main__":
    main()
