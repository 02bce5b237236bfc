"""Measurement files as people's spreadsheets write them: the encodings, number formats and
blank rows that must import (with the values stored checked), on SQLite and PostgreSQL.
The files that must be refused are the corpus of tests/malformed/measurements/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import DefinitionError, ValidationError
from qms.models import BreachProposal, Indicator, Measurement
from qms.services.indicators import files as indicators_file
from qms.services.indicators import imports as indicators_import
from qms.services.indicators import service as indicators
from tests.cli import run
from tests.factories import ROOT, load_example, services_for, snapshot


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    app: Services = services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, app.engine.today())
        uow.commit()
    return app


def stored(database: Database) -> dict[tuple[str, str], tuple[float, str]]:
    """(indicator, period) -> (value, comment) of every measurement."""
    with database.reading() as session:
        query = select(Indicator.code, Measurement.period, Measurement.value, Measurement.comment)
        query = query.join(Indicator, Indicator.id == Measurement.indicator_id)
        return {
            (code, period): (value, comment)
            for code, period, value, comment in session.execute(query)
        }


def imported(app: Services, path: Path) -> tuple[indicators_import.Report, list[str]]:
    notices: list[str] = []
    report = indicators_import.import_file(app, "tbrunet", path, notice=notices.append)
    return report, notices


def test_a_windows_1252_file_from_french_excel_imports_and_says_how_it_was_read(
    app: Services, tmp_path: Path
) -> None:
    path = tmp_path / "valeurs.csv"
    text = (
        "Indicateur;Période;Valeur;Commentaire\r\n"
        "TRN-04-GRADES;2026-09;92,5;Résultats publiés à temps – 3 retards\r\n"
        "RES-02-CONTRACTS;2026-Q3;312,5;Contrats signés : 312,5 k€\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    report, notices = imported(app, path)
    assert notices == ["read as Windows-1252 (not UTF-8)"]
    assert report.encoding == "Windows-1252 (not UTF-8)"
    assert report.outcomes == {"created": 2}
    assert stored(app.database) == {
        ("TRN-04-GRADES", "2026-09"): (92.5, "Résultats publiés à temps – 3 retards"),
        ("RES-02-CONTRACTS", "2026-Q3"): (312.5, "Contrats signés : 312,5 k€"),
    }


def test_utf8_with_and_without_bom(app: Services, tmp_path: Path) -> None:
    with_bom, without = tmp_path / "bom.csv", tmp_path / "plain.csv"
    with_bom.write_bytes(
        b"\xef\xbb\xbfindicator,period,value,comment\nTRN-04-GRADES,2026-09,91,d\xc3\xa9j\xc3\xa0\n"
    )
    without.write_text(
        "indicator,period,value,comment\nTRN-04-GRADES,2026-10,93,été\n", encoding="utf-8"
    )
    assert imported(app, with_bom)[1] == ["read as UTF-8 (with BOM)"]
    assert imported(app, without)[1] == ["read as UTF-8"]
    assert stored(app.database) == {
        ("TRN-04-GRADES", "2026-09"): (91.0, "déjà"),
        ("TRN-04-GRADES", "2026-10"): (93.0, "été"),
    }


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("41 234,5", 41234.5),
        ("41\u202f234,5", 41234.5),  # narrow no-break space: French Excel
        ("41\u00a0234.5", 41234.5),  # no-break space
        ("1 041 234", 1041234.0),
        ("41234", 41234.0),
        ("41234.25", 41234.25),
        ("+41234,0", 41234.0),
    ],
)
def test_thousands_separated_by_spaces_and_a_decimal_comma_or_point(
    app: Services, tmp_path: Path, written: str, value: float
) -> None:
    path = tmp_path / "web.csv"
    path.write_text(f"indicator;period;value\nSTE-03-WEB;2026-09;{written}\n", encoding="utf-8")
    assert imported(app, path)[0].outcomes == {"created": 1}
    assert stored(app.database) == {("STE-03-WEB", "2026-09"): (value, "")}


def test_a_percent_sign_on_a_percentage_indicator_only(app: Services, tmp_path: Path) -> None:
    path = tmp_path / "breaks.csv"
    path.write_text(
        "indicator;period;value\n"
        "TRN-02-BREAKS;2026-Q1;4,5 %\n"
        "TRN-02-BREAKS;2026-Q2;4,25\u202f%\n"
        "TRN-02-BREAKS;2026-Q3;4%\n",
        encoding="utf-8",
    )
    assert imported(app, path)[0].outcomes == {"created": 3}
    assert stored(app.database) == {
        ("TRN-02-BREAKS", "2026-Q1"): (4.5, ""),
        ("TRN-02-BREAKS", "2026-Q2"): (4.25, ""),
        ("TRN-02-BREAKS", "2026-Q3"): (4.0, ""),
    }
    before = snapshot(app.database)
    path.write_text("indicator;period;value\nRSC-02-PAYMENT;2026-09;50%\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        indicators_import.import_file(app, "tbrunet", path)
    assert [p.message for p in caught.value.problems] == [
        "row 2: '50%' has a percent sign, but 'RSC-02-PAYMENT' is measured in days: "
        "give the number alone"
    ]
    assert snapshot(app.database) == before  # no value, and no breach proposal either


def test_an_xlsx_percentage_cell_is_read_as_excel_shows_it(app: Services, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["indicator", "period", "value"])
    sheet.append(["RSC-03-UPTIME", "2026-09", 0.995])  # shown as 99.5 % in Excel
    sheet["C2"].number_format = "0.0%"
    sheet.append(["RSC-03-UPTIME", "2026-10", "99,7 %"])  # text typed in a text cell
    path = tmp_path / "uptime.xlsx"
    book.save(path)
    report, notices = imported(app, path)
    assert (report.outcomes, notices) == ({"created": 2}, [])
    assert stored(app.database) == {
        ("RSC-03-UPTIME", "2026-09"): (99.5, ""),
        ("RSC-03-UPTIME", "2026-10"): (99.7, ""),
    }


def test_blank_and_whitespace_only_rows_are_skipped_alike(app: Services, tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_text(
        "indicator,period,value,comment\n"
        "\n"
        "TRN-04-GRADES,2026-08,90,\n"
        "   \n"
        ",,,\n"
        "  , \t ,\u00a0,  \n"
        "TRN-04-GRADES,2026-09,91,\n"
        "\n",
        encoding="utf-8",
    )
    report, _ = imported(app, path)
    assert (report.rows, report.outcomes) == (2, {"created": 2})

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["indicator", "period", "value"],
        ["  ", None, " "],
        ["TRN-04-GRADES", "2026-10", 92],
    ):
        sheet.append(row)
    workbook = tmp_path / "values.xlsx"
    book.save(workbook)
    assert imported(app, workbook)[0].outcomes == {"created": 1}
    assert set(stored(app.database)) == {
        ("TRN-04-GRADES", p) for p in ("2026-08", "2026-09", "2026-10")
    }


def test_a_whitespace_row_in_a_bad_file_is_not_named(app: Services, tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_text(
        "indicator,period,value\nTRN-04-GRADES,2026-09,91\n   ,  ,  \nTRN-04-GRADES,2026-10,lots\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as caught:
        indicators_import.import_file(app, "tbrunet", path)
    assert [p.message for p in caught.value.problems] == ["row 4: 'lots' is not a number"]


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("1_000", "'1_000' is not a number (no underscores: write 1000 or 1 000)"),
        ("\u0663", "'\u0663' is not a number (it holds arabic-indic digit three"),
        ("1e3", "'1e3' is not a number (no exponent"),
        ("1,000.5", "'1,000.5' is not a number (one decimal separator"),
        ("12 34", "'12 34' is not a number (digits are grouped by three"),
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("", "no value"),
    ],
)
def test_numbers_are_read_strictly_and_open_no_breach(
    app: Services, tmp_path: Path, written: str, why: str
) -> None:
    path = tmp_path / "web.csv"
    path.write_text(f"indicator;period;value\nSTE-03-WEB;2026-09;{written}\n", encoding="utf-8")
    before = snapshot(app.database)
    with pytest.raises(DefinitionError) as caught:
        indicators_import.import_file(app, "tbrunet", path)
    assert [p.message.startswith(f"row 2: {why}") for p in caught.value.problems] == [True], (
        caught.value.problems
    )
    assert snapshot(app.database) == before
    with app.database.reading() as session:
        assert session.scalars(select(BreachProposal)).all() == []


def test_record_reads_numbers_as_strictly(app: Services) -> None:
    with pytest.raises(ValidationError, match=r"value: '1_000' is not a number"):
        indicators.record(app, "tbrunet", "STE-03-WEB", "2026-09", "1_000")
    with pytest.raises(
        ValidationError, match=r"has a percent sign, but 'RSC-02-PAYMENT' is measured in days"
    ):
        indicators.record(app, "tbrunet", "RSC-02-PAYMENT", "2026-09", "12,5%")
    assert indicators.record(app, "tbrunet", "TRN-04-GRADES", "2026-09", "92,5 %") == "created"
    assert indicators.record(app, "tbrunet", "STE-03-WEB", "2026-09", "41 234,5") == "created"
    assert stored(app.database) == {
        ("TRN-04-GRADES", "2026-09"): (92.5, ""),
        ("STE-03-WEB", "2026-09"): (41234.5, ""),
    }


def test_a_long_file_name_is_kept_as_the_source_within_its_column(
    app: Services, tmp_path: Path
) -> None:
    path = tmp_path / f"{'v' * 240}.csv"
    path.write_text("indicator,period,value\nTRN-04-GRADES,2026-09,91\n", encoding="utf-8")
    assert imported(app, path)[0].outcomes == {"created": 1}
    with app.database.reading() as session:
        source = session.scalars(select(Measurement.source)).one()
    assert source.startswith("import vvv") and len(source) == 200


def test_the_command_shows_fifty_problems_and_counts_the_rest(
    app: Services,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "values.csv"
    lines = ["indicator,period,value"] + [
        f"TRN-04-GRADES,{2000 + n // 12}-{n % 12 + 1:02d},n/a" for n in range(700)
    ]
    path.write_text("\n".join(lines), encoding="cp1252")
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    before = snapshot(app.database)
    result = run(capsys, "indicator", "import", str(path), "--as", "tbrunet")
    assert result.code == 1
    shown = result.err.splitlines()
    assert len(shown) == 51
    assert shown[0] == f"{path}:2: row 2: 'n/a' is not a number"
    assert shown[49] == f"{path}:51: row 51: 'n/a' is not a number"
    assert shown[50] == "... and 650 more problems"
    assert result.out == f"{path}: read as UTF-8\n"
    assert snapshot(app.database) == before


def test_the_command_says_how_a_file_was_read(
    app: Services,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "valeurs.csv"
    path.write_bytes(
        "indicator;period;value;comment\nTRN-04-GRADES;2026-09;92,5;à l'heure\n".encode("cp1252")
    )
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    result = run(capsys, "indicator", "import", str(path), "--as", "tbrunet")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"{path}: read as Windows-1252 (not UTF-8)",
        f"{path}: 1 rows checked, imported: 1 created",
    ]
    assert stored(app.database) == {("TRN-04-GRADES", "2026-09"): (92.5, "à l'heure")}
