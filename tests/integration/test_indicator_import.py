"""Measurements: recorded, imported all-or-nothing from CSV and XLSX, corrected with a trail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import DefinitionError, PermissionDenied, ValidationError
from qms.models import Measurement
from qms.services.indicators import files as indicators_file
from qms.services.indicators import imports as indicators_import
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import service as indicators
from tests.factories import ROOT, load_example, services_for, snapshot

MONTHLY = [
    "TRN-04-GRADES",
    "TRN-04-COMPLAINTS",
    "RSC-02-PAYMENT",
    "RSC-03-UPTIME",
    "RSC-04-REQUESTS",
]


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    app: Services = services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, app.engine.today())
        uow.commit()
    return app


def rows_500() -> list[str]:
    """500 values of five monthly indicators: 100 months each, 2018-07 to 2026-10."""
    lines = ["indicator;period;value;comment"]
    for code in MONTHLY:
        for n in range(100):
            year, month = divmod(2018 * 12 + 6 + n, 12)
            lines.append(f"{code};{year}-{month + 1:02d};{90 + n % 7},5;")
    return lines


def count(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Measurement)) or 0


def test_one_bad_row_in_500_imports_nothing_and_names_the_row(
    app: Services, tmp_path: Path
) -> None:
    lines = rows_500()
    good, lines[137] = lines[137], "TRN-04-GRADES;2021-Q2;91"  # row 138 of the file
    path = tmp_path / "values.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    before = snapshot(app.database)
    with pytest.raises(DefinitionError) as caught:
        indicators_import.import_file(app, "tbrunet", path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:138: row 138: '2021-Q2' is not a monthly period (write it like 2026-03)"
    ]
    assert snapshot(app.database) == before

    lines[137] = good  # the same file, fixed
    path.write_text("\n".join(lines), encoding="utf-8")
    report = indicators_import.import_file(app, "tbrunet", path)
    assert report.outcomes == {"created": 500}
    assert count(app.database) == 500

    again = indicators_import.import_file(app, "tbrunet", path)
    assert again.outcomes == {"unchanged": 500}
    assert count(app.database) == 500


def test_every_bad_row_is_listed_with_its_reason(app: Services, tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_text(
        "indicator,period,value\n"
        "TRN-04-GRADES,2026-09,92\n"
        "TRN-99-NOPE,2026-09,1\n"
        "TRN-04-GRADES,2026-10,lots\n"
        "TRN-04-GRADES,2026-09,93\n"
        "TRN-04-GRADES,2026-12,93\n"
        "TRN-04-GRADES,2026-08,130\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as caught:
        indicators_import.import_file(app, "tbrunet", path)
    assert [p.message for p in caught.value.problems] == [
        "row 3: unknown indicator 'TRN-99-NOPE'",
        "row 4: 'lots' is not a number",
        "row 5: duplicate period 2026-09 of TRN-04-GRADES (first at row 2)",
        "row 6: period 2026-12 of 'TRN-04-GRADES' ends on 2026-12-31: "
        "record its value once it is over",
        "row 7: 130 % is outside the possible values (0 to 100) of 'TRN-04-GRADES'",
    ]
    assert count(app.database) == 0


def test_xlsx_import_reads_dates_as_months(app: Services, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Indicator", "Period", "Value"])
    sheet.append(["RSC-02-SUPPLIERS", "2026-Q3", 93.5])
    sheet.append(["RSC-02-PAYMENT", datetime(2026, 10, 1, tzinfo=UTC).replace(tzinfo=None), 28])
    sheet.append(["TRN-04-ADMISSIONS", 2025, 52])
    path = tmp_path / "values.xlsx"
    book.save(path)
    report = indicators_import.import_file(app, "tbrunet", path)
    assert report.outcomes == {"created": 3}


def test_a_correction_needs_a_reason_and_keeps_the_previous_value(app: Services) -> None:
    indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-09", "91")
    with pytest.raises(
        ValidationError, match=r"already holds 91 .* is a correction: give a reason"
    ):
        indicators.record(app, "ebenoit", "TRN-04-GRADES", "2026-09", "93")
    outcome = indicators.record(
        app, "ebenoit", "TRN-04-GRADES", "2026-09", "93", reason="Two exams counted twice"
    )
    assert outcome == "corrected"
    with app.database.reading() as session:
        trail = indicators_queries.revisions(session, "TRN-04-GRADES", "2026-09")
    assert [(r.previous_value, r.value, r.reason) for r in trail] == [
        (None, 91.0, ""),
        (91.0, 93.0, "Two exams counted twice"),
    ]


def test_only_the_owner_pilot_correspondent_or_quality_manager_records(app: Services) -> None:
    before = snapshot(app.database)
    with pytest.raises(
        PermissionDenied,
        match=r"Émilie Benoit \(ebenoit\) may not record values of indicator 'RSC-02-PAYMENT'",
    ):
        indicators.record(app, "ebenoit", "RSC-02-PAYMENT", "2026-09", "30")
    assert snapshot(app.database) == before
    assert indicators.record(app, "sboyer", "RSC-02-PAYMENT", "2026-09", "30") == "created"


def test_reloading_the_file_changes_nothing_and_leaving_one_out_retires_it(
    app: Services, tmp_path: Path
) -> None:
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        assert indicators.load(uow.session, spec, app.engine.today()) == {}
        shorter = spec.model_copy(update={"indicators": spec.indicators[:-1]})
        changes = indicators.load(uow.session, shorter, app.engine.today())
        uow.commit()
    assert changes == {"indicators retired": 1}
    with pytest.raises(ValidationError, match="was retired on 2026-11-25"):
        indicators.record(app, "tbrunet", spec.indicators[-1].code, "2026-10", "80")
