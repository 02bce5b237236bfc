"""A correspondent plans the 2027 programme and runs an audit to its issued PDF, from the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from pypdf import PdfReader

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
    monkeypatch.setenv("QMS_REPORTS_DIR", str(ROOT / "reports"))
    assert run(capsys, "db", "upgrade").code == 0
    assert run(capsys, "processmap", "load", str(PROCESS_MAP), "--as-of", "2026-01-05").code == 0
    return url


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    result = run(capsys, *args)
    assert result.code == 0, result.err
    return result


def plan_and_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "audit", "programme", "plan", "--cycle", "2027", "--as", "grenaud")
    ok(
        capsys,
        "audit",
        "programme",
        "fire",
        "--cycle",
        "2027",
        "approve",
        "--as",
        "hmarchal",
        "--input",
        "approval_note=Two days per auditor granted",
    )
    ok(capsys, "audit", "programme", "fire", "--cycle", "2027", "put_in_effect", "--as", "tbrunet")
    ok(
        capsys,
        "audit",
        "plan",
        "--cycle",
        "2027",
        "--process",
        "TRN-04",
        "--lead",
        "jcarre",
        "--as",
        "grenaud",
        "--objectives",
        "Check exams are run under control",
        "--scope",
        "Winter exam session",
        "--location",
        "Building A",
    )


def test_a_correspondent_plans_runs_and_issues_an_audit_report(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan_and_schedule(capsys)
    shown = run(capsys, "audit", "programme", "coverage", "--cycle", "2027", "--format", "json")
    coverage = json.loads(shown.out)  # exit 1 once a 2027 month has passed: late audits
    assert len(coverage) == 18 and all(row["planned"] >= 1 for row in coverage)
    refused = run(
        capsys,
        "audit",
        "fire",
        "1",
        "issue_plan",
        "--as",
        "jcarre",
        "--input",
        "audit_plan=one day",
    )
    assert refused.code == 1 and "clause 9.2.2 b" in refused.err
    ok(capsys, "audit", "edit", "1", "--criteria", "ISO 9001 8.5.1", "--as", "grenaud")
    ok(capsys, "audit", "checklist", "create", "1", "--as", "grenaud")
    ok(capsys, "audit", "fire", "1", "issue_plan", "--as", "jcarre", "--input", "audit_plan=9:00")
    ok(capsys, "audit", "fire", "1", "start", "--as", "jcarre", "--input", "started_on=2027-03-03")
    ok(
        capsys,
        "audit",
        "checklist",
        "answer",
        "1",
        "5",
        "--answer",
        "not_conform",
        "--evidence",
        "No invigilator list",
        "--as",
        "jcarre",
    )
    finding = (
        "audit",
        "finding",
        "add",
        "1",
        "--type",
        "major_nonconformity",
        "--title",
        "<script>alert('x')</script> exams",
        "--criterion",
        "8.5.1",
        "--evidence",
        "3 of 5 exams",
        "--as",
        "jcarre",
    )
    unlinked = run(capsys, *finding)
    assert unlinked.code == 1 and unlinked.err.startswith(
        "error: item: a nonconformity finding names the checklist item answered not_conform"
    )
    items = json.loads(ok(capsys, "audit", "checklist", "show", "1", "--format", "json").out)
    failed = next(i for i in items if i["position"] == 5)
    added = ok(capsys, *finding, "--item", str(failed["id"]))
    assert "raised nonconformity #1 (major) and corrective action #1 due" in added.out
    findings = json.loads(ok(capsys, "audit", "finding", "list", "1", "--format", "json").out)
    due = date.fromisoformat(findings[0]["action_due_date"])
    nc = ok(capsys, "nc", "show", "1").out
    assert "action due      " + due.isoformat() in nc and "action #1 (corrective" in nc.lower()
    ok(
        capsys,
        "audit",
        "fire",
        "1",
        "draft_report",
        "--as",
        "jcarre",
        "--input",
        "conclusions=Exams need control",
        "--input",
        "criteria_fulfilment=Partly",
    )
    refused = run(capsys, "audit", "fire", "1", "issue_report", "--as", "tbrunet")
    assert refused.code == 1
    assert "9 checklist questions are not answered: 1 (" in refused.err
    assert "ISO 19011 6.4.7" in refused.err
    ok(
        capsys,
        "audit",
        "fire",
        "1",
        "return_draft",
        "--as",
        "tbrunet",
        "--input",
        "return_reason=answer the checklist",
    )
    for item in items:
        if item["position"] == 1:
            answer = ("--answer", "not_applicable", "--reason", "No exam in the sample")
        elif item["position"] != 5:
            answer = ("--answer", "conform", "--evidence", "Records seen")
        else:
            continue
        ok(
            capsys,
            "audit",
            "checklist",
            "answer",
            "1",
            str(item["position"]),
            *answer,
            "--as",
            "jcarre",
        )
    ok(
        capsys,
        "audit",
        "fire",
        "1",
        "draft_report",
        "--as",
        "jcarre",
        "--input",
        "conclusions=Exams need control",
        "--input",
        "criteria_fulfilment=Partly",
    )
    ok(capsys, "audit", "fire", "1", "issue_report", "--as", "tbrunet")
    pdf, html = tmp_path / "report.pdf", tmp_path / "report.html"
    shown = ok(capsys, "audit", "report", "render", "1", "--pdf", str(pdf), "--html", str(html))
    assert "revision 1" in shown.out
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    for section in (
        "Audit objectives",
        "Audit scope",
        "Audit team",
        "Dates and places",
        "Audit criteria",
        "Major nonconformity",
        "Audit conclusions",
        "Unresolved diverging opinions",
        "Impartiality exceptions",
        "Sampling",
    ):
        assert section in text, section
    assert "&lt;script&gt;" in html.read_text() and "<script>" not in html.read_text()
    assert f"CHECKLIST question 5 ({failed['clause']})" in text
    assert "Not applicable: No exam in the sample" in text


def test_the_pilot_is_refused_as_auditor_until_a_quality_manager_approves(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan_and_schedule(capsys)
    refused = run(capsys, "audit", "assign", "1", "ebenoit", "--as", "grenaud")
    assert refused.code == 1
    assert "ebenoit) is not an internal auditor" in refused.err
    refused = run(capsys, "audit", "assign", "1", "grenaud", "--as", "grenaud")
    assert "is correspondent of TRN-04" in refused.err and "clause 9.2.2 c" in refused.err
    denied = run(
        capsys,
        "audit",
        "exception",
        "1",
        "grenaud",
        "--as",
        "grenaud",
        "--justification",
        "The only auditor trained on juries",
    )
    assert denied.code == 1 and "not a quality manager" in denied.err
    ok(
        capsys,
        "audit",
        "exception",
        "1",
        "grenaud",
        "--as",
        "tbrunet",
        "--justification",
        "The only auditor trained on juries",
    )
    ok(capsys, "audit", "assign", "1", "grenaud", "--as", "grenaud")
    trail = ok(capsys, "trail", "show", "internal_audit", "1").out
    assert "approve_impartiality_exception" in trail
    html = tmp_path / "draft.html"
    ok(capsys, "audit", "report", "render", "1", "--html", str(html))
    assert "The only auditor trained on juries" in html.read_text()


def test_the_calendar_imports_as_icalendar(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    plan_and_schedule(capsys)
    ics = ok(capsys, "audit", "calendar", "--cycle", "2027").out
    events = Calendar.from_ical(ics).walk("VEVENT")
    summaries = [str(e["SUMMARY"]) for e in events]
    assert len(events) == 21 and len({str(e["UID"]) for e in events}) == 21
    assert "Audit TRN-04: internal audit of TRN-04" in summaries
    programme = json.loads(
        ok(capsys, "audit", "programme", "show", "--cycle", "2027", "--format", "json").out
    )
    assert {row["process"] for row in programme} >= {"TRN-04", "RSC-04"}


def test_an_approved_programme_is_no_longer_edited(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_and_schedule(capsys)
    moved = run(capsys, "audit", "programme", "move", "2", "--on", "2027-02-02", "--as", "grenaud")
    assert moved.code == 1 and "only a draft may be edited" in moved.err
    denied = run(capsys, "audit", "programme", "plan", "--cycle", "2028", "--as", "sroux")
    assert denied.code == 1
    assert "may not plan the audit programme: it needs the role quality_manager" in denied.err


def test_coverage_says_which_audits_are_late_and_exits_1(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    year = datetime.now(UTC).year
    last_year, next_year = str(year - 1), str(year + 1)
    for cycle in (last_year, next_year):
        ok(capsys, "audit", "programme", "plan", "--cycle", cycle, "--as", "grenaud")
    on_time = ok(capsys, "audit", "programme", "coverage", "--cycle", next_year)
    assert f"every process is in the {next_year} programme and no audit is late" in on_time.out
    slipped = run(capsys, "audit", "programme", "coverage", "--cycle", last_year)
    assert slipped.code == 1
    assert slipped.err.startswith("21 audits are late: ")  # a whole year has passed
    assert f"planned {last_year}-" in slipped.err and "(not scheduled)" in slipped.err
    assert "LATE" in slipped.out
    shown = run(capsys, "audit", "programme", "coverage", "--cycle", last_year, "--format", "json")
    rows = json.loads(shown.out)
    assert shown.code == 1 and sum(row["late"] for row in rows) == 21
    audits = [audit for row in rows for audit in row["audits"]]
    assert {audit["status"] for audit in audits} == {"LATE"} and all(a["late"] for a in audits)
