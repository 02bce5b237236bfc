"""One register of actions (clause 10.2.1 c): a nonconformity's corrective actions are
action records; the rules an auditor checks on them (clauses 5.3, 10.2.1 d, 10.2.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import GuardFailed, PermissionDenied, ValidationError
from qms.models import (
    DutyException,
    HistoryEntry,
    ImprovementAction,
    Nonconformity,
    OutboxMessage,
    Process,
)
from qms.services import duties, shared
from qms.services.capa import actions, nonconformities, register, stats
from qms.services.capa import queries as capa_queries
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.workflow import trail
from qms.workflow.verify import verify
from tests.factories import load_example, services_for, snapshot
from tests.reminders import RecordingTransport, scheduler_for

PILOT, CORRESPONDENT, CONTRIBUTOR, QM = "ebenoit", "grenaud", "cfontaine", "tbrunet"
NC = NewNonconformity(
    title="Grades published late", process="TRN-04", source="complaint", reference="CPL-7"
)
ANALYSIS = {
    "root_cause": "No deadline",
    "cause_category": "method",
    "similar_nonconformities": "none",
    "corrective_action_needed": "yes",
}
PLAN = {
    "action_plan": "Add a 15-day publication deadline to the grading procedure",
    "action_owner": CONTRIBUTOR,
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


def _verified(session: Session, app: Services) -> bool:
    report = verify(session, app.engine.keys, app.engine.clock.now())
    assert report.problems == []
    return report.intact


def _analysed(app: Services) -> int:
    nc = nonconformities.new(app, PILOT, NC)
    nonconformities.fire(app, nc.id, "contain", PILOT, {"containment": "grades sent by hand"})
    nonconformities.fire(app, nc.id, "analyse", PILOT, ANALYSIS)
    return nc.id


def _fire(app: Services, action_id: int, trigger: str, actor: str, **inputs: str) -> HistoryEntry:
    return shared.fire(
        app.database, app.engine, "improvement_action", action_id, trigger, actor, inputs
    )


def _actions(app: Services, nc_id: int) -> list[ImprovementAction]:
    with app.database.reading() as session:
        return register.actions_of(session, nc_id)


def _nc(app: Services, nc_id: int) -> Nonconformity:
    with app.database.reading() as session:
        found = session.get(Nonconformity, nc_id)
        assert found is not None
        return found


def _done(app: Services, action_id: int) -> None:
    _fire(app, action_id, "approve", PILOT)
    _fire(app, action_id, "start", CONTRIBUTOR)
    _fire(app, action_id, "complete", CONTRIBUTOR, work_done="Deadline added to the procedure")


def _closed(app: Services, clock: FixedClock, action_id: int) -> None:
    _done(app, action_id)
    clock.advance(timedelta(days=90))  # past the check date
    _fire(app, action_id, "check_effectiveness", PILOT)
    _fire(
        app,
        action_id,
        "close",
        PILOT,
        effectiveness_result="effective",
        effectiveness_evidence="All 212 grades of the term published within 12 days",
    )


def test_plan_action_puts_the_corrective_action_in_the_register_once(app: Services) -> None:
    nc_id = _analysed(app)
    nonconformities.fire(app, nc_id, "plan_action", PILOT, PLAN)
    [action] = _actions(app, nc_id)
    assert (action.kind, action.origin, action.origin_ref) == (
        "corrective",
        "nonconformity",
        str(nc_id),
    )
    assert (action.owner_id, action.due_date, action.state) != (None, None, "")
    assert action.due_date == date(2026, 12, 20) and action.state == "proposed"
    assert action.effectiveness_criteria == PLAN["effectiveness_criteria"]
    assert _nc(app, nc_id).action_due_date == date(2026, 12, 20)  # from its open action
    with app.database.reading() as session:
        listed = capa_queries.actions(session, capa_queries.Filters(), date(2026, 11, 25))
        assert [r.id for r in listed] == [action.id]
        [figures] = stats.action_figures(session, date(2026, 11, 25))
        assert (figures.process, figures.open) == ("TRN-04", 1)
        created = trail.history_of(session, "improvement_action", action.id)[0]
        assert created.actor == PILOT and f"nonconformity #{nc_id}" in created.comment


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"action_due_date": "2026-11-24"},
            r"due date 2026-11-24 is in the past \(clause 10.2.1 c\)",
        ),
        (
            {"effectiveness_check_date": "2026-12-01"},
            r"check date 2026-12-01 is before the due date 2026-12-20.*clause 10.2.1 d",
        ),
        ({"action_owner": ""}, r"planned with action_owner too \(clause 10.2.1 c, d\)"),
    ],
)
def test_plan_action_refuses_dates_that_make_no_sense(
    app: Services, change: dict[str, str], message: str
) -> None:
    nc_id = _analysed(app)
    before = snapshot(app.database)
    with pytest.raises(GuardFailed, match=message):
        nonconformities.fire(app, nc_id, "plan_action", PILOT, {**PLAN, **change})
    assert snapshot(app.database) == before


def test_plan_action_without_a_plan_needs_an_action_on_the_register(app: Services) -> None:
    nc_id = _analysed(app)
    with pytest.raises(GuardFailed, match=r"a corrective action is needed \(clause 10.2.1 c\)"):
        nonconformities.fire(app, nc_id, "plan_action", PILOT, {})
    for title in ("Deadline in the procedure", "Reminder in the grading tool"):
        register.add_action(
            app,
            PILOT,
            nc_id,
            register.NewCorrectiveAction(
                title=title,
                owner=CONTRIBUTOR,
                due_date=date(2026, 12, 20),
                effectiveness_criteria="Grades within 15 days",
                effectiveness_check_date=date(2027, 2, 15),
            ),
        )
    nonconformities.fire(app, nc_id, "plan_action", PILOT, {})
    assert [a.title for a in _actions(app, nc_id)] == [
        "Deadline in the procedure",
        "Reminder in the grading tool",
    ]


def test_implemented_only_when_every_action_is_done(app: Services, clock: FixedClock) -> None:
    nc_id = _analysed(app)
    nonconformities.fire(app, nc_id, "plan_action", PILOT, PLAN)
    [action] = _actions(app, nc_id)
    done = {"implementation_notes": "Procedure updated"}
    with pytest.raises(
        GuardFailed,
        match=rf"not all done \(clause 10.2.1 c\): improvement_action #{action.id} .* is proposed",
    ):
        nonconformities.fire(app, nc_id, "implement", PILOT, done)
    _done(app, action.id)
    nonconformities.fire(app, nc_id, "implement", PILOT, done)
    assert _nc(app, nc_id).state == "implemented"
    assert _nc(app, nc_id).action_due_date is None  # no open action left


def test_effective_only_once_its_actions_were_found_effective(
    app: Services, clock: FixedClock
) -> None:
    nc_id = _analysed(app)
    nonconformities.fire(app, nc_id, "plan_action", PILOT, PLAN)
    [action] = _actions(app, nc_id)
    _done(app, action.id)
    nonconformities.fire(app, nc_id, "implement", PILOT, {"implementation_notes": "Done"})
    clock.advance(timedelta(days=90))
    check = {"effectiveness_result": "effective", "effectiveness_evidence": "Grades on time"}
    with pytest.raises(GuardFailed, match=r"each closed \(clause 10.2.1 d\).* is done"):
        nonconformities.fire(app, nc_id, "check_effectiveness", PILOT, check)
    _fire(app, action.id, "check_effectiveness", PILOT)
    _fire(
        app,
        action.id,
        "close",
        PILOT,
        effectiveness_result="effective",
        effectiveness_evidence="All grades within 12 days",
    )
    nonconformities.fire(app, nc_id, "check_effectiveness", PILOT, check)
    assert _nc(app, nc_id).state == "effectiveness_verified"


def test_the_owner_does_not_approve_or_judge_their_own_action(
    app: Services, clock: FixedClock
) -> None:
    owned = actions.new(
        app,
        PILOT,
        NewAction(
            title="Publish grades within 15 days",
            process="TRN-04",
            owner=PILOT,
            due_date=date(2026, 12, 20),
            kind="corrective",
            effectiveness_criteria="Grades within 15 days",
            effectiveness_check_date=date(2027, 1, 15),
        ),
    )
    with pytest.raises(
        PermissionDenied, match=r"they are its owner \(segregation of duties.*clause 5.3"
    ):
        _fire(app, owned.id, "approve", PILOT)
    with pytest.raises(PermissionDenied, match=r"may not grant an exception.*quality_manager"):
        duties.grant(app, CORRESPONDENT, "improvement_action", owned.id, "approve", PILOT, "alone")
    with pytest.raises(ValidationError, match="reason: is required"):
        duties.grant(app, QM, "improvement_action", owned.id, "approve", PILOT, "  ")
    with pytest.raises(ValidationError, match="is not owner of improvement_action"):
        duties.grant(app, QM, "improvement_action", owned.id, "approve", CORRESPONDENT, "why")
    granted = duties.grant(
        app, QM, "improvement_action", owned.id, "approve", PILOT, "Only person on the process"
    )
    entry = _fire(app, owned.id, "approve", PILOT)
    assert f"exception #{granted.id} of {QM}" in entry.comment
    with app.database.reading() as session:
        used = session.get(DutyException, granted.id)
        assert used is not None and used.used_by_history_id == entry.id
        events = [h.trigger for h in trail.history_of(session, "improvement_action", owned.id)]
        assert events == ["create", "exception", "approve"]
    _fire(app, owned.id, "start", PILOT)
    _fire(app, owned.id, "complete", PILOT, work_done="Deadline in the procedure")
    clock.advance(timedelta(days=60))
    with pytest.raises(PermissionDenied, match=r"may not fire 'check_effectiveness'.*its owner"):
        _fire(app, owned.id, "check_effectiveness", PILOT)  # the exception was for approve, once
    _fire(app, owned.id, "check_effectiveness", QM)
    with app.database.reading() as session:
        assert _verified(session, app)


def test_the_quality_manager_does_not_grant_themselves_an_exception(app: Services) -> None:
    owned = actions.new(
        app,
        QM,
        NewAction(
            title="Audit the auditors", process="STE-02", owner=QM, due_date=date(2027, 1, 5)
        ),
    )
    with pytest.raises(PermissionDenied, match="may not grant themselves an exception"):
        duties.grant(app, QM, "improvement_action", owned.id, "approve", QM, "no one else")


def test_closing_as_effective_needs_criteria_and_evidence(app: Services, clock: FixedClock) -> None:
    action = actions.new(
        app,
        PILOT,
        NewAction(
            title="Tutoring", process="TRN-04", owner=CONTRIBUTOR, due_date=date(2026, 12, 20)
        ),
    )
    _done(app, action.id)
    with pytest.raises(GuardFailed, match=r"no effectiveness criteria.*clause 10.2.1 d"):
        _fire(app, action.id, "check_effectiveness", PILOT)
    _fire(app, action.id, "reopen", PILOT, reopen_reason="Criteria to be set")
    actions.edit(app, action.id, PILOT, {"effectiveness_criteria": "Fewer drop-outs"})
    _fire(app, action.id, "complete", CONTRIBUTOR, work_done="Tutoring in place")
    _fire(app, action.id, "check_effectiveness", PILOT)
    with pytest.raises(ValidationError, match="effectiveness_evidence"):
        _fire(app, action.id, "close", PILOT, effectiveness_result="effective")
    _fire(
        app,
        action.id,
        "close",
        PILOT,
        effectiveness_result="effective",
        effectiveness_evidence="Drop-outs down from 9 to 4",
    )


def test_a_corrective_action_without_criteria_gets_them_by_an_edit(app: Services) -> None:
    action = actions.new(
        app,
        PILOT,
        NewAction(
            title="Fix the deadline",
            process="TRN-04",
            owner=CONTRIBUTOR,
            due_date=date(2026, 12, 20),
            kind="corrective",
        ),
    )
    _fire(app, action.id, "approve", PILOT)
    with pytest.raises(
        GuardFailed, match="needs effectiveness_criteria and effectiveness_check_date"
    ):
        _fire(app, action.id, "start", CONTRIBUTOR)
    with pytest.raises(
        ValidationError, match="effectiveness_check_date: 2026-12-01 is before the due date"
    ):
        actions.edit(app, action.id, PILOT, {"effectiveness_check_date": "2026-12-01"})
    with pytest.raises(PermissionDenied, match="may not edit improvement_action"):
        actions.edit(app, action.id, "pdelorme", {"effectiveness_criteria": "x"})
    entry = actions.edit(
        app,
        action.id,
        PILOT,
        {"effectiveness_criteria": "No late grades", "effectiveness_check_date": "2027-02-01"},
        comment="criteria agreed with the teachers",
    )
    assert entry.trigger == "edit" and entry.inputs["effectiveness_check_date"] == "2027-02-01"
    _fire(app, action.id, "start", CONTRIBUTOR)
    _fire(app, action.id, "complete", CONTRIBUTOR, work_done="Deadline set")
    with pytest.raises(
        ValidationError,
        match=r"is done: effectiveness_criteria cannot be changed there \(editable in that",
    ):
        actions.edit(app, action.id, PILOT, {"effectiveness_criteria": "Anything goes"})
    with app.database.reading() as session:
        found = session.get(ImprovementAction, action.id)
        assert found is not None and found.version == 5  # create, approve, edit, start, complete
        assert _verified(session, app)


def test_triggers_say_what_keeps_them_from_going_ahead(app: Services) -> None:
    nc_id = _analysed(app)
    nonconformities.fire(app, nc_id, "plan_action", PILOT, PLAN)
    offered = {
        a.trigger: a.blocked
        for a in shared.available(app.database, app.engine, "nonconformity", nc_id, PILOT)
    }
    assert "not all done" in (offered["implement"] or "")
    [action] = _actions(app, nc_id)
    for_owner = {
        a.trigger: a.blocked
        for a in shared.available(
            app.database, app.engine, "improvement_action", action.id, CONTRIBUTOR
        )
    }
    assert for_owner == {}  # the owner holds no role that approves or rejects
    for_pilot = {
        a.trigger: a.blocked
        for a in shared.available(app.database, app.engine, "improvement_action", action.id, PILOT)
    }
    assert for_pilot == {"approve": None, "reject": None}


@pytest.mark.parametrize(
    ("source", "reference", "message"),
    [
        ("internal_audit", "", r"from an internal audit names its finding \(clause 9.2.2 f"),
        ("internal_audit", "audit_finding #999", "no audit_finding #999"),
        ("internal_audit", "the spring audit", "got 'the spring audit'"),
        ("complaint", "", r"names the complainant or the complaint's reference \(clause 10.2.2 a"),
    ],
)
def test_a_nonconformity_says_where_it_comes_from(
    app: Services, source: str, reference: str, message: str
) -> None:
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=message):
        nonconformities.new(app, PILOT, replace(NC, source=source, reference=reference))
    assert snapshot(app.database) == before


def test_nonconformity_edits_are_trail_rows_where_the_state_allows(app: Services) -> None:
    nc = nonconformities.new(app, PILOT, NC)
    nonconformities.edit(app, nc.id, PILOT, {"severity": "major", "reference": "CPL-8"})
    with pytest.raises(ValidationError, match="severity: 'grave' is not one of major, minor"):
        nonconformities.edit(app, nc.id, PILOT, {"severity": "grave"})
    with pytest.raises(ValidationError, match="source cannot be changed there"):
        nonconformities.edit(app, nc.id, PILOT, {"source": "incident"})
    found = _nc(app, nc.id)
    assert (found.severity, found.data["reference"], found.version) == ("major", "CPL-8", 2)
    with app.database.reading() as session:
        assert _verified(session, app)
        rows = session.scalars(
            select(HistoryEntry.trigger).where(
                HistoryEntry.record_id == nc.id, HistoryEntry.record_kind == "nonconformity"
            )
        ).all()
        assert list(rows) == ["create", "edit"]


def test_each_corrective_action_is_reminded_once_to_its_owner(
    app: Services, clock: FixedClock
) -> None:
    nc_id = _analysed(app)
    nonconformities.fire(app, nc_id, "plan_action", PILOT, PLAN)
    [action] = _actions(app, nc_id)
    _fire(app, action.id, "approve", PILOT)
    transport = RecordingTransport()
    scheduler = scheduler_for(app.database, clock, transport)
    clock.advance(timedelta(days=25))  # 2026-12-20: the action's due date
    scheduler.tick()
    reminders = [m for m in transport.take() if "due" in str(m["Subject"]).lower()]
    assert [(str(m["To"]), f"#{action.id}" in str(m["Subject"])) for m in reminders] == [
        ("camille.fontaine@valbrune.example", True)
    ]
    with app.database.reading() as session:
        planned = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "email.reminder")
        ).all()
        assert {p["record_kind"] for p in planned} == {"improvement_action"}


def test_the_owner_does_not_change_who_judges_their_action_or_against_what(
    app: Services,
) -> None:
    owned = actions.new(
        app,
        PILOT,
        NewAction(title="Deadline", process="TRN-04", owner=PILOT, due_date=date(2026, 12, 20),
                  effectiveness_criteria="On time", effectiveness_check_date=date(2027, 1, 9)),
    )  # fmt: skip
    for change in (
        {"owner": CONTRIBUTOR},
        {"due_date": "2027-06-30"},
        {"effectiveness_criteria": "Anything"},
    ):
        with pytest.raises(PermissionDenied, match=r"they are its owner.*clause 5.3"):
            actions.edit(app, owned.id, PILOT, change)
    entry = actions.edit(app, owned.id, CORRESPONDENT, {"owner": CONTRIBUTOR})
    assert entry.inputs == {"owner_id": CONTRIBUTOR}  # people by handle in the trail
    _fire(app, owned.id, "approve", PILOT)  # no longer its owner


def test_after_a_reanalysis_the_nonconformity_needs_a_new_action(
    app: Services, clock: FixedClock
) -> None:
    nc_id = _analysed(app)
    nonconformities.fire(app, nc_id, "plan_action", PILOT, PLAN)
    [first] = _actions(app, nc_id)
    _closed(app, clock, first.id)
    nonconformities.fire(app, nc_id, "implement", PILOT, {"implementation_notes": "Done"})
    failed = {"effectiveness_result": "ineffective", "effectiveness_evidence": "Late again"}
    nonconformities.fire(app, nc_id, "check_effectiveness", PILOT, failed)
    nonconformities.fire(app, nc_id, "reanalyse", QM, {"reanalysis_reason": "Late again"})
    with pytest.raises(GuardFailed, match=r"a corrective action is needed \(clause 10.2.1 c\)"):
        nonconformities.fire(app, nc_id, "plan_action", PILOT, {})  # the old one is not a plan
    later = {**PLAN, "action_due_date": "2027-04-01", "effectiveness_check_date": "2027-06-01"}
    nonconformities.fire(app, nc_id, "plan_action", PILOT, later)
    with pytest.raises(GuardFailed, match="not all done"):
        nonconformities.fire(app, nc_id, "implement", PILOT, {"implementation_notes": "Done"})


def test_when_no_corrective_action_is_needed_the_plan_says_why(app: Services) -> None:
    nc = nonconformities.new(app, PILOT, NC)
    nonconformities.fire(app, nc.id, "contain", PILOT, {"containment": "Fixed at once"})
    nonconformities.fire(app, nc.id, "analyse", PILOT,
                         {**ANALYSIS, "corrective_action_needed": "no"})  # fmt: skip
    with pytest.raises(GuardFailed, match="no corrective action needed: say why in action_plan"):
        nonconformities.fire(app, nc.id, "plan_action", PILOT, PLAN)
    nonconformities.fire(app, nc.id, "plan_action", PILOT, {"action_plan": "A one-off typo"})
    nonconformities.fire(app, nc.id, "implement", PILOT, {"implementation_notes": "Corrected"})
    assert _actions(app, nc.id) == [] and _nc(app, nc.id).state == "implemented"


def test_actions_are_added_by_who_plans_them_and_settled_before_a_cancel(app: Services) -> None:
    nc_id = _analysed(app)
    spec = register.NewCorrectiveAction(
        title="Reminder in the grading tool", owner=CONTRIBUTOR, due_date=date(2026, 12, 20),
        effectiveness_criteria="Reminder sent", effectiveness_check_date=date(2027, 1, 9),
    )  # fmt: skip
    before = snapshot(app.database)
    with pytest.raises(PermissionDenied, match=r"may not add an action.*pilot.*clause 10.2.1 c"):
        register.add_action(app, CONTRIBUTOR, nc_id, spec)
    assert snapshot(app.database) == before
    added = register.add_action(app, CORRESPONDENT, nc_id, spec)
    with app.database.reading() as session:
        last = trail.history_of(session, "nonconformity", nc_id)[-1]
        assert (last.trigger, last.actor) == ("add_action", CORRESPONDENT)
        assert added.reference in last.comment
    cancel = {"cancellation_reason": "Recorded twice"}
    with pytest.raises(GuardFailed, match=r"reject its waiting actions first.*is proposed"):
        nonconformities.fire(app, nc_id, "cancel", QM, cancel)
    _fire(app, added.id, "reject", PILOT, rejection_reason="The nonconformity was recorded twice")
    nonconformities.fire(app, nc_id, "cancel", QM, cancel)


def test_a_process_retiring_next_month_takes_nonconformities_until_then(
    app: Services, clock: FixedClock
) -> None:
    with app.database.unit_of_work() as uow:  # as a map loaded --as-of 2026-12-31 leaves it
        uow.session.scalars(
            select(Process).where(Process.code == "TRN-04")
        ).one().retired_on = date(2026, 12, 31)
        uow.commit()
    nonconformities.new(app, PILOT, NC)
    clock.advance(timedelta(days=36))  # 2026-12-31
    with pytest.raises(ValidationError, match="process 'TRN-04' was retired on 2026-12-31"):
        nonconformities.new(app, PILOT, NC)
