"""qms indicator and qms review as a person types them: the demo year, then the review pack."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from qms.clock import SystemClock, local_today
from qms.config import load_settings
from tests.cli import run
from tests.factories import PROCESS_MAP, ROOT

SECTIONS = [
    "9.3.2 a — Status of actions from previous management reviews",
    "9.3.2 b — Changes in external and internal issues",
    "9.3.2 c 1 — Customer satisfaction",
    "9.3.2 c 2 — Extent to which quality objectives have been met",
    "9.3.2 c 3 — Process performance",
    "9.3.2 c 4 — Nonconformities and corrective actions",
    "9.3.2 c 5 — Monitoring and measurement results",
    "9.3.2 c 6 — Audit results",
    "9.3.2 c 7 — Performance of external providers",
    "9.3.2 d — Adequacy of resources",
    "9.3.2 e — Effectiveness of actions taken to address risks",
    "9.3.2 f — Opportunities for improvement",
]


@pytest.fixture
def cli_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    monkeypatch.setenv("QMS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    monkeypatch.setenv("QMS_REPORTS_DIR", str(ROOT / "reports"))
    assert run(capsys, "db", "upgrade").code == 0
    # the demo year runs up to the real today: the roles must hold from before it
    since = (datetime.now(UTC).date() - timedelta(days=400)).isoformat()
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", since).code == 0
    return tmp_path


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.slow  # builds the demo year first: ~50 s
def test_the_demo_review_pack_is_a_pdf_with_every_input(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = run(capsys, "demo")
    assert demo.code == 0, demo.err
    review_id = re.search(r"qms review pack --review (\d+)", demo.out)
    assert review_id is not None, demo.out
    pdf = cli_db / "pack.pdf"
    made = run(capsys, "review", "pack", "--review", review_id.group(1), "-o", str(pdf))
    assert made.code == 0, made.err
    assert "frozen, sha256 " in made.out
    text = flat("\n".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "Management review pack" in text and "Summary for the directors" in text
    for heading in SECTIONS:
        assert flat(heading) in text, heading
    assert "MISSING INPUT: no change recorded in qms" in text  # 9.3.2 b has no data in the demo
    assert "alert threshold" in text and "TRN-04-GRADES Grades published on time" in text  # charts


def test_a_bad_row_imports_nothing_and_is_named(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "indicator", "load", str(ROOT / "workflows" / "indicators.yaml")).code == 0
    csv = cli_db / "values.csv"
    csv.write_text("indicator,period,value\nTRN-04-GRADES,2025-09,91\nTRN-04-GRADES,2025-10,n/a\n")
    bad = run(capsys, "indicator", "import", str(csv), "--as", "ebenoit")
    assert bad.code == 1
    assert bad.err.strip() == f"{csv}:3: row 3: 'n/a' is not a number"
    csv.write_text("indicator,period,value\nTRN-04-GRADES,2025-09,91\nTRN-04-GRADES,2025-10,70\n")
    good = run(capsys, "indicator", "import", str(csv), "--as", "ebenoit")
    assert good.code == 0 and "2 rows checked, imported: 2 created" in good.out
    breaches = run(capsys, "indicator", "breaches", "--state", "open")
    assert "TRN-04-GRADES  TRN-04   2025-10" in breaches.out
    svg = cli_db / "grades.svg"
    chart = run(capsys, "indicator", "chart", "TRN-04-GRADES", "-o", str(svg))
    assert chart.code == 0 and svg.read_text().startswith("<svg")
    assert "alert threshold" in svg.read_text()


def test_a_review_is_held_once_each_missing_input_has_a_reason(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = local_today(SystemClock(), load_settings().zone)  # the institution's day, as the CLI

    first, last = (today - timedelta(days=365)).isoformat(), (today - timedelta(days=1)).isoformat()
    plan = ("review", "plan", "--as", "tbrunet", "--on", today.isoformat(), "--from", first)
    late = run(capsys, *plan, "--to", (today + timedelta(days=1)).isoformat())
    assert late.code == 1 and "after the review itself" in late.err and "(clause 9.3.2)" in late.err
    assert run(capsys, *plan, "--to", last).code == 0
    assert run(capsys, "review", "gather", "1", "--as", "tbrunet").code == 0
    hold = ("review", "hold", "1", "--as", "hmarchal", "--held-on", today.isoformat())
    held = (*hold, "--attendees", "The directors", "--minutes", "Agreed.")
    refused = run(capsys, *held)
    assert refused.code == 1
    assert "inputs of clause 9.3.2 are missing with no reason recorded: a status of" in refused.err
    assert "c6 audit results" in refused.err and refused.err.strip().endswith("(clause 9.3.2)")
    missing = [m.group(1) for m in re.finditer(r"(?:: |; )(a|b|c\d|d|e|f) ", refused.err)]
    for key in missing:
        why = run(
            capsys,
            "review",
            "input-missing",
            "1",
            key,
            "--reason",
            "Not in qms yet",
            "--as",
            "tbrunet",
        )
        assert why.code == 0 and f"reason recorded for missing input {key} " in why.out
    assert run(capsys, *held).code == 0
    inputs = run(capsys, "review", "inputs", "1")
    assert inputs.out.count("reason recorded by tbrunet: Not in qms yet") == len(missing)


def test_indicator_show_says_why_there_is_no_trend_yet(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "indicator", "load", str(ROOT / "workflows" / "indicators.yaml")).code == 0
    month = datetime.now(UTC).date().replace(day=1)
    for back, value in ((2, "96"), (1, "79")):
        day = month - timedelta(days=1) if back == 1 else (month - timedelta(days=32))
        period = day.strftime("%Y-%m")
        assert (
            run(
                capsys, "indicator", "record", "TRN-04-GRADES", period, value, "--as", "ebenoit"
            ).code
            == 0
        )
    shown = run(capsys, "indicator", "show", "TRN-04-GRADES")
    assert shown.code == 0
    assert "trend  not enough values (2 of 4 needed)" in shown.out
    listed = run(capsys, "indicator", "list", "--process", "TRN-04")
    assert "not enough values (2 of 4 needed)" in listed.out
