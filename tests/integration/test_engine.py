"""The workflow engine on real databases: rules, permissions, atomicity and the trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import (
    ConflictError,
    GuardFailed,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from qms.models import HistoryEntry, Nonconformity, OutboxMessage, Person
from qms.services import shared
from qms.services import trail as trail_service
from qms.services.capa import nonconformities, register
from qms.workflow import trail
from tests.factories import load_example, services_for, snapshot

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ANALYSIS = {
    "root_cause": "No deadline in the grading procedure",
    "cause_category": "method",
    "similar_nonconformities": "none",
    "corrective_action_needed": "yes",
}
PLAN = {
    "action_plan": "Add a publication deadline",
    "action_owner": "cfontaine",
    "action_due_date": "2026-12-15",
    "effectiveness_criteria": "No late grades next term",
    "effectiveness_check_date": "2027-02-01",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(database: Database, clock: FixedClock) -> Services:
    load_example(database)
    return services_for(database, clock)  # type: ignore[no-any-return]


def new_nc(app: Services, process: str = "TRN-04") -> int:
    record = shared.start(
        app.database,
        app.engine,
        "nonconformity",
        "ebenoit",
        process=process,
        title="Complaint: grades published late",
        severity="minor",
    )
    return record.id


def fire(app: Services, record_id: int, trigger: str, actor: str, **inputs: Any) -> HistoryEntry:
    return nonconformities.fire(app, record_id, trigger, actor, inputs)


def fire_action(app: Services, action_id: int, trigger: str, actor: str, **inputs: Any) -> None:
    shared.fire(app.database, app.engine, "improvement_action", action_id, trigger, actor, inputs)


def state_of(app: Services, record_id: int) -> str:
    with app.database.reading() as session:
        record = session.get(Nonconformity, record_id)
        assert record is not None
        return record.state


def test_a_complaint_goes_from_detection_to_verified_closure(
    app: Services, clock: FixedClock
) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="Grades published by hand")
    fire(app, nc, "analyse", "grenaud", **ANALYSIS)
    fire(app, nc, "plan_action", "ebenoit", **PLAN)
    with app.database.reading() as session:
        [action] = register.actions_of(session, nc)
    fire_action(app, action.id, "approve", "ebenoit")
    fire_action(app, action.id, "start", "cfontaine")
    fire_action(app, action.id, "complete", "cfontaine", work_done="Deadline in the procedure")
    fire(app, nc, "implement", "grenaud", implementation_notes="Procedure updated")
    clock.advance(timedelta(days=70))
    fire_action(app, action.id, "check_effectiveness", "ebenoit")
    fire_action(app, action.id, "close", "ebenoit", effectiveness_result="effective",
                effectiveness_evidence="No late grades in January")  # fmt: skip
    fire(
        app,
        nc,
        "check_effectiveness",
        "ebenoit",
        effectiveness_result="effective",
        effectiveness_evidence="All grades on time in January",
    )
    fire(app, nc, "close", "tbrunet")
    assert state_of(app, nc) == "closed"
    with app.database.reading() as session:
        rows = trail.history_of(session, "nonconformity", nc)
        assert [(r.trigger, r.actor) for r in rows] == [
            ("create", "ebenoit"),
            ("contain", "ebenoit"),
            ("analyse", "grenaud"),
            ("plan_action", "ebenoit"),
            ("implement", "grenaud"),
            ("check_effectiveness", "ebenoit"),
            ("close", "tbrunet"),
        ]
        assert rows[1].inputs == {"containment": "Grades published by hand"}
        assert rows[-1].at == NOW + timedelta(days=70)
        assert rows[-1].from_state == "effectiveness_verified"
        assert trail_service.verify(app).rows == 7 + 6  # its corrective action's six
        events = session.scalars(select(OutboxMessage.payload)).all()
        assert [e["trigger"] for e in events if e["record_kind"] == "nonconformity"] == [
            r.trigger for r in rows
        ]


def test_refused_fire_names_actor_trigger_record_and_roles(app: Services) -> None:
    nc = new_nc(app)
    with pytest.raises(PermissionDenied) as refused:
        fire(app, nc, "contain", "sroux", containment="x")
    assert str(refused.value) == (
        f"Sophie Roux (sroux) may not fire 'contain' on nonconformity #{nc}: it needs the role "
        "correspondent or pilot of process TRN-04; on 2026-11-25 they hold no role there"
    )


def test_pilot_of_one_process_is_not_pilot_of_another(app: Services) -> None:
    nc = new_nc(app, process="TRN-04")
    with pytest.raises(PermissionDenied, match="pdelorme"):
        fire(app, nc, "contain", "pdelorme", containment="x")  # pilot of TRN-01, director
    other = new_nc(app, process="TRN-01")
    fire(app, other, "contain", "pdelorme", containment="x")
    assert state_of(app, other) == "contained"


def test_quality_manager_holds_institution_wide_scope(app: Services) -> None:
    nc = new_nc(app, process="RSC-03")
    fire(app, nc, "cancel", "tbrunet", cancellation_reason="Recorded twice")
    assert state_of(app, nc) == "cancelled"


def test_invalid_transition_lists_what_is_allowed(app: Services) -> None:
    nc = new_nc(app)
    with pytest.raises(InvalidTransition) as refused:
        fire(app, nc, "close", "tbrunet")
    assert str(refused.value) == (
        f"'close' is not allowed on nonconformity #{nc} in state "
        "'detected'; allowed from there: contain, cancel"
    )


def test_closing_without_an_effective_result_is_refused(app: Services, clock: FixedClock) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="x")
    fire(app, nc, "analyse", "ebenoit", **ANALYSIS)
    fire(app, nc, "plan_action", "ebenoit", **PLAN)
    with app.database.reading() as session:
        [action] = register.actions_of(session, nc)
    fire_action(app, action.id, "approve", "ebenoit")
    fire_action(app, action.id, "start", "cfontaine")
    fire_action(app, action.id, "complete", "cfontaine", work_done="Deadline set")
    fire(app, nc, "implement", "ebenoit", implementation_notes="done")
    with pytest.raises(GuardFailed, match=r"guard 'effectiveness_check_due'.*2027-02-01"):
        fire(
            app,
            nc,
            "check_effectiveness",
            "ebenoit",
            effectiveness_result="effective",
            effectiveness_evidence="too early",
        )
    clock.advance(timedelta(days=90))
    fire(
        app,
        nc,
        "check_effectiveness",
        "ebenoit",
        effectiveness_result="ineffective",
        effectiveness_evidence="late again",
    )
    with pytest.raises(GuardFailed, match=r"guard 'effectiveness_confirmed'.*clause 10\.2\.1 d"):
        fire(app, nc, "close", "tbrunet")
    fire(app, nc, "reanalyse", "tbrunet", reanalysis_reason="Deadline ignored")
    assert state_of(app, nc) == "analysed"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"containment": "x", "colour": "red"}, "colour: 'contain' does not ask for it"),
        ({}, "containment: required by 'contain'"),
        ({"containment": "   "}, "containment: required by 'contain'"),
    ],
)
def test_bad_inputs_name_the_field_and_write_nothing(
    app: Services, inputs: dict[str, str], message: str
) -> None:
    nc = new_nc(app)
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=message):
        fire(app, nc, "contain", "ebenoit", **inputs)
    assert snapshot(app.database) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action_owner", "jdoe", "action_owner: unknown person 'jdoe'"),
        ("action_due_date", "15/12/2026", r"action_due_date: '15/12/2026' is not a date"),
    ],
)
def test_typed_inputs_are_checked(app: Services, field: str, value: str, message: str) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="x")
    fire(app, nc, "analyse", "ebenoit", **ANALYSIS)
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=message):
        fire(app, nc, "plan_action", "ebenoit", **{**PLAN, field: value})
    assert snapshot(app.database) == before


def test_choice_inputs_are_checked(app: Services) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="x")
    with pytest.raises(ValidationError, match="cause_category: 'luck' is not one of people"):
        fire(app, nc, "analyse", "ebenoit", **{**ANALYSIS, "cause_category": "luck"})
    assert state_of(app, nc) == "contained"


def test_stale_version_is_a_conflict(app: Services) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="x")
    with pytest.raises(ConflictError, match="version 2, you saw 1"):
        shared.fire(
            app.database,
            app.engine,
            "nonconformity",
            nc,
            "analyse",
            "ebenoit",
            ANALYSIS,
            expected_version=1,
        )


def test_a_change_under_our_feet_rolls_back_state_history_and_outbox(app: Services) -> None:
    """transitions does not undo a state change; the transaction does."""
    nc = new_nc(app)
    with app.database.unit_of_work() as mine:
        record = mine.session.get(Nonconformity, nc)
        assert record is not None
        person = mine.session.scalars(select(Person).where(Person.handle == "ebenoit")).one()
        mine.session.commit()  # release the write lock so the other writer can go first
        fire(app, nc, "contain", "grenaud", containment="by the correspondent")
        with pytest.raises(ConflictError):
            app.engine.fire(mine.session, record, "contain", person, {"containment": "mine"})
    with app.database.reading() as session:
        rows = trail.history_of(session, "nonconformity", nc)
        assert [r.actor for r in rows] == ["ebenoit", "grenaud"]
        assert session.scalar(select(text("count(*)")).select_from(OutboxMessage)) == 2
    assert state_of(app, nc) == "contained"


def test_available_triggers_depend_on_state_and_roles(app: Services) -> None:
    nc = new_nc(app)
    pilot = shared.available(app.database, app.engine, "nonconformity", nc, "ebenoit")
    assert [a.trigger for a in pilot] == ["contain"]
    assert [i.name for i in pilot[0].inputs] == ["containment", "consequences"]
    quality = shared.available(app.database, app.engine, "nonconformity", nc, "tbrunet")
    assert [a.trigger for a in quality] == ["cancel"]
    assert shared.available(app.database, app.engine, "nonconformity", nc, "sroux") == []


def test_history_cannot_be_updated_or_deleted(app: Services, database: Database) -> None:
    new_nc(app)
    for statement in (
        "UPDATE workflow_history SET comment = 'edited'",
        "DELETE FROM workflow_history",
    ):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
            conn.execute(text(statement))
    with database.reading() as session:
        assert trail.size(session) == 1


def _bypass_triggers(database: Database, statement: str) -> None:
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER workflow_history_no_update"))
            conn.execute(text("DROP TRIGGER workflow_history_no_delete"))
        else:
            conn.execute(text("ALTER TABLE workflow_history DISABLE TRIGGER USER"))
        conn.execute(text(statement))


def test_tampered_row_is_named(app: Services, database: Database) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="Grades published by hand")
    fire(app, nc, "analyse", "ebenoit", **ANALYSIS)
    with database.reading() as session:
        target = trail.history_of(session, "nonconformity", nc)[1]
    _bypass_triggers(
        database, f"UPDATE workflow_history SET actor = 'tbrunet' WHERE id = {target.id}"
    )
    problems = trail_service.verify(app).problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        f"trail row {target.id} (nonconformity #{nc}, 'contain' by tbrunet"
    )
    assert "its signature does not match its content" in problems[0]


def test_a_removed_row_is_named(app: Services, database: Database) -> None:
    nc = new_nc(app)
    fire(app, nc, "contain", "ebenoit", containment="x")
    fire(app, nc, "analyse", "ebenoit", **ANALYSIS)
    with database.reading() as session:
        rows = trail.history_of(session, "nonconformity", nc)
    _bypass_triggers(database, f"DELETE FROM workflow_history WHERE id = {rows[1].id}")
    problems = trail_service.verify(app).problems
    assert problems[0].startswith(
        f"nonconformity #{nc}: trail row {rows[1].id} (row 2 of its chain) is missing; "
        f"trail row {rows[2].id} "
    )


def test_records_keep_the_workflow_version_they_started_under(
    app: Services, clock: FixedClock
) -> None:
    from qms.workflow.definition import WorkflowDefinition
    from qms.workflow.engine import WorkflowEngine
    from qms.workflow.registry import Registry

    old = new_nc(app)
    current = app.registry.current("nonconformity")
    data = current.to_dict()
    data["version"] = current.version + 1
    for transition in data["transitions"]:
        if transition["trigger"] == "contain":
            transition["roles"] = ["quality_manager"]
    edited = WorkflowDefinition.from_dict(data, "edited")
    definitions = {n: app.registry.current(n) for n in app.registry.names}
    engine = WorkflowEngine(
        Registry({**definitions, "nonconformity": edited}),
        clock,
        app.settings.zone,
        app.settings.trail_key_file,
    )
    new = shared.start(app.database, engine, "nonconformity", "ebenoit", process="TRN-04").id
    shared.fire(
        app.database, engine, "nonconformity", old, "contain", "ebenoit", {"containment": "x"}
    )
    with pytest.raises(PermissionDenied, match="needs the role quality_manager"):
        shared.fire(
            app.database, engine, "nonconformity", new, "contain", "ebenoit", {"containment": "x"}
        )
    with app.database.reading() as session:
        versions = engine.registry.stored_versions(session, "nonconformity")
        assert [v.version for v in versions] == [current.version, current.version + 1]
        new_record = session.get(Nonconformity, new)
        assert new_record is not None and new_record.workflow_hash == edited.content_hash
        entry = trail.history_of(session, "nonconformity", old)[-1]
        assert entry.workflow_version == current.version


def test_inactive_person_cannot_fire(app: Services, database: Database) -> None:
    nc = new_nc(app)
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE person SET inactive_from = '2026-11-25' WHERE handle = 'ebenoit'")
        )
    with pytest.raises(
        PermissionDenied, match=r"Émilie Benoit \(ebenoit\) \(inactive since 2026-11-25\)"
    ):
        fire(app, nc, "contain", "ebenoit", containment="x")


def test_role_on_the_date_of_the_fire(app: Services, database: Database, clock: FixedClock) -> None:
    """Permissions follow the process map's dates: a past pilot no longer may."""
    nc = new_nc(app)
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE role_assignment SET valid_to = :d WHERE person_id = "
                "(SELECT id FROM person WHERE handle = 'ebenoit') AND role = 'pilot'"
            ),
            {"d": date(2026, 12, 1)},
        )
    clock.advance(timedelta(days=10))
    with pytest.raises(PermissionDenied, match="on 2026-12-05 they hold"):
        fire(app, nc, "contain", "ebenoit", containment="x")
