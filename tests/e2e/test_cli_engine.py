"""The workflow engine from the command line: start, fire, trail, versions and diff."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from qms.config import Settings
from qms.db import Database
from tests.cli import Result, run
from tests.factories import PROCESS_MAP, ROOT


@pytest.fixture
def db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("QMS_DATABASE_URL", url)
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(workflows))
    assert run(capsys, "db", "upgrade").code == 0
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "2026-01-05").code == 0
    return url


def qms(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run(capsys, *args)


def test_a_pilot_takes_a_nonconformity_through_its_workflow(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    created = qms(
        capsys,
        "record",
        "new",
        "nonconformity",
        "--as",
        "ebenoit",
        "--process",
        "TRN-04",
        "--title",
        "Exam room double-booked",
        "--set",
        "severity=major",
    )
    assert created.out.strip() == "nonconformity #1 created, state detected"
    offered = qms(capsys, "record", "triggers", "nonconformity", "1", "--as", "ebenoit")
    assert (
        offered.out.startswith("contain ") and "inputs: containment, consequences?" in offered.out
    )
    today = datetime.now(ZoneInfo(Settings().timezone)).date().isoformat()  # the CLI's clock
    steps = [
        ("nonconformity", "contain", "ebenoit", ["containment=Moved to room B12"]),
        (
            "nonconformity",
            "analyse",
            "grenaud",
            [
                "root_cause=Two calendars",
                "cause_category=method",
                "similar_nonconformities=none",
                "corrective_action_needed=yes",
            ],
        ),
        (
            "nonconformity",
            "plan_action",
            "ebenoit",
            [
                "action_plan=One calendar",
                "action_owner=cfontaine",
                f"action_due_date={today}",
                "effectiveness_criteria=No double booking for a term",
                f"effectiveness_check_date={today}",
            ],
        ),  # its corrective action: improvement_action #1, moved on its own
        ("improvement_action", "approve", "ebenoit", []),
        ("improvement_action", "start", "cfontaine", []),
        ("improvement_action", "complete", "cfontaine", ["work_done=Calendars merged"]),
        ("nonconformity", "implement", "grenaud", ["implementation_notes=Calendars merged"]),
        ("improvement_action", "check_effectiveness", "ebenoit", []),
        (
            "improvement_action",
            "close",
            "ebenoit",
            ["effectiveness_result=effective", "effectiveness_evidence=Term without incident"],
        ),
        (
            "nonconformity",
            "check_effectiveness",
            "ebenoit",
            ["effectiveness_result=effective", "effectiveness_evidence=Term without incident"],
        ),
        ("nonconformity", "close", "tbrunet", []),
    ]
    for kind, trigger, actor, inputs in steps:
        args = [a for pair in inputs for a in ("--input", pair)]
        done = qms(capsys, "record", "fire", kind, "1", trigger, "--as", actor, *args)
        assert done.code == 0, done.err
        assert f"('{trigger}' by {actor}" in done.out
    shown = qms(capsys, "trail", "show", "nonconformity", "1")
    assert "now closed" in shown.out.splitlines()[0]
    assert [line.split()[3] for line in shown.out.splitlines() if line.startswith("  20")] == [
        "create",
        "contain",
        "analyse",
        "plan_action",
        "implement",
        "check_effectiveness",
        "close",
    ]
    assert "containment: Moved to room B12" in shown.out
    verified = qms(capsys, "trail", "verify")
    assert verified.code == 0
    assert verified.out.startswith(
        "trail verified: 13 rows in 2 record chains, 2 records matching their trail"
    )


def test_refusals_are_one_line_and_exit_1(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    qms(capsys, "record", "new", "nonconformity", "--as", "ebenoit", "--process", "TRN-04")
    refused = qms(
        capsys,
        "record",
        "fire",
        "nonconformity",
        "1",
        "contain",
        "--as",
        "sroux",
        "--input",
        "containment=x",
    )
    assert refused.code == 1
    assert refused.err.startswith("error: Sophie Roux (sroux) may not fire 'contain'")
    missing = qms(capsys, "record", "fire", "nonconformity", "1", "contain", "--as", "ebenoit")
    assert missing.code == 1
    assert missing.err.startswith("error: containment: required by 'contain'")
    unknown = qms(capsys, "record", "new", "nonconformity", "--as", "jdoe", "--process", "TRN-04")
    assert unknown.err.strip() == "error: actor: unknown person 'jdoe'"
    nowhere = qms(capsys, "record", "new", "nonconformity", "--as", "ebenoit", "--process", "X-1")
    assert nowhere.err.strip() == "error: process: unknown process 'X-1'"
    assert qms(capsys, "trail", "verify").out.startswith("trail verified: 1 row in 1 record")


def test_trail_verify_names_a_tampered_row(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    qms(capsys, "record", "new", "nonconformity", "--as", "ebenoit", "--process", "TRN-04")
    qms(
        capsys,
        "record",
        "fire",
        "nonconformity",
        "1",
        "contain",
        "--as",
        "ebenoit",
        "--input",
        "containment=x",
    )
    database = Database(url=db_url)
    with database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER workflow_history_no_update"))
        conn.execute(
            text('UPDATE workflow_history SET inputs = \'{"containment": "y"}\' WHERE id = 2')
        )
    database.dispose()
    result = qms(capsys, "trail", "verify")
    assert result.code == 1
    first, *_, last = result.err.splitlines()
    assert first.startswith("trail row 2 (nonconformity #1, 'contain' by ebenoit")
    assert first.endswith(
        "its signature does not match its content: the row was changed after it was "
        "written, or written by something other than qms"
    )
    assert last == "trail NOT verified: 2 problems (not sealed yet)"


def test_editing_a_workflow_file_leaves_records_in_flight_alone(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qms(capsys, "record", "new", "nonconformity", "--as", "ebenoit", "--process", "TRN-04")
    path = tmp_path / "workflows" / "nonconformity.workflow.yaml"
    text_now = path.read_text()
    edited = text_now.replace("version: 2", "version: 3", 1).replace(
        "    to: contained\n    roles: [pilot, correspondent]",
        "    to: contained\n    roles: [quality_manager]",
    )
    assert edited != text_now
    path.write_text(edited)
    assert qms(capsys, "workflow", "check", str(path)).code == 0
    changed = qms(capsys, "workflow", "diff", "nonconformity")
    assert "(version 2) -> " in changed.out and "(version 3)" in changed.out
    assert (
        "~ transition 'contain' (detected -> contained) roles: [correspondent, pilot] -> "
        "[quality_manager]"
    ) in changed.out
    assert "~ version: 2 -> 3" in changed.out
    old = qms(
        capsys,
        "record",
        "fire",
        "nonconformity",
        "1",
        "contain",
        "--as",
        "ebenoit",
        "--input",
        "containment=x",
    )
    assert old.code == 0, old.err  # started under version 2: the pilot may still contain it
    qms(capsys, "record", "new", "nonconformity", "--as", "ebenoit", "--process", "TRN-04")
    new = qms(
        capsys,
        "record",
        "fire",
        "nonconformity",
        "2",
        "contain",
        "--as",
        "ebenoit",
        "--input",
        "containment=x",
    )
    assert new.code == 1 and "needs the role quality_manager" in new.err
    listed = qms(capsys, "workflow", "versions", "nonconformity")
    assert "version 2" in listed.out and "version 3" in listed.out
    assert "(the file now)" in listed.out.splitlines()[1]


def test_generic_fire_keeps_each_capability_s_rules(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through `qms record fire`, a nonconformity still gets its repeat check, and a review
    is sent to `qms review`, which assembles and freezes its inputs."""
    analysis = [
        "root_cause=r",
        "cause_category=method",
        "similar_nonconformities=none",
        "corrective_action_needed=yes",
    ]
    for number in ("1", "2"):
        qms(capsys, "nc", "new", "--as", "ebenoit", "--process", "TRN-04", "--title", "Late")
        qms(
            capsys,
            "record",
            "fire",
            "nonconformity",
            number,
            "contain",
            "--as",
            "ebenoit",
            "--input",
            "containment=x",
        )
        args = [a for pair in analysis for a in ("--input", pair)]
        done = qms(
            capsys, "record", "fire", "nonconformity", number, "analyse", "--as", "ebenoit", *args
        )
        assert done.code == 0, done.err
    assert "Repeat: same process and cause category" in qms(capsys, "nc", "show", "2").out
    review = qms(
        capsys, "record", "fire", "management_review", "1", "gather_inputs", "--as", "tbrunet"
    )
    assert review.code == 1
    assert review.err.startswith(
        "error: kind: management_review records are moved with `qms review`"
    )
