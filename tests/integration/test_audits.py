"""Internal audits on SQLite and PostgreSQL: programme, impartiality, findings, reports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from qms.clock import FixedClock
from qms.db import Database
from qms.errors import PermissionDenied, ValidationError
from qms.models import (
    AuditFinding,
    HistoryEntry,
    ImprovementAction,
    Nonconformity,
    OutboxMessage,
    ReportRevision,
)
from qms.services import shared
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import coverage as audits_coverage
from qms.services.audits import findings as audits_findings
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import report as audits_report
from qms.services.audits import service as audits
from qms.services.audits import team as audits_team
from qms.services.audits.common import programme_of
from tests.factories import ROOT, load_example, snapshot

CYCLE = 2027
SECTIONS = (
    "Audit objectives",
    "Audit scope",
    "Auditee and audit client",
    "Audit team",
    "Dates and places",
    "Audit criteria",
    "Findings with their evidence",
    "Audit conclusions",
    "Degree to which the audit criteria are fulfilled",
    "Unresolved diverging opinions",
    "Impartiality exceptions",
    "Sampling",
)


def example_closed_periods() -> str:
    """The example school's holidays, from its own settings file (the default is none)."""
    from dotenv import dotenv_values

    return str(dotenv_values(ROOT / "workflows" / "example.env")["QMS_AUDIT_CLOSED_PERIODS"])


@pytest.fixture
def app(database: Database):  # type: ignore[no-untyped-def]
    from qms.bootstrap import bootstrap
    from qms.config import load_settings

    load_example(database)
    settings = load_settings(
        database_url=database.url,
        workflows_dir=ROOT / "workflows",
        audit_closed_periods=example_closed_periods(),
    )
    return bootstrap(settings, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)), database)


def approved_programme(app) -> None:  # type: ignore[no-untyped-def]
    programme.plan(app, "cvidal", CYCLE)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, CYCLE, "put_in_effect", "tbrunet")


def running_audit(app) -> int:  # type: ignore[no-untyped-def]
    approved_programme(app)
    spec = audits.AuditPlan(
        process="TRN-04",
        cycle=CYCLE,
        lead="jcarre",
        details={"scope": "Admissions 2026", "criteria": "ISO 9001 8.5.1", "objectives": "Check"},
    )
    record = audits.plan(app, "cvidal", spec)
    audits.fire(app, record.id, "issue_plan", "jcarre", {"audit_plan": "one day"})
    audits.fire(app, record.id, "start", "jcarre", {"started_on": "2027-03-03"})
    return record.id


def test_the_programme_covers_every_process_and_spares_closed_periods(app) -> None:  # type: ignore[no-untyped-def]
    programme.plan(app, "grenaud", CYCLE)
    with app.database.reading() as session:
        rows = audits_coverage.status(session, CYCLE, date(2026, 11, 25)).processes
        entries = audits_queries.entries(session, programme_of(session, CYCLE))
    assert len(rows) == 18 and all(r.planned >= 1 for r in rows)
    assert {r.process for r in rows if r.planned == 2} >= {"TRN-04", "STE-02"}
    assert all(e.planned_on.month != 8 and e.planned_on.weekday() < 5 for e in entries)
    for entry in entries:  # no proposed lead has a role on the process they audit
        assert entry.lead_auditor is not None


def test_a_process_with_a_major_nonconformity_last_cycle_is_audited_early(app) -> None:  # type: ignore[no-untyped-def]
    from qms.services.capa import nonconformities

    spec = nonconformities.NewNonconformity(
        title="Lost exam papers", process="RSC-03", severity="major", detected_on=date(2026, 3, 2)
    )
    nonconformities.new(app, "mbenali", spec)
    programme.plan(app, "cvidal", CYCLE)
    with app.database.reading() as session:
        entries = audits_queries.entries(session, programme_of(session, CYCLE))
    first = min(e.planned_on for e in entries if e.process == "RSC-03")
    reason = next(e.reason for e in entries if e.process == "RSC-03")
    assert first < date(2027, 7, 1)
    assert "major nonconformity" in reason and "within 6 months" in reason


def test_only_a_draft_programme_is_edited(app) -> None:  # type: ignore[no-untyped-def]
    programme.plan(app, "cvidal", CYCLE)
    with app.database.reading() as session:
        entry = audits_queries.entries(session, programme_of(session, CYCLE))[0]
    moved = programme.edit_entry(app, "cvidal", entry.id, date(2027, 2, 2), None)
    assert moved.planned_on == date(2027, 2, 2)
    with pytest.raises(ValidationError, match=r"closed period \(07-14\.\.08-31\)"):
        programme.edit_entry(app, "cvidal", entry.id, date(2027, 8, 2), None)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "ok"})
    with pytest.raises(ValidationError, match="only a draft"):
        programme.edit_entry(app, "cvidal", entry.id, date(2027, 2, 3), None)


def test_a_process_pilot_is_refused_as_auditor_naming_the_clause(app) -> None:  # type: ignore[no-untyped-def]
    approved_programme(app)
    record = audits.plan(app, "cvidal", audits.AuditPlan(process="TRN-02", cycle=CYCLE))
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=r"mleclerc\) is pilot of TRN-02.*clause 9\.2\.2 c"):
        audits_team.assign(app, "cvidal", record.id, "mleclerc", "lead_auditor")
    assert snapshot(app.database) == before


def test_an_exception_needs_a_quality_manager_and_is_in_the_trail_and_report(app) -> None:  # type: ignore[no-untyped-def]
    approved_programme(app)
    record = audits.plan(app, "cvidal", audits.AuditPlan(process="TRN-04", cycle=CYCLE))
    with pytest.raises(PermissionDenied, match="not a quality manager"):
        audits_team.approve_exception(app, "cvidal", record.id, "grenaud", "x" * 30)
    with pytest.raises(ValidationError, match="justification"):
        audits_team.approve_exception(app, "tbrunet", record.id, "grenaud", "short")
    audits_team.approve_exception(app, "tbrunet", record.id, "grenaud", "The only trained auditor")
    audits_team.assign(app, "cvidal", record.id, "grenaud")
    with app.database.reading() as session:
        events = session.scalars(
            select(HistoryEntry.trigger)
            .where(HistoryEntry.record_id == record.id)
            .where(HistoryEntry.record_kind == "internal_audit")
        ).all()
        html = audits_report.html(app, session, audits.audit(session, record.id), None)
    assert "approve_impartiality_exception" in events and "assign_auditor" in events
    assert "The only trained auditor" in html and "correspondent" in html


def not_conform(app, audit_id: int, position: int) -> int:  # type: ignore[no-untyped-def]
    """Answer question ``position`` not conform (making the checklist first); its item's id."""
    with app.database.reading() as session:
        made = bool(audits_queries.checklist_rows(session, audit_id))
    if not made:
        audits_checklist.create(app, "cvidal", audit_id)
    item = audits_checklist.answer(app, "jcarre", audit_id, position, "not_conform", "3 of 5")
    return item.id


def answer_the_rest(app, audit_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.database.reading() as session:
        rows = audits_queries.checklist_rows(session, audit_id)
    for row in rows:
        if row.answer is None:
            audits_checklist.answer(app, "jcarre", audit_id, row.position, "conform", "seen")


def test_a_nonconformity_finding_raises_a_nonconformity_and_a_corrective_action(app) -> None:  # type: ignore[no-untyped-def]
    audit_id = running_audit(app)
    for position, (grade, days) in enumerate((("major", 30), ("minor", 90)), start=1):
        spec = audits_findings.NewFinding(
            audit_id,
            f"{grade}_nonconformity",
            f"{grade} gap",
            "8.5.1",
            "3 of 5 exams",
            checklist_item=not_conform(app, audit_id, position),
        )
        finding = audits_findings.add(app, "jcarre", spec)
        with app.database.reading() as session:
            nc = session.get(Nonconformity, finding.nonconformity_id)
            action = session.get(ImprovementAction, finding.action_id)
            assert nc is not None and action is not None
            assert nc.severity == grade and nc.source == "internal_audit"
            assert nc.data["reference"] == finding.reference
            assert action.nonconformity_id == nc.id and action.kind == "corrective"
            assert (
                (action.due_date - date(2026, 11, 25)).days
                == days
                == (nc.action_due_date - date(2026, 11, 25)).days
            )
            assert action.owner is not None and action.owner.handle == "ebenoit"


def test_a_finding_of_an_unknown_type_writes_nothing(app) -> None:  # type: ignore[no-untyped-def]
    audit_id = running_audit(app)
    before = snapshot(app.database)
    spec = audits_findings.NewFinding(audit_id, "catastrophe", "x", "8.5", "seen")
    with pytest.raises(ValidationError, match="type: 'catastrophe' is not one of"):
        audits_findings.add(app, "jcarre", spec)
    assert snapshot(app.database) == before


def issue(app, audit_id: int) -> None:  # type: ignore[no-untyped-def]
    audits.fire(
        app,
        audit_id,
        "draft_report",
        "jcarre",
        {"conclusions": "Effective", "criteria_fulfilment": "Largely met"},
    )
    audits.fire(app, audit_id, "issue_report", "tbrunet")


def test_an_issued_report_is_frozen_queued_by_email_and_revised_on_change(app) -> None:  # type: ignore[no-untyped-def]
    audit_id = running_audit(app)
    spec = audits_findings.NewFinding(
        audit_id, "observation", "<script>alert(1)</script>", "7.5", "seen <b>here</b>"
    )
    finding = audits_findings.add(app, "jcarre", spec)
    issue(app, audit_id)
    with app.database.reading() as session:
        first = audits_report.stored(session, audit_id)
        mail = session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == "email.audit_report")
        ).one()
    assert first is not None and first.revision == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in first.html and "<script>" not in first.html
    assert 'font-family: "DejaVu Sans"' in first.html  # the stylesheet itself is not escaped
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(first.pdf)).pages)
    flat = " ".join(text.split())
    for section in SECTIONS:
        assert section in flat, section
    handles = {r["handle"] for r in mail.payload["to"]}
    assert handles == {"ebenoit", "hmarchal", "pdelorme", "ngarnier"}
    assert mail.payload["reference"] == "internal_audit #1" and "subject" in mail.payload
    with pytest.raises(ValidationError, match="nothing changed since revision 1"):
        audits_report.revise(app, "tbrunet", audit_id, "again")
    shared.fire(
        app.database,
        app.engine,
        "audit_finding",
        finding.id,
        "dispute",
        "ebenoit",
        {"dispute_reason": "Not ours"},
    )
    second = audits_report.revise(app, "tbrunet", audit_id, "the pilot disputes a finding")
    with app.database.reading() as session:
        kept = audits_report.stored(session, audit_id, 1)
        count = len(session.scalars(select(ReportRevision)).all())
    assert second.revision == 2 and count == 2
    assert kept is not None and kept.html_sha256 == first.html_sha256 == (
        __import__("hashlib").sha256(kept.html.encode()).hexdigest()
    )
    assert "Not ours" in second.html


def test_open_findings_of_the_previous_audit_are_carried_into_the_next(app) -> None:  # type: ignore[no-untyped-def]
    audit_id = running_audit(app)
    item = not_conform(app, audit_id, 3)
    spec = audits_findings.NewFinding(
        audit_id, "minor_nonconformity", "Old gap", "8.7", "seen", checklist_item=item
    )
    audits_findings.add(app, "jcarre", spec)
    answer_the_rest(app, audit_id)
    issue(app, audit_id)
    again = audits.plan(app, "cvidal", audits.AuditPlan(process="TRN-04", cycle=CYCLE))
    assert audits_checklist.create(app, "cvidal", again.id, copy_previous=True) == 10
    with app.database.reading() as session:
        record = audits.audit(session, again.id)
        carried = audits_queries.carried_over(session, record)
        html = audits_report.html(app, session, record, None)
    assert [f.title for f in carried] == ["Old gap"]
    assert "Old gap" in html and record.previous_audit_id == audit_id


def test_checklist_answers_need_evidence_and_a_known_answer(app) -> None:  # type: ignore[no-untyped-def]
    audit_id = running_audit(app)
    audits_checklist.create(app, "cvidal", audit_id)
    with pytest.raises(ValidationError, match="evidence"):
        audits_checklist.answer(app, "jcarre", audit_id, 1, "conform", " ")
    with pytest.raises(ValidationError, match="answer: 'yes' is not one of"):
        audits_checklist.answer(app, "jcarre", audit_id, 1, "yes", "seen")
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=r"reason: say why the question does not apply"):
        audits_checklist.answer(app, "jcarre", audit_id, 1, "not_applicable", "", "  ")
    with pytest.raises(ValidationError, match="reason: a reason is given for not_applicable"):
        audits_checklist.answer(app, "jcarre", audit_id, 1, "conform", "seen", "No juries")
    assert snapshot(app.database) == before
    audits_checklist.answer(app, "jcarre", audit_id, 1, "not_applicable", "", "No juries this year")
    with app.database.reading() as session:
        rows = audits_queries.checklist_rows(session, audit_id)
        findings = session.scalars(select(AuditFinding)).all()
    assert rows[0].answer == "not_applicable" and rows[0].answered_by == "jcarre"
    assert rows[0].reason == "No juries this year"
    assert findings == []
