"""Who may move actions and nonconformities: every role against every trigger (clause 5.3).

A process of its own holds one person per role, plus the record's owner and a person
with no role at all. For each transition of the two workflows, a record is put in the
transition's source state with everything its guards and destination need, and each
person tries to fire it: exactly the roles the definition names succeed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import PermissionDenied
from qms.models import (
    HistoryEntry,
    ImprovementAction,
    MacroProcess,
    Nonconformity,
    Person,
    Process,
    Role,
    RoleAssignment,
    WorkflowRecord,
)
from qms.services import shared
from qms.workflow.definition import InputType, TransitionDef
from tests.factories import LOAD_DAY, load_example, services_for

PERSONAS = {
    "pilot": Role.PILOT,
    "correspondent": Role.CORRESPONDENT,
    "contributor": Role.CONTRIBUTOR,
    "auditor": Role.AUDITOR,
    "director": Role.DIRECTOR,
    "quality_manager": Role.QUALITY_MANAGER,
    "owner": None,  # holds no role: named by the record
    "nobody": None,
}
ORGANISATION_WIDE = {Role.AUDITOR, Role.DIRECTOR, Role.QUALITY_MANAGER}
PROCESS_CODE = "TST-01"


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    with database.unit_of_work() as uow:
        macro = uow.session.scalars(select(MacroProcess).where(MacroProcess.code == "STE")).one()
        process = Process(
            macro_process=macro,
            code=PROCESS_CODE,
            name="Permission probe",
            inputs=[],
            outputs=[],
            interfaces=[],
            resources=[],
            risks=[],
        )
        uow.session.add(process)
        uow.session.flush()
        for name, role in PERSONAS.items():
            person = Person(handle=f"t_{name}", name=f"Test {name}", email=f"{name}@t.example")
            uow.session.add(person)
            uow.session.flush()
            if role is not None:
                uow.session.add(
                    RoleAssignment(
                        person_id=person.id,
                        role=role,
                        valid_from=LOAD_DAY,
                        process_id=None if role in ORGANISATION_WIDE else process.id,
                    )
                )
        uow.commit()
    # Late enough that every date guard (effectiveness check dates) has passed.
    return services_for(database, FixedClock(datetime(2027, 6, 1, 9, tzinfo=UTC)))  # type: ignore[no-any-return]


def _inputs(transition: TransitionDef) -> dict[str, Any]:
    values: dict[str, Any] = {}
    negative = transition.trigger in ("reanalyse", "reopen")
    for spec in transition.inputs:
        match spec.type:
            case InputType.CHOICE:
                wanted = "ineffective" if negative else "effective"
                values[spec.name] = wanted if wanted in spec.choices else spec.choices[0]
            case InputType.DATE:
                values[spec.name] = "2027-07-15"  # after the clock: due dates in the future
            case InputType.BOOL:
                values[spec.name] = "yes"
            case InputType.INT:
                values[spec.name] = "1"
            case InputType.PERSON:
                values[spec.name] = "t_owner"
            case _:
                values[spec.name] = f"{spec.name} given"
    return values


def _record_in(app: Services, kind: str, transition: TransitionDef) -> int:
    """A record standing in the transition's source state, guards and requirements met."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        owner = session.scalars(select(Person).where(Person.handle == "t_owner")).one()
        process = session.scalars(select(Process).where(Process.code == PROCESS_CODE)).one()
        record: WorkflowRecord
        if kind == "nonconformity":
            record = Nonconformity(title="probe", detected_on=date(2027, 1, 2))
        else:
            record = ImprovementAction(
                title="probe", owner_id=owner.id, kind="improvement", due_date=date(2027, 2, 1)
            )
        record.process_id, record.data = process.id, {}
        app.engine.start(session, record, owner)
        record.state = transition.sources[0]
        negative = transition.trigger in ("reanalyse", "reopen")
        for name in (
            "containment",
            "root_cause",
            "similar_nonconformities",
            "action_plan",
            "effectiveness_criteria",
            "implementation_notes",
            "work_done",
        ):
            record.set_field(name, "given")
        record.set_field("action_owner", "t_owner")
        record.set_field("cause_category", "method")
        record.set_field("corrective_action_needed", True)
        record.set_field("effectiveness_check_date", date(2027, 3, 1))
        record.set_field("effectiveness_result", "ineffective" if negative else "effective")
        if kind == "nonconformity":  # its corrective action, done and found effective
            action = ImprovementAction(
                title="its action", owner_id=owner.id, kind="corrective", process_id=process.id,
                due_date=date(2027, 2, 1), nonconformity_id=None, data={},
            )  # fmt: skip
            app.engine.start(session, action, owner)
            action.nonconformity_id, action.state = record.id, "closed"
            action.set_field("effectiveness_result", "effective")
        uow.commit()
        return record.id


def _attempt(
    app: Services, kind: str, record_id: int, transition: TransitionDef, persona: str
) -> HistoryEntry | PermissionDenied:
    try:
        return shared.fire(
            app.database,
            app.engine,
            kind,
            record_id,
            transition.trigger,
            f"t_{persona}",
            _inputs(transition),
        )
    except PermissionDenied as refused:
        return refused


@pytest.mark.parametrize("kind", ["improvement_action", "nonconformity"])
def test_every_role_against_every_trigger(app: Services, kind: str) -> None:
    definition = app.registry.for_kind(kind)
    checked = 0
    for transition in definition.transitions:
        for persona in PERSONAS:
            record_id = _record_in(app, kind, transition)
            allowed = persona in transition.roles
            attempt = (kind, transition.trigger, persona)
            outcome = _attempt(app, kind, record_id, transition, persona)
            if isinstance(outcome, PermissionDenied):
                assert not allowed, (attempt, str(outcome))
                assert f"(t_{persona})" in str(outcome)
                assert "it needs the role " + " or ".join(sorted(transition.roles)) in str(outcome)
            else:
                assert allowed, attempt
                assert outcome.to_state == transition.dest
            checked += 1
    assert checked == len(definition.transitions) * len(PERSONAS)


def test_only_pilot_or_correspondent_approve_and_only_pilot_or_qm_close_actions(
    app: Services,
) -> None:
    """The rule the register relies on, stated on its own."""
    definition = app.registry.for_kind("improvement_action")
    approve = next(t for t in definition.transitions if t.trigger == "approve")
    close = next(t for t in definition.transitions if t.trigger == "close")
    assert approve.roles == {"pilot", "correspondent"}
    assert close.roles == {"pilot", "quality_manager"}
