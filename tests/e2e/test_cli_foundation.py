"""The foundation commands as a person types them, on a SQLite file of their own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from qms import migrations
from qms.db import Database
from tests.cli import run
from tests.factories import PROCESS_MAP, snapshot


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("QMS_DATABASE_URL", url)
    monkeypatch.setenv("QMS_SMTP_PASSWORD", "topsecret")
    return url


def test_config_show_masks_secrets(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "config", "show")
    assert result.code == 0
    shown = dict([*line.split(None, 1), ""][:2] for line in result.out.splitlines())
    assert shown["QMS_DATABASE_URL"] == db_url
    assert "topsecret" not in result.out
    assert shown["QMS_SMTP_PASSWORD"] == "********"


def test_commands_refuse_an_unmigrated_database(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "processmap", "show")
    assert result.code == 1
    assert result.err.strip() == (
        "error: the database is at revision none (empty), this code "
        f"needs {migrations.head_revision()}: run `qms db upgrade`"
    )


def test_upgrade_load_twice_show(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "db", "upgrade").code == 0
    first = run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "2026-01-05")
    assert first.code == 0 and "processes created: 18" in first.out
    database = Database(url=db_url)
    before = snapshot(database)
    second = run(capsys, "processmap", "load", str(PROCESS_MAP))
    assert second.code == 0 and second.out.strip().endswith("loaded, nothing changed")
    assert snapshot(database) == before
    shown = run(capsys, "processmap", "show", "--on", "2026-02-01")
    assert "TRN-02   Apprenticeship training" in shown.out
    assert "pilot: Marion Leclerc (mleclerc)" in shown.out
    database.dispose()


@pytest.mark.slow  # plays the demo year: ~35 s
def test_the_demo_plays_on_a_map_loaded_after_its_year_began(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Roles held only since after 1 December: nobody acts before, and no programme is
    planned on 1 December; the demo says so instead of failing."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()  # the demo's today (QMS_TIMEZONE)
    begins = date(today.year - 1, 12, 1)
    as_of = begins + timedelta(days=35)
    if not today - timedelta(days=367) < begins < as_of <= today - timedelta(days=300):
        pytest.skip(f"on {today} a map from {as_of} is not 'a month late' in the demo's year")
    assert run(capsys, "db", "upgrade").code == 0
    loaded = run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", as_of.isoformat())
    assert loaded.code == 0, loaded.err
    demo = run(capsys, "demo")
    assert demo.code == 0, demo.err
    assert "18 processes" in demo.out
    assert f"internal audits: none, the {today.year} programme is planned on {begins}" in demo.out
    verified = run(capsys, "trail", "verify")
    assert verified.code == 0, verified.err


def test_the_demo_refuses_a_map_whose_roles_begin_late_in_its_year(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    as_of = today - timedelta(days=100)
    assert run(capsys, "db", "upgrade").code == 0
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", str(as_of)).code == 0
    demo = run(capsys, "demo")
    assert demo.code == 1
    assert f"the process map's roles begin on {as_of}" in demo.err
    assert "--as-of at least a year ago" in demo.err


def test_malformed_map_changes_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "db", "upgrade")
    run(capsys, "processmap", "load", str(PROCESS_MAP))
    database = Database(url=db_url)
    before = snapshot(database)
    bad = tmp_path / "process-map.yaml"
    bad.write_text(
        PROCESS_MAP.read_text()
        .replace("pilot: mleclerc", "pilot: jdoe")
        .replace("code: RSC-04", "code: RSC-03")
    )
    result = run(capsys, "processmap", "load", str(bad))
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert all(line.startswith(f"{bad}:") for line in lines)
    assert lines[0].endswith("process 'TRN-02' names unknown pilot 'jdoe'")
    assert any(line.endswith("duplicate process 'RSC-03' (first at line 323)") for line in lines)
    assert any("names unknown interface process 'RSC-04'" in line for line in lines)
    assert snapshot(database) == before
    database.dispose()


def test_bad_yaml_and_bad_date(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("organisation: {code: X\npeople: []\n")
    result = run(capsys, "processmap", "check", str(bad))
    assert result.code == 1 and result.err.startswith(f"{bad}:") and "bad YAML" in result.err
    result = run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "31/12/2026")
    assert result.code == 2 and "'31/12/2026' is not a date (YYYY-MM-DD)" in result.err


def test_db_check_fails_when_the_schema_differs(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "db", "check").code == 1  # not migrated yet
    run(capsys, "db", "upgrade")
    ok = run(capsys, "db", "check")
    assert ok.code == 0 and "matches" in ok.out
    database = Database(url=db_url)
    with database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE person ADD COLUMN nickname VARCHAR(20)"))
    database.dispose()
    drifted = run(capsys, "db", "check")
    assert drifted.code == 1
    assert "models and migrations differ" in drifted.err and "nickname" in drifted.err


def test_downgrade_to_base_then_upgrade(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "db", "upgrade")
    down = run(capsys, "db", "downgrade", "base")
    assert down.code == 0 and "database at revision base" in down.out
    assert "database: base" in run(capsys, "db", "current").out
    assert run(capsys, "db", "upgrade").code == 0
