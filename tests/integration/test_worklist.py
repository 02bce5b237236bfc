"""The worklist: what needs one person now, on the example process map (SQLite and PostgreSQL).

Émilie Benoit (ebenoit) pilots TRN-04 and helps on TRN-01; Gaëlle Renaud (grenaud) helps
on TRN-04; Camille Fontaine (cfontaine) owns the actions; Linh Nguyen (lnguyen) is only a
contributor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import ValidationError
from qms.models import AuditFinding
from qms.services import shared, worklist
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import findings as audits_findings
from qms.services.audits import programme
from qms.services.audits import service as audits
from qms.services.capa import actions, nonconformities, register
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from qms.services.worklist import Item, Worklist
from tests.factories import ROOT, load_example, services_for

PILOT, CORRESPONDENT, OWNER, QM, NOBODY = "ebenoit", "grenaud", "cfontaine", "tbrunet", "lnguyen"
NC = NewNonconformity(
    title="Grades published late", process="TRN-04", source="complaint", reference="CPL-7"
)
ACTION = NewAction(
    title="Publish grades within 15 days",
    process="TRN-04",
    owner=OWNER,
    due_date=date(2026, 12, 1),
    kind="corrective",
)
ANALYSIS = {
    "root_cause": "No deadline",
    "cause_category": "method",
    "similar_nonconformities": "none",
    "corrective_action_needed": "yes",
}
PLAN = {
    "action_plan": "Add a 15-day publication deadline to the grading procedure",
    "action_owner": OWNER,
    "action_due_date": "2026-12-20",
    "effectiveness_criteria": "Every grade published within 15 days next term",
    "effectiveness_check_date": "2027-02-15",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC))


@pytest.fixture
def app(database: Database, clock: FixedClock) -> Services:
    load_example(database)
    return services_for(database, clock)  # type: ignore[no-any-return]


@pytest.fixture
def measured(app: Services) -> Services:
    """The example institution with its indicators, none of their values recorded."""
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    return app


def _of(found: Worklist, kind: str) -> list[Item]:
    return [item for item in found.items if item.kind == kind]


def _fire(
    app: Services, kind: str, record_id: int, trigger: str, actor: str, **inputs: str
) -> None:
    shared.fire(app.database, app.engine, kind, record_id, trigger, actor, inputs)


def test_a_pilots_overdue_action_comes_first_with_its_days_late(
    app: Services, clock: FixedClock
) -> None:
    later = actions.new(app, PILOT, replace(ACTION, title="Later", due_date=date(2026, 12, 20)))
    late = actions.new(app, PILOT, ACTION)
    nc = nonconformities.new(app, PILOT, NC)
    clock.advance(timedelta(days=10))  # 2026-12-05: the action due on 2026-12-01 is 4 days late
    found = worklist.for_person(app, PILOT)
    assert found.processes == ["TRN-01", "TRN-04"]
    assert found.items[0] == Item(
        kind="improvement_action",
        record_id=late.id,
        title="Publish grades within 15 days",
        process="TRN-04",
        why="to approve",
        state="proposed",
        due=date(2026, 12, 1),
        days_late=4,
        link=f"/records/improvement_action/{late.id}",
    )
    assert [(i.kind, i.record_id, i.days_late) for i in found.items] == [
        ("improvement_action", late.id, 4),
        ("improvement_action", later.id, 0),  # due 2026-12-20
        ("nonconformity", nc.id, 0),  # no corrective action yet: no due date, last
    ]
    assert worklist.for_person(app, PILOT, date(2026, 11, 25)).items[0].days_late == 0


def test_an_owner_sees_their_action_once_the_next_step_is_theirs(app: Services) -> None:
    action = actions.new(app, PILOT, replace(ACTION, kind="improvement"))
    assert worklist.for_person(app, OWNER).items == []  # proposed: the pilot approves it
    _fire(app, "improvement_action", action.id, "approve", PILOT)
    [item] = worklist.for_person(app, OWNER).items
    assert (item.record_id, item.process, item.why) == (action.id, "TRN-04", "to start")
    assert worklist.for_person(app, OWNER).processes == ["ECO-01"]  # where they help, not TRN-04
    _fire(app, "improvement_action", action.id, "start", OWNER)
    assert [i.why for i in worklist.for_person(app, OWNER).items] == ["to implement"]


def test_a_nonconformity_in_each_open_state_says_what_it_waits_for(
    app: Services, clock: FixedClock
) -> None:
    steps = [
        ("contain", {"containment": "grades sent by hand"}),
        ("analyse", ANALYSIS),
        ("plan_action", PLAN),
        ("implement", {"implementation_notes": "Procedure updated"}),
    ]
    ids = []
    for count in range(len(steps) + 2):
        nc = nonconformities.new(app, PILOT, replace(NC, title=f"Case {count}"))
        for trigger, inputs in steps[:count]:
            if trigger == "implement":  # only once its corrective action is done
                _carry_out(app, nc.id)
            nonconformities.fire(app, nc.id, trigger, PILOT, inputs)
        ids.append(nc.id)
    clock.advance(timedelta(days=90))  # 2027-02-23: past the effectiveness check date
    _check_effective(app, ids[-1])
    today = date(2027, 2, 23)
    expected = [
        ("detected", "to contain", None),
        ("contained", "to analyse", None),
        ("analysed", "to plan its corrective action", None),
        ("action_planned", "to implement", date(2026, 12, 20)),  # its action's due date
        ("implemented", "effectiveness to check", date(2027, 2, 15)),  # its check date
        ("effectiveness_verified", "to close", None),
    ]
    for person in (PILOT, CORRESPONDENT):  # the correspondent sees the same
        found = _of(worklist.for_person(app, person, today), "nonconformity")
        found.sort(key=lambda item: item.record_id or 0)
        assert [i.record_id for i in found] == ids
        assert [(i.state, i.why, i.due) for i in found] == expected
        assert [i.days_late for i in found] == [0, 0, 0, 65, 8, 0]


def _carry_out(app: Services, nc_id: int) -> None:
    """The nonconformity's planned corrective action, approved, started and done."""
    with app.database.reading() as session:
        [action] = register.actions_of(session, nc_id)
    _fire(app, "improvement_action", action.id, "approve", PILOT)
    _fire(app, "improvement_action", action.id, "start", OWNER)
    _fire(app, "improvement_action", action.id, "complete", OWNER, work_done="Deadline added")


def _check_effective(app: Services, nc_id: int) -> None:
    with app.database.reading() as session:
        [action] = register.actions_of(session, nc_id)
    _fire(app, "improvement_action", action.id, "check_effectiveness", PILOT)
    evidence = {"effectiveness_result": "effective", "effectiveness_evidence": "All on time"}
    _fire(app, "improvement_action", action.id, "close", PILOT, **evidence)
    nonconformities.fire(app, nc_id, "check_effectiveness", PILOT, evidence)


def _nonconformity_finding(app: Services) -> AuditFinding:
    """A major nonconformity found by an audit of TRN-04, with its nonconformity and action."""
    programme.plan(app, "cvidal", 2027)
    programme.fire(app, 2027, "approve", "hmarchal", {"approval_note": "granted"})
    programme.fire(app, 2027, "put_in_effect", QM)
    details = {"scope": "Admissions", "criteria": "ISO 9001 8.5.1", "objectives": "Check"}
    plan = audits.AuditPlan(process="TRN-04", cycle=2027, lead="jcarre", details=details)
    audit_id = audits.plan(app, "cvidal", plan).id
    audits.fire(app, audit_id, "issue_plan", "jcarre", {"audit_plan": "one day"})
    audits.fire(app, audit_id, "start", "jcarre", {"started_on": "2027-03-03"})
    audits_checklist.create(app, "cvidal", audit_id)
    item = audits_checklist.answer(app, "jcarre", audit_id, 1, "not_conform", "3 of 5")
    spec = audits_findings.NewFinding(
        audit_id, "major_nonconformity", "Exams unmarked", "8.5.1", "3 of 5", checklist_item=item.id
    )
    return audits_findings.add(app, "jcarre", spec)


def test_a_correspondent_follows_the_findings_of_their_process(app: Services) -> None:
    finding = _nonconformity_finding(app)
    nc_id, action_id = finding.nonconformity_id, finding.action_id
    assert nc_id is not None and action_id is not None
    [item] = _of(worklist.for_person(app, CORRESPONDENT), "finding")
    assert item == Item(
        kind="finding",
        record_id=finding.id,
        title="Exams unmarked",
        process="TRN-04",
        why=f"finding to follow: nonconformity #{nc_id} not closed",
        state="recorded",
        due=date(2026, 12, 25),  # the corrective action's, 30 days for a major one
        days_late=0,
        link=f"/records/audit_finding/{finding.id}",
    )
    assert _of(worklist.for_person(app, PILOT), "finding") == []  # the pilot acts on the records
    _fire(app, "improvement_action", action_id, "reject", PILOT, rejection_reason="duplicate")
    _fire(app, "nonconformity", nc_id, "cancel", QM, cancellation_reason="recorded twice")
    assert _of(worklist.for_person(app, CORRESPONDENT), "finding") == []


def test_someone_with_no_role_has_an_empty_list(app: Services) -> None:
    actions.new(app, PILOT, ACTION)
    nonconformities.new(app, PILOT, NC)
    found = worklist.for_person(app, NOBODY)
    assert (found.processes, found.items) == ([], [])
    assert set(found.counts().values()) == {0}
    with pytest.raises(ValidationError, match="unknown person 'jdoe'"):
        worklist.for_person(app, "jdoe")


def test_a_measurement_due_appears_until_its_value_is_recorded(measured: Services) -> None:
    title = "TRN-04-GRADES Grades published on time, 2026-09"
    [due] = [
        i for i in _of(worklist.for_person(measured, PILOT), "measurement") if i.title == title
    ]
    assert due == Item(
        kind="measurement",
        record_id=None,
        title=title,
        process="TRN-04",
        why="value due for 2026-09",
        state="",
        due=date(2026, 10, 30),  # 30 days after the end of the period
        days_late=26,
        link="/indicators/TRN-04-GRADES",
    )
    indicators.record(measured, PILOT, "TRN-04-GRADES", "2026-09", "97")
    assert due not in worklist.for_person(measured, PILOT).items


def test_values_off_target_and_breaches_to_decide(measured: Services) -> None:
    indicators.record(measured, PILOT, "TRN-04-GRADES", "2026-09", "88")  # target 95, alert 85
    [watch] = _of(worklist.for_person(measured, PILOT), "off_target")
    assert (watch.title, watch.why, watch.state, watch.due) == (
        "TRN-04-GRADES Grades published on time, 2026-09",
        "off target: 88 % (target 95 %)",
        "",
        None,
    )
    assert watch.record_id is not None and watch.link == "/indicators/TRN-04-GRADES"
    indicators.record(measured, PILOT, "TRN-04-GRADES", "2026-10", "79")  # past the alert
    found = worklist.for_person(measured, PILOT)
    [breach] = _of(found, "breach")
    assert (breach.title, breach.why, breach.state) == (
        "TRN-04-GRADES Grades published on time, 2026-10",
        "breach proposal to decide",
        "open",
    )
    assert _of(found, "off_target") == []  # the breach says it once
    [seen] = _of(worklist.for_person(measured, CORRESPONDENT), "breach")
    assert seen.why == "breach proposal for the pilot to decide"
    assert breach.record_id is not None
    indicators_breaches.dismiss(measured, breach.record_id, PILOT, "exam board strike")
    found = worklist.for_person(measured, PILOT)
    assert _of(found, "breach") == []
    assert [i.why for i in _of(found, "off_target")] == [
        "past its alert threshold: 79 % (alert 85 %)"
    ]


def test_counts_add_up_the_items_of_each_kind(measured: Services) -> None:
    actions.new(measured, PILOT, ACTION)
    actions.new(measured, PILOT, replace(ACTION, process="TRN-01", owner="apicard"))
    nonconformities.new(measured, PILOT, NC)
    indicators.record(measured, PILOT, "TRN-04-GRADES", "2026-10", "79")
    found = worklist.for_person(measured, PILOT)
    counts, counted = found.counts(), Counter(i.kind for i in found.items)
    assert list(counts) == list(worklist.KINDS)  # every kind, for the home page's badges
    assert counts == {kind: counted[kind] for kind in worklist.KINDS}
    assert (counts["improvement_action"], counts["nonconformity"], counts["breach"]) == (2, 1, 1)
    assert counts["measurement"] > 0 and counts["finding"] == 0
    assert sum(counts.values()) == len(found.items)


def test_the_number_of_queries_does_not_grow_with_the_records(measured: Services) -> None:
    def queries() -> int:
        seen: list[str] = []
        engine = measured.database.engine
        listen = event.listens_for(engine, "before_cursor_execute")(
            lambda *args: seen.append(args[2])
        )
        worklist.for_person(measured, PILOT)
        event.remove(engine, "before_cursor_execute", listen)
        return len(seen)

    actions.new(measured, PILOT, ACTION)
    nonconformities.new(measured, PILOT, NC)
    indicators.record(measured, PILOT, "TRN-04-GRADES", "2026-09", "88")
    few = queries()
    assert few <= 12  # the person, roles, processes, names, then one or two a kind
    for count in range(5):
        actions.new(measured, PILOT, replace(ACTION, title=f"Action {count}"))
        nonconformities.new(measured, PILOT, replace(NC, title=f"Case {count}"))
    indicators.record(measured, PILOT, "TRN-04-COMPLAINTS", "2026-09", "40")
    assert queries() == few
