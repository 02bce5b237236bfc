"""Spreadsheet exports: no text cell a spreadsheet would run as a formula, types kept."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import openpyxl
import pytest

from qms.reporting.exports import neutralised, sheet_title, to_csv, to_xlsx

HYPERLINK = '=HYPERLINK("http://x","y")'


def wall(*parts: int) -> datetime:
    """A date-time as a spreadsheet holds it: no time zone."""
    return datetime(*parts)  # noqa: DTZ001 - spreadsheets have no time zones


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\tplain", "'\tplain"),
        ("  =1", "'  =1"),
        ("\n=1", "'\n=1"),
        ("\u00a0@x", "'\u00a0@x"),
        ("-3", "'-3"),
        ("Publish grades within 15 days", "Publish grades within 15 days"),
        ("a=b, c-d, e@f", "a=b, c-d, e@f"),
        ("  indented", "  indented"),
        ("", ""),
        ("'=already", "'=already"),
        ("#N/A", "#N/A"),
        (-2, -2),
        (3.5, 3.5),
        (-0.25, -0.25),
        (Decimal("-1.5"), Decimal("-1.5")),
        (True, True),
        (date(2026, 12, 1), date(2026, 12, 1)),
        (wall(2026, 12, 1, 9, 30), wall(2026, 12, 1, 9, 30)),
        (None, None),
    ],
)
def test_neutralised(value: object, expected: object) -> None:
    assert neutralised(value) == expected
    assert type(neutralised(value)) is type(expected)


COLUMNS = ("id", "title", "due_date", "score", "late", "note")
ROWS: list[dict[str, object]] = [
    {
        "id": 1,
        "title": '=HYPERLINK("http://evil","click")',
        "due_date": date(2026, 12, 1),
        "score": -2,
        "late": True,
        "note": "-3",
    },
    {
        "id": 2,
        "title": 'Grades, "late", on\ntwo lines',
        "due_date": None,
        "score": 0.5,
        "late": False,
        "note": "@SUM(A1)",
        "ignored": "=1",  # not a column: left out
    },
    {"id": 3, "title": "  +cmd|' /C calc'!A0", "due_date": wall(2026, 1, 2, 8, 15)},
]


def test_csv_round_trip() -> None:
    text = to_csv(COLUMNS, ROWS)
    back = list(csv.reader(io.StringIO(text)))
    assert back[0] == list(COLUMNS)
    assert back[1] == ["1", "'" + str(ROWS[0]["title"]), "2026-12-01", "-2", "yes", "'-3"]
    assert back[2] == ["2", 'Grades, "late", on\ntwo lines', "", "0.5", "", "'@SUM(A1)"]
    assert back[3] == ["3", "'  +cmd|' /C calc'!A0", "2026-01-02T08:15:00", "", "", ""]
    assert "=1" not in text.replace("'=", "")  # the column left out is not written
    assert text.endswith("\n") and "\r" not in text


def test_csv_header_only_when_no_rows() -> None:
    assert to_csv(("id", "title"), []) == "id,title\n"


def _sheet(content: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def test_xlsx_has_no_formula_and_keeps_types() -> None:
    sheet = _sheet(to_xlsx(COLUMNS, ROWS, sheet="action list"))
    assert sheet.title == "action list"
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == list(COLUMNS)
    first, second, third = values[1:]
    assert first[:2] == [1, "'" + str(ROWS[0]["title"])]
    assert first[2] == wall(2026, 12, 1)  # a real date (openpyxl reads dates back as such)
    assert sheet.cell(row=2, column=3).is_date
    assert first[3:] == [-2, True, "'-3"]
    assert isinstance(first[3], int) and isinstance(second[3], float)
    assert second == [2, 'Grades, "late", on\ntwo lines', None, 0.5, False, "'@SUM(A1)"]
    assert third[:3] == [3, "'  +cmd|' /C calc'!A0", wall(2026, 1, 2, 8, 15)]
    for row in sheet.iter_rows(min_row=2):
        for cell, column in zip(row, COLUMNS, strict=True):
            original = ROWS[cell.row - 2].get(column)
            if isinstance(original, str):
                assert cell.data_type == "s"
                assert cell.value == original or cell.value == "'" + original


def test_xlsx_header_bold_frozen_filtered_and_widths() -> None:
    sheet = _sheet(to_xlsx(COLUMNS, ROWS))
    assert sheet.title == "export"
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet.cell(row=2, column=1).font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F4"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDEF"}
    assert widths["A"] == 6  # "id" and one digit: the narrowest
    assert widths["B"] == len(str(ROWS[0]["title"])) + 1 + 2  # the apostrophe, a margin
    assert widths["C"] == 21  # a date-time, 19 characters
    assert all(6 <= w <= 60 for w in widths.values())


def test_xlsx_text_that_openpyxl_would_misread_stays_text() -> None:
    rows: list[dict[str, object]] = [
        {"v": "#N/A"},
        {"v": "#DIV/0!"},
        {"v": "=1+1"},
        {"v": "bell\x07 and nul\x00"},
        {"v": "x" * 40_000},
        {"v": float("nan")},
        {"v": float("-inf")},
        {"v": datetime(2026, 12, 1, 9, 30, tzinfo=UTC)},
        {"v": time(9, 30)},
        {"v": ["a", "b"]},
    ]
    sheet = _sheet(to_xlsx(["v"], rows))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells[:8])
    assert [cell.value for cell in cells[:4]] == ["#N/A", "#DIV/0!", "'=1+1", "bell and nul"]
    assert cells[4].value == "x" * 32_767
    assert [cell.value for cell in cells[5:8]] == ["nan", "'-inf", "2026-12-01T09:30:00+00:00"]
    assert cells[8].value == time(9, 30)
    assert cells[9].value == "['a', 'b']"
    assert sheet.column_dimensions["A"].width == 60


def test_xlsx_with_no_rows_is_a_header() -> None:
    sheet = _sheet(to_xlsx(["id", "=title"], []))
    assert [c.value for c in sheet[1]] == ["id", "'=title"]
    assert sheet.max_row == 1


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("action list", "action list"),
        ("a/b:c*d?[e]\\f", "a b c d  e  f"),
        ("'quoted'", "quoted"),
        ("x" * 40, "x" * 31),
        ("", "export"),
        ("///", "export"),
    ],
)
def test_sheet_title(name: str, title: str) -> None:
    assert sheet_title(name) == title


def test_csv_numbers_stay_numbers_and_odd_ones_are_text() -> None:
    rows: list[dict[str, object]] = [
        {"v": -2},
        {"v": -0.5},
        {"v": Decimal("-1.50")},
        {"v": float("-inf")},
        {"v": Decimal("-Infinity")},
        {"v": time(9, 30)},
    ]
    back = list(csv.reader(io.StringIO(to_csv(["v"], rows))))
    assert [r[0] for r in back[1:]] == ["-2", "-0.5", "-1.50", "'-inf", "'-Infinity", "09:30:00"]


def test_xlsx_dates_keep_their_formats_and_repeated_texts_stay_neutralised() -> None:
    """The write-only sheet: a text seen twice is typed twice the same, dates keep ours."""
    rows = (
        {"v": value}
        for value in [
            HYPERLINK,
            HYPERLINK,
            "#N/A",
            "#N/A",
            date(2026, 12, 1),
            wall(2026, 12, 1, 9, 30),
            time(9, 30),
            "in progress",
            "in progress",
        ]
    )  # a generator: the rows are read once
    sheet = _sheet(to_xlsx(["v"], rows))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells[:4]] == ["'" + HYPERLINK] * 2 + ["#N/A"] * 2
    assert all(c.data_type == "s" for c in cells[:4] + cells[7:])
    assert [c.value for c in cells[4:7]] == [
        wall(2026, 12, 1),
        wall(2026, 12, 1, 9, 30),
        time(9, 30),
    ]
    assert all(c.is_date for c in cells[4:7])
    formats = [c.number_format for c in cells[4:7]]
    assert formats == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "hh:mm:ss"]
    assert [c.value for c in cells[7:]] == ["in progress"] * 2
    assert not any(c.font.bold for c in cells)
