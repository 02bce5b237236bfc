"""The rules an auditor checks (clause 9.2.2, ISO 19011 6.4.7 and 6.4.8), on SQLite and
PostgreSQL: no report while a checklist question is open, a nonconformity finding rests on a
question answered not conform, no audit after its process retires, and the programme's
slippage (late audits) in its coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from qms.clock import FixedClock
from qms.db import Database
from qms.errors import GuardFailed, ValidationError
from qms.models import InternalAudit, Process, ReportRevision
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import coverage as audits_coverage
from qms.services.audits import findings as audits_findings
from qms.services.audits import programme
from qms.services.audits import queries as audits_queries
from qms.services.audits import report as audits_report
from qms.services.audits import service as audits
from qms.services.audits.common import programme_of
from tests.factories import ROOT, load_example, snapshot

CYCLE = 2027


@pytest.fixture
def app(database: Database):  # type: ignore[no-untyped-def]
    from qms.bootstrap import bootstrap
    from qms.config import load_settings

    load_example(database)
    settings = load_settings(database_url=database.url, workflows_dir=ROOT / "workflows")
    return bootstrap(settings, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)), database)


def approved_programme(app) -> None:  # type: ignore[no-untyped-def]
    programme.plan(app, "cvidal", CYCLE)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, CYCLE, "put_in_effect", "tbrunet")


def running_audit(app, process: str = "TRN-04") -> int:  # type: ignore[no-untyped-def]
    spec = audits.AuditPlan(
        process=process,
        cycle=CYCLE,
        lead="jcarre",
        details={"scope": "Exams 2026", "criteria": "ISO 9001 8.5.1", "objectives": "Check"},
    )
    record = audits.plan(app, "cvidal", spec)
    audits.fire(app, record.id, "issue_plan", "jcarre", {"audit_plan": "one day"})
    audits.fire(app, record.id, "start", "jcarre", {"started_on": "2027-03-03"})
    audits_checklist.create(app, "cvidal", record.id)
    return record.id


def items(app, audit_id: int) -> list[audits_queries.ItemRow]:  # type: ignore[no-untyped-def]
    with app.database.reading() as session:
        return audits_queries.checklist_rows(session, audit_id)


def answer(app, audit_id: int, position: int, value: str = "conform") -> int:  # type: ignore[no-untyped-def]
    return audits_checklist.answer(app, "jcarre", audit_id, position, value, "seen").id


def draft(app, audit_id: int) -> None:  # type: ignore[no-untyped-def]
    audits.fire(
        app,
        audit_id,
        "draft_report",
        "jcarre",
        {"conclusions": "Effective", "criteria_fulfilment": "Largely met"},
    )


def test_a_report_is_issued_only_once_every_question_is_answered(app) -> None:  # type: ignore[no-untyped-def]
    approved_programme(app)
    audit_id = running_audit(app)
    questions = items(app, audit_id)
    for row in questions[2:]:
        answer(app, audit_id, row.position)
    draft(app, audit_id)
    before = snapshot(app.database)
    with pytest.raises(GuardFailed) as refused:
        audits.fire(app, audit_id, "issue_report", "tbrunet")
    message = str(refused.value)
    assert "2 checklist questions are not answered" in message
    first, second = questions[0], questions[1]
    assert f"{first.position} ({first.clause}) {first.question[:30]}" in message
    assert f"{second.position} ({second.clause})" in message
    assert "clause 9.2.2" in message and "ISO 19011 6.4.7" in message
    assert snapshot(app.database) == before  # no revision frozen, no e-mail queued
    audits.fire(app, audit_id, "return_draft", "tbrunet", {"return_reason": "questions 1, 2"})
    answer(app, audit_id, first.position)
    audits_checklist.answer(
        app, "jcarre", audit_id, second.position, "not_applicable", "", "No jury"
    )
    draft(app, audit_id)
    audits.fire(app, audit_id, "issue_report", "tbrunet")
    with app.database.reading() as session:
        issued = session.scalars(select(ReportRevision)).one()
    assert "Not applicable: No jury" in issued.html


def test_a_nonconformity_finding_rests_on_a_question_answered_not_conform(app) -> None:  # type: ignore[no-untyped-def]
    approved_programme(app)
    audit_id = running_audit(app)
    other_audit = running_audit(app, "STE-02")
    failed = answer(app, audit_id, 4, "not_conform")
    passed = answer(app, audit_id, 5)
    elsewhere = answer(app, other_audit, 4, "not_conform")
    unanswered = items(app, audit_id)[0].id

    def finding(**link: object) -> audits_findings.NewFinding:
        return audits_findings.NewFinding(
            audit_id,
            "minor_nonconformity",
            "Gap",
            "8.5.1",
            "3 of 5 exams",
            **link,  # type: ignore[arg-type]
        )

    before = snapshot(app.database)
    for link, message in (
        ({}, "item: a nonconformity finding names the checklist item answered not_conform"),
        ({"checklist_item": passed}, r"question 5, .*\) is answered conform"),
        ({"checklist_item": unanswered}, r"question 1, .*\) is not answered"),
        ({"checklist_item": elsewhere}, f"is question 4 of internal_audit #{other_audit}, not of"),
        ({"checklist_item": 9999}, "there is no checklist item #9999"),
        ({"checklist_item": failed, "outside_checklist": "Seen"}, "not both"),
    ):
        with pytest.raises(ValidationError, match=message):
            audits_findings.add(app, "jcarre", finding(**link))
    assert snapshot(app.database) == before  # no finding, nonconformity nor action written
    linked = audits_findings.add(app, "jcarre", finding(checklist_item=failed))
    outside = audits_findings.add(
        app, "jcarre", finding(outside_checklist="Seen in the canteen, not a checklist topic")
    )
    observation = audits_findings.NewFinding(audit_id, "observation", "Late", "7.5", "seen")
    audits_findings.add(app, "jcarre", observation)  # not a nonconformity: no link needed
    assert linked.nonconformity_id is not None and outside.nonconformity_id is not None
    with app.database.reading() as session:
        rows = {r.id: r for r in audits_queries.finding_rows(session, audit_id)}
        html = audits_report.html(app, session, audits.audit(session, audit_id), None)
    assert rows[linked.id].checklist_item_id == failed
    question = items(app, audit_id)[3]
    assert f"question 4 ({question.clause}): {question.question}" in html.replace("&#39;", "'")
    assert "Outside the checklist" in html and "Seen in the canteen" in html


def test_no_audit_is_placed_on_or_after_its_process_retires(app) -> None:  # type: ignore[no-untyped-def]
    with app.database.unit_of_work() as uow:  # the process map retires STE-02 mid-cycle
        uow.session.scalars(
            select(Process).where(Process.code == "STE-02")
        ).one().retired_on = date(2027, 5, 3)
        uow.commit()
    programme.plan(app, "cvidal", CYCLE)
    with app.database.reading() as session:
        entries = audits_queries.entries(session, programme_of(session, CYCLE))
    ste = [e for e in entries if e.process == "STE-02"]
    assert ste and all(e.planned_on < date(2027, 5, 3) for e in ste)
    before = snapshot(app.database)
    with pytest.raises(
        ValidationError, match=r"on: STE-02 \(.*\) is retired as of 2027-05-03: an audit on"
    ):
        programme.add_entry(app, "cvidal", CYCLE, "STE-02", date(2027, 6, 8), None)
    with pytest.raises(ValidationError, match="is retired as of 2027-05-03"):
        programme.edit_entry(app, "cvidal", ste[0].id, date(2027, 5, 3), None)
    assert snapshot(app.database) == before
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "granted"})
    late = audits.AuditPlan(process="STE-02", cycle=CYCLE, start=date(2027, 6, 1))
    with pytest.raises(ValidationError, match=r"start: STE-02 .* is retired as of 2027-05-03"):
        audits.plan(app, "cvidal", late)
    on_time = audits.plan(app, "cvidal", audits.AuditPlan(process="STE-02", cycle=CYCLE))
    assert on_time.planned_start == ste[0].planned_on  # before it retires: scheduled


def test_an_entry_after_its_process_retired_is_shown_and_not_counted(app) -> None:  # type: ignore[no-untyped-def]
    programme.plan(app, "cvidal", CYCLE)
    with app.database.unit_of_work() as uow:  # the map retires RSC-04 after the programme
        rsc = uow.session.scalars(select(Process).where(Process.code == "RSC-04")).one()
        rsc.retired_on = date(2027, 1, 1)
        uow.commit()
    with app.database.reading() as session:
        found = audits_coverage.status(session, CYCLE, date(2026, 11, 25))
    (row,) = [p for p in found.processes if p.process == "RSC-04"]
    assert row.planned == 0 and row.status == "retired on 2027-01-01"
    assert {a.status for a in row.audits} == {"process retired on 2027-01-01"}
    assert "RSC-04" not in found.not_covered  # retired at the cycle's start: nothing to cover
    assert found.counts()["planned"] == len(found.audits) - len(row.audits)


def test_coverage_counts_planned_started_done_and_late_audits(app) -> None:  # type: ignore[no-untyped-def]
    approved_programme(app)
    with app.database.reading() as session:
        entries = audits_queries.entries(session, programme_of(session, CYCLE))
    started = running_audit(app)  # TRN-04's first entry, started
    trn = next(e for e in entries if e.process == "TRN-04")
    day = trn.planned_on.replace(day=1)  # its month has not passed yet
    with app.database.reading() as session:
        on_time = audits_coverage.status(session, CYCLE, day)
        at_year_end = audits_coverage.status(session, CYCLE, date(2028, 1, 2))
    assert {a.entry.id for a in on_time.late} == {e.id for e in entries if e.planned_on < day}
    late = at_year_end.late
    assert late and all(a.entry.audit_id is None for a in late)  # the started one is not late
    assert len(late) == len(entries) - 1
    (trn_row,) = [p for p in at_year_end.processes if p.process == "TRN-04"]
    assert (trn_row.planned, trn_row.started, trn_row.done, trn_row.late) == (2, 1, 0, 1)
    assert trn_row.status == "LATE"
    sentence = at_year_end.late_sentence()
    assert sentence.startswith(f"{len(late)} audits are late: ")
    assert f"internal_audit #{started}" not in sentence
    with app.database.reading() as session:  # the review's view, from the audits' states
        states = dict(session.execute(select(InternalAudit.id, InternalAudit.state)).all())
    assert at_year_end.as_of(states) == at_year_end
    assert f"{late[0].entry.process} planned {late[0].entry.planned_on} (not scheduled)" in sentence
