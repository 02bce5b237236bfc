"""qms assumes no school: another institution (an invented pump maker, with its own codes,
people and workflows folder) loads its map and plans its audit programme, and `qms demo`,
the example school's story, refuses its map clearly before writing anything."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qms.db import Database
from tests.cli import Result, run
from tests.factories import ROOT, snapshot

COMPANY_MAP = ROOT / "tests" / "data" / "company" / "process-map.yaml"
CODES = ["MGT-BUY", "MGT-Q", "OPS-MAKE", "OPS-SHIP"]


@pytest.fixture
def company(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Database:
    """The company's own workflows folder: the workflow definitions, no checklists, no
    reminders file, no school holidays."""
    url = f"sqlite:///{tmp_path / 'company.sqlite3'}"
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    for definition in (ROOT / "workflows").glob("*.workflow.yaml"):
        shutil.copy(definition, workflows)
    shutil.copy(COMPANY_MAP, workflows / "process-map.yaml")
    monkeypatch.setenv("QMS_DATABASE_URL", url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(workflows))
    monkeypatch.setenv("QMS_REPORTS_DIR", str(ROOT / "reports"))
    monkeypatch.delenv("QMS_AUDIT_CLOSED_PERIODS", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the example's
    ok(capsys, "db", "upgrade")
    loaded = ok(capsys, "processmap", "load", str(workflows / "process-map.yaml"))
    assert "processes created: 4" in loaded.out, loaded.out
    database = Database(url=url)
    yield database  # type: ignore[misc]
    database.dispose()


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    result = run(capsys, *args)
    assert result.code == 0, result.err
    assert "Traceback" not in result.out + result.err
    return result


def test_a_company_plans_its_audit_programme(
    company: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = ok(capsys, "processmap", "show", "--format", "json").out
    assert all(code in shown for code in CODES)
    cycle = str(datetime.now(UTC).year + 1)  # next year's: none of its audits is late yet
    planned = ok(capsys, "audit", "programme", "plan", "--cycle", cycle, "--as", "bvance")
    assert "Traceback" not in planned.out
    coverage = json.loads(
        ok(capsys, "audit", "programme", "coverage", "--cycle", cycle, "--format", "json").out
    )
    assert sorted(row["process"] for row in coverage) == CODES
    assert all(row["planned"] == 1 for row in coverage)  # the built-in checklist: medium


def test_the_demo_refuses_another_institutions_map_and_writes_nothing(
    company: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(company)
    demo = run(capsys, "demo")
    assert demo.code == 1, demo.out + demo.err
    assert "Traceback" not in demo.out + demo.err
    assert "qms demo builds the example institution's year" in demo.err
    assert "Kestrel Pump Works's (KPW)" in demo.err
    assert "load workflows/process-map.yaml into an empty database" in demo.err
    assert len(demo.err.strip().splitlines()) == 1, demo.err  # one line, not 60 errors
    assert snapshot(company) == before
