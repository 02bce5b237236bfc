"""A process pilot's week from the command line: nonconformities, actions, the register."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from qms.config import Settings
from qms.db import Database
from tests.cli import Result, run
from tests.factories import PROCESS_MAP, snapshot


@pytest.fixture
def db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    url = f"sqlite:///{tmp_path / 'capa.sqlite3'}"
    monkeypatch.setenv("QMS_DATABASE_URL", url)
    assert run(capsys, "db", "upgrade").code == 0
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "2025-06-01").code == 0
    return url


def qms(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run(capsys, *args)


def fire(
    capsys: pytest.CaptureFixture[str],
    group: str,
    record: str,
    trigger: str,
    actor: str,
    **inputs: str,
) -> Result:
    args = [a for key, value in inputs.items() for a in ("--input", f"{key}={value}")]
    return qms(capsys, group, "fire", record, trigger, "--as", actor, *args)


def _today() -> date:
    """Today where the institution is (the day the command line's checks use)."""
    return datetime.now(ZoneInfo(Settings().timezone)).date()


def test_a_complaint_from_detection_to_verified_closure(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    today = _today().isoformat()  # the command line runs on the real clock
    logged = qms(
        capsys, "nc", "new", "--as", "ebenoit", "--process", "TRN-04",
        "--title", "Grades published three weeks late", "--source", "complaint",
        "--reference", "Complaint CPL-2026-014", "--detected-on", "2025-09-01",
    )  # fmt: skip
    assert logged.code == 0, logged.err
    assert logged.out.startswith("nonconformity #1 logged on 2025-09-01, state detected")
    plan = {
        "action_plan": "15-day deadline",
        "action_owner": "cfontaine",
        "action_due_date": today,
        "effectiveness_criteria": "No late grades for a term",
        "effectiveness_check_date": today,
    }
    analysis = {
        "root_cause": "No deadline",
        "cause_category": "method",
        "similar_nonconformities": "none",
        "corrective_action_needed": "yes",
    }
    checked = {"effectiveness_result": "effective", "effectiveness_evidence": "All on time"}
    steps = [
        ("nc", "contain", "ebenoit", {"containment": "Grades published by hand"}),
        ("nc", "analyse", "grenaud", analysis),
        ("nc", "plan_action", "ebenoit", plan),  # corrective action #1, in the register
        ("action", "approve", "ebenoit", {}),
        ("action", "start", "cfontaine", {}),
        ("action", "complete", "cfontaine", {"work_done": "Deadline in the procedure"}),
        ("nc", "implement", "grenaud", {"implementation_notes": "Procedure updated"}),
        ("action", "check_effectiveness", "ebenoit", {}),
        ("action", "close", "ebenoit", checked),
        ("nc", "check_effectiveness", "ebenoit", checked),
        ("nc", "close", "tbrunet", {}),
    ]
    for group, trigger, actor, inputs in steps:
        if (group, trigger) == ("action", "start"):
            offered = qms(capsys, "record", "triggers", "nonconformity", "1", "--as", "grenaud")
            assert "not now: its corrective actions are not all done" in offered.out
        done = fire(capsys, group, "1", trigger, actor, **inputs)
        assert done.code == 0, (trigger, done.err)
    shown = qms(capsys, "nc", "show", "1")
    assert "state           closed" in shown.out
    assert "Corrective actions (1):\n  action #1 (corrective, closed, owner Camille Fontaine" in (
        shown.out
    )
    history = [line.split() for line in shown.out.splitlines() if line.startswith("  20")]
    assert [(row[2], row[3]) for row in history] == [
        ("ebenoit", "create"),
        ("ebenoit", "contain"),
        ("grenaud", "analyse"),
        ("ebenoit", "plan_action"),
        ("grenaud", "implement"),
        ("ebenoit", "check_effectiveness"),
        ("tbrunet", "close"),
    ]


def test_more_actions_edits_and_an_exception_from_the_command_line(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    later = (_today() + timedelta(days=30)).isoformat()
    assert qms(
        capsys, "nc", "new", "--as", "ebenoit", "--process", "TRN-04", "--title", "Late grades",
        "--source", "complaint", "--reference", "CPL-9",
    ).code == 0  # fmt: skip
    added = qms(
        capsys, "nc", "add-action", "1", "--as", "ebenoit", "--title", "Deadline in the procedure",
        "--owner", "ebenoit", "--due", later, "--criteria", "No late grades",
        "--check-date", later,
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.out.startswith("improvement_action #1 (corrective) added to nonconformity #1")
    refused = fire(capsys, "action", "1", "approve", "ebenoit")
    assert refused.code == 1 and "they are its owner (segregation of duties" in refused.err
    assert "qms record exception improvement_action 1 approve --for ebenoit" in refused.err
    granted = qms(
        capsys, "record", "exception", "improvement_action", "1", "approve", "--for", "ebenoit",
        "--reason", "The pilot is the only person on this process", "--as", "tbrunet",
    )  # fmt: skip
    assert granted.code == 0, granted.err
    assert fire(capsys, "action", "1", "approve", "ebenoit").code == 0
    edited = qms(
        capsys, "action", "edit", "1", "--as", "grenaud", "--set", "owner=cfontaine",
        "--comment", "Claire takes it over",
    )  # fmt: skip
    assert edited.code == 0, edited.err
    assert "edited by grenaud" in edited.out and "owner_id = cfontaine" in edited.out
    not_editable = qms(capsys, "nc", "edit", "1", "--as", "ebenoit", "--set", "source=incident")
    assert not_editable.code == 1
    assert "source cannot be changed there" in not_editable.err
    shown = qms(capsys, "action", "show", "1").out
    assert "exception" in shown and "allowed by exception #1 of tbrunet" in shown


def test_actions_and_the_register(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    proposed = qms(
        capsys,
        "action",
        "new",
        "--as",
        "ebenoit",
        "--process",
        "TRN-04",
        "--title",
        "Publish grades within 15 days",
        "--owner",
        "cfontaine",
        "--due",
        "2099-01-31",
        "--kind",
        "corrective",
    )
    assert proposed.code == 0, proposed.err
    assert proposed.out.strip() == "action #1 proposed, due 2099-01-31, owner cfontaine"
    assert fire(capsys, "action", "1", "approve", "ebenoit").code == 0
    refused = fire(capsys, "action", "1", "start", "cfontaine")
    assert refused.code == 1
    assert "guard 'corrective_action_planned'" in refused.err and "10.2.1 d" in refused.err
    by_outsider = fire(capsys, "action", "1", "reject", "sroux", rejection_reason="no")
    assert by_outsider.code == 1 and "may not fire 'reject'" in by_outsider.err
    listed = json.loads(qms(capsys, "action", "list", "--format", "json").out)
    assert [(r["id"], r["state"], r["owner"], r["due_date"]) for r in listed] == [
        (1, "approved", "cfontaine", "2099-01-31")
    ]
    table = qms(capsys, "action", "list", "--process", "TRN-04").out.splitlines()
    assert table[0].split()[:4] == ["ID", "PROCESS", "KIND", "STATE"]
    rows = list(csv.DictReader(io.StringIO(qms(capsys, "action", "list", "--format", "csv").out)))
    assert rows[0]["title"] == "Publish grades within 15 days"
    assert qms(capsys, "action", "list", "--overdue", "--format", "json").out.strip() == "[]"
    stats = json.loads(qms(capsys, "action", "stats", "--format", "json").out)
    assert stats["Improvement actions"][0]["process"] == "TRN-04"
    assert stats["Improvement actions"][0]["open"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nc", "new", "--as", "ebenoit", "--process", "TRN-04"],
            "error: title: is required (give --title)",
        ),
        (
            ["nc", "new", "--as", "ebenoit", "--process", "XYZ", "--title", "t"],
            "error: process: unknown process 'XYZ'",
        ),
        (
            ["nc", "new", "--as", "jdoe", "--process", "TRN-04", "--title", "t"],
            "error: actor: unknown person 'jdoe'",
        ),
        (
            [
                "action",
                "new",
                "--as",
                "ebenoit",
                "--process",
                "TRN-04",
                "--title",
                "t",
                "--owner",
                "cfontaine",
                "--due",
                "2020-01-01",
            ],
            "error: due_date: 2020-01-01 is in the past",
        ),
        (
            [
                "action",
                "new",
                "--as",
                "ebenoit",
                "--process",
                "TRN-04",
                "--title",
                "t",
                "--owner",
                "cfontaine",
                "--due",
                "tomorrow",
            ],
            "error: due_date: 'tomorrow' is not a date (YYYY-MM-DD)",
        ),
        (
            ["action", "list", "--since", "last week"],
            "error: since: 'last week' is not a date (YYYY-MM-DD)",
        ),
    ],
)
def test_wrong_input_is_one_line_naming_the_field_and_writes_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    database = Database(url=db_url)
    before = snapshot(database)
    result = qms(capsys, *args)
    assert (result.code, result.err.strip()) == (1, message)
    assert snapshot(database) == before
    database.dispose()


@pytest.mark.slow  # the demo year issues its audit reports and review packs as PDFs: ~50 s
def test_demo_adds_a_year_once(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = qms(capsys, "demo")
    assert first.code == 0, first.err
    assert "nonconformities and actions: 40 nonconformities" in first.out
    ncs = json.loads(qms(capsys, "nc", "list", "--format", "json").out)
    actions = json.loads(qms(capsys, "action", "list", "--format", "json").out)
    assert {r["state"] for r in ncs} == {
        "detected",
        "contained",
        "analysed",
        "action_planned",
        "implemented",
        "effectiveness_verified",
        "closed",
        "cancelled",
    }
    assert {r["state"] for r in actions} == {
        "proposed",
        "approved",
        "in_progress",
        "done",
        "effectiveness_check",
        "closed",
        "rejected",
    }
    assert any(r["days_overdue"] > 0 for r in actions)
    assert any(r["is_repeat"] for r in ncs)
    again = qms(capsys, "demo")
    assert "already present, left as they are" in again.out
    assert len(json.loads(qms(capsys, "nc", "list", "--format", "json").out)) == len(ncs)
    untouched = qms(capsys, "trail", "verify")
    assert untouched.code == 0, untouched.err
    assert untouched.err == ""  # no row in the future, out of order, or off its record
    sealed = qms(capsys, "trail", "seal")
    number = re.match(r"trail seal #(\d+) of ", sealed.out)
    assert sealed.code == 0 and number, sealed.err  # the demo sealed its year every 4 weeks
    assert int(number.group(1)) > 1
    verified = qms(capsys, "trail", "verify")
    assert verified.code == 0
    assert f"checked against trail seal #{number.group(1)} of " in verified.out


def test_a_misspelt_state_is_named_not_silently_empty(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = qms(capsys, "action", "list", "--state", "in-progress")
    assert result.code == 1
    assert result.err.startswith("error: state: 'in-progress' is not a state of this workflow")
    assert "in_progress" in result.err
