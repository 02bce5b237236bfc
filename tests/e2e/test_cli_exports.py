"""The registers exported for a spreadsheet: a title typed as a formula stays inert text."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from tests.cli import Result, run
from tests.factories import PROCESS_MAP

EVIL = '=HYPERLINK("http://evil","click")'


def wall(*parts: int) -> datetime:
    """A date-time as a spreadsheet holds it: no time zone."""
    return datetime(*parts)  # noqa: DTZ001 - spreadsheets have no time zones


@pytest.fixture
def db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    url = f"sqlite:///{tmp_path / 'exports.sqlite3'}"
    monkeypatch.setenv("QMS_DATABASE_URL", url)
    assert run(capsys, "db", "upgrade").code == 0
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "2025-06-01").code == 0
    return url


def qms(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run(capsys, *args)


@pytest.fixture
def evil_action(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    proposed = qms(
        capsys, "action", "new", "--as", "ebenoit", "--process", "TRN-04", "--title", EVIL,
        "--owner", "cfontaine", "--due", "2099-01-31", "--kind", "corrective",
    )  # fmt: skip
    assert proposed.code == 0, proposed.err
    logged = qms(
        capsys, "nc", "new", "--as", "ebenoit", "--process", "TRN-04", "--title", "@SUM(A1)",
        "--detected-on", "2025-09-01",
    )  # fmt: skip
    assert logged.code == 0, logged.err


def _rows(path: Path) -> tuple[list[openpyxl.cell.cell.Cell], list[list[object]]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    return cells, [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.usefixtures("evil_action")
def test_action_list_as_xlsx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "actions.xlsx"
    written = qms(capsys, "action", "list", "--format", "xlsx", "-o", str(target))
    assert written.code == 0, written.err
    assert written.out.strip() == f"{target}: 1 row (xlsx)"
    cells, values = _rows(target)
    assert all(cell.data_type != "f" for cell in cells)
    header, row = values
    assert header[:4] == ["id", "process", "kind", "state"]
    found = dict(zip(header, row, strict=True))
    assert found["title"] == "'" + EVIL
    assert found["id"] == 1 and found["days_overdue"] == 0  # numbers stay numbers
    assert found["due_date"] == wall(2099, 1, 31)  # a real date
    sheet = openpyxl.load_workbook(target).worksheets[0]
    assert sheet.title == "action list" and sheet.freeze_panes == "A2"


@pytest.mark.usefixtures("evil_action")
def test_action_list_as_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    printed = qms(capsys, "action", "list", "--format", "csv")
    assert printed.code == 0, printed.err
    rows = list(csv.DictReader(io.StringIO(printed.out)))
    assert [(r["id"], r["due_date"], r["title"]) for r in rows] == [("1", "2099-01-31", "'" + EVIL)]
    target = tmp_path / "actions.csv"
    written = qms(capsys, "action", "list", "--format", "csv", "--output", str(target))
    assert written.code == 0, written.err
    assert target.read_text(encoding="utf-8") == printed.out


@pytest.mark.usefixtures("evil_action")
def test_nc_list_as_xlsx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "ncs.xlsx"
    written = qms(capsys, "nc", "list", "--format", "xlsx", "-o", str(target))
    assert written.code == 0, written.err
    cells, (header, row) = _rows(target)
    assert all(cell.data_type != "f" for cell in cells)
    found = dict(zip(header, row, strict=True))
    assert found["title"] == "'@SUM(A1)"
    assert found["detected_on"] == wall(2025, 9, 1)
    assert found["is_repeat"] is False
    csv_rows = list(csv.DictReader(io.StringIO(qms(capsys, "nc", "list", "--format", "csv").out)))
    assert csv_rows[0]["title"] == "'@SUM(A1)" and csv_rows[0]["is_repeat"] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "--format xlsx writes a binary file: give it with -o/--output FILE"),
        (["--format", "json", "-o", "x.json"], "-o/--output writes --format csv or xlsx, not json"),
        (["-o", "x.txt"], "-o/--output writes --format csv or xlsx, not table"),
    ],
)
@pytest.mark.parametrize("group", ["action", "nc"])
def test_refused_without_a_file_or_for_table_and_json(
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    group: str,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    refused = qms(capsys, group, "list", *args)
    assert refused.code == 2
    assert f"Error: {message}" in refused.err
    assert refused.out == "" and list(tmp_path.iterdir()) == [tmp_path / "exports.sqlite3"]


def test_a_file_that_cannot_be_written(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "actions.xlsx"
    refused = qms(capsys, "action", "list", "--format", "xlsx", "-o", str(target))
    assert refused.code == 1
    assert "Could not open file" in refused.err and "No such file or directory" in refused.err
    assert "Traceback" not in refused.err


def test_other_lists_export_too(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing.xlsx"
    written = qms(capsys, "indicator", "missing", "--format", "xlsx", "-o", str(target))
    assert written.code == 0, written.err
    _, values = _rows(target)
    assert values[0] == ["indicator", "process", "period", "due_on", "days_late", "owner"]
