"""Random walks through every shipped workflow: the engine never breaks its own rules.

One hypothesis state machine per workflow drives a fresh record of the example
institution (process TRN-04) with random triggers, actors, inputs and clock moves,
and keeps a model of what should happen.  After every step the record, its history
and the whole hash chain are read back from the database and compared with the model.
One SQLite database per workflow; a new record per example.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, event, find, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import (
    ConflictError,
    GuardFailed,
    InvalidTransition,
    PermissionDenied,
    QmsError,
    ValidationError,
)
from qms.models import RECORD_MODELS, HistoryEntry, OutboxMessage, Person, WorkflowRecord
from qms.services import shared
from qms.services.capa import nonconformities, register
from qms.workflow import trail
from qms.workflow.definition import InputDef, InputType, TransitionDef, WorkflowDefinition
from qms.workflow.guards import GUARDS, GuardContext
from qms.workflow.verify import verify
from tests.factories import load_example, services_for

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = NOW.date()
PROCESS = "TRN-04"
SUCCESS = "closed"  # the terminal state every shipped workflow ends in when all went well
LATER = [0, 0, 0, 7, 30, 90]  # days before the next valid fire: mostly at once
REFUSALS = (InvalidTransition, PermissionDenied, GuardFailed, ValidationError, ConflictError)
ALL_OR_NOTHING = {"corrective_actions_planned"}  # guards of inputs given in full or not at all

# The roles the example process map gives each person of the cast, on TRN-04 and across
# the institution; written out by hand so the engine's permissions are checked, not echoed.
ON_PROCESS = {"ebenoit": {"pilot"}, "grenaud": {"correspondent"}, "cfontaine": {"contributor"}}
INSTITUTION = {
    "hmarchal": {"director"},
    "tbrunet": {"quality_manager"},
    "grenaud": {"auditor"},
    "cvidal": {"auditor"},
    "cfontaine": {"auditor"},
    "jmercier": {"auditor"},
}
CAST = ("ebenoit", "grenaud", "sroux", "hmarchal", "tbrunet", "cvidal", "cfontaine", "jmercier")
RECORD_ROLES = {"owner_id": "owner", "lead_auditor_id": "lead_auditor"}  # field -> role

# Text a person could type: control characters are refused before any workflow rule
# (tests/unit/test_text_limits.py), so the walks draw printable text.
TYPED = st.characters(min_codepoint=0x20, max_codepoint=0x2FF, blacklist_categories=("Cc",))
TEXT = st.text(TYPED, min_size=1, max_size=24).filter(str.strip)
BLANK = st.sampled_from(["", "   ", "\t\n"])
WRONG = {
    InputType.DATE: "next week",
    InputType.BOOL: "maybe",
    InputType.INT: "ten",
    InputType.CHOICE: "luck",
    InputType.PERSON: "nobody",
}


def days_around(today: date, before: int, after: int) -> st.SearchStrategy[date]:
    return st.dates(today - timedelta(days=before), today + timedelta(days=after))


def valid_value(spec: InputDef, today: date) -> st.SearchStrategy[Any]:
    """A value the input accepts, sometimes as the text a form would send."""
    if spec.type is InputType.DATE:
        dates = days_around(today, 10, 60)
        return dates | dates.map(date.isoformat)
    strategies: dict[InputType, st.SearchStrategy[Any]] = {
        InputType.TEXT: TEXT,
        InputType.BOOL: st.sampled_from([True, False, "yes", "no", "oui", "non", "1", "0"]),
        InputType.INT: st.integers(-1000, 1000) | st.integers(0, 99).map(str),
        InputType.CHOICE: st.sampled_from(spec.choices),
        InputType.PERSON: st.sampled_from(CAST),
    }
    return strategies[spec.type]


def valid_inputs(transition: TransitionDef, today: date) -> st.SearchStrategy[dict[str, Any]]:
    """Every required input, and some of the optional ones (all of them for a plan, which
    is given in full or not at all)."""
    if ALL_OR_NOTHING & set(transition.guards):
        return st.fixed_dictionaries({i.name: valid_value(i, today) for i in transition.inputs})
    return st.fixed_dictionaries(
        {i.name: valid_value(i, today) for i in transition.inputs if i.required},
        optional={i.name: valid_value(i, today) for i in transition.inputs if not i.required},
    )


@st.composite
def any_inputs(draw: st.DrawFn, transition: TransitionDef, today: date) -> tuple[dict, bool]:
    """Inputs that are often right and now and then missing, blank or wrong; and whether
    the engine should accept them."""
    inputs: dict[str, Any] = {}
    ok = True
    for spec in transition.inputs:
        how = draw(st.sampled_from(["valid", "valid", "valid", "missing", "blank", "wrong"]))
        if how == "wrong" and spec.type in WRONG:
            inputs[spec.name], ok = WRONG[spec.type], False
        elif how in ("valid", "wrong"):
            inputs[spec.name] = draw(valid_value(spec, today))
        else:
            ok = ok and not spec.required
            if how == "blank":
                inputs[spec.name] = draw(BLANK)
    if draw(st.integers(0, 9)) == 0:
        inputs["colour"], ok = "red", False  # a field no transition asks for
    return inputs, ok


@dataclass(frozen=True)
class Case:
    """How a record of one workflow is created: its process and the fields set then."""

    kind: str
    process: str | None
    fields: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)


def texts(*names: str) -> dict[str, st.SearchStrategy[Any]]:
    return dict.fromkeys(names, TEXT)


CASES = {
    "improvement_action": Case(
        "improvement_action",
        PROCESS,
        {
            "kind": st.sampled_from(["correction", "corrective", "preventive", "improvement"]),
            "owner_id": st.just("cfontaine"),
            "due_date": days_around(DAY, 0, 90),
            "effectiveness_check_date": days_around(DAY, 10, 90),
            **texts("description", "effectiveness_criteria"),
        },
    ),
    "nonconformity": Case(
        "nonconformity",
        PROCESS,
        {
            "severity": st.sampled_from(["minor", "major"]),
            "detected_on": days_around(DAY, 30, 0),
            **texts("description"),
        },
    ),
    "internal_audit": Case(
        "internal_audit",
        PROCESS,
        {
            "lead_auditor_id": st.just("jmercier"),
            "planned_start": days_around(DAY, 0, 60),
            **texts("scope", "criteria", "objectives"),
        },
    ),
    # The lead auditor of a finding is the lead auditor of its audit.
    "audit_finding": Case(
        "audit_finding",
        PROCESS,
        {
            "finding_type": st.sampled_from(["nonconformity", "observation", "strength"]),
            **texts("criterion", "evidence"),
        },
    ),
    "management_review": Case(
        "management_review",
        None,
        {
            "planned_on": days_around(DAY, 0, 30),
            **texts(
                "previous_actions_status",
                "context_changes",
                "performance_and_trends",
                "resource_adequacy",
                "risk_actions_effectiveness",
                "improvement_opportunities",
            ),
        },
    ),
    "process_review": Case(
        "process_review",
        PROCESS,
        {
            "planned_on": days_around(DAY, 0, 30),
            **texts("indicators_summary", "audit_results", "customer_feedback"),
        },
    ),
}


def creation_fields(case: Case) -> st.SearchStrategy[dict[str, Any]]:
    """Every field most of the time; sometimes a record created with some left empty."""
    complete = st.fixed_dictionaries(case.fields)
    return st.one_of(complete, complete, complete, st.fixed_dictionaries({}, optional=case.fields))


class WorkflowWalk(RuleBasedStateMachine):
    """One record, driven by random fires; the model says what the database must hold."""

    app: ClassVar[Services]
    clock: ClassVar[FixedClock]
    case: ClassVar[Case]
    ids: ClassVar[dict[str, int]]
    reached: ClassVar[set[str]]

    @property
    def defn(self) -> WorkflowDefinition:
        return self.app.registry.for_kind(self.case.kind)

    @initialize(fields=st.data())
    def create_record(self, fields: st.DataObject) -> None:
        self.clock.at = NOW  # every example starts on the same day, so replays agree
        values = fields.draw(creation_fields(self.case), label="fields")
        self.named = {RECORD_ROLES[k]: v for k, v in values.items() if k in RECORD_ROLES}
        values.update({k: self.ids[v] for k, v in values.items() if k in RECORD_ROLES})
        record = create(self.app, self.case, values)
        self.record_id, self.state, self.version = record.id, self.defn.initial, 1
        self.fired: list[tuple[str, str]] = []
        ends = [name for name, state in self.defn.states.items() if state.terminal]
        self.goal = fields.draw(st.sampled_from([SUCCESS, SUCCESS, *ends]), label="goal")

    @rule(days=st.integers(1, 120))
    def time_passes(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    @rule(data=st.data())
    def fire_anything(self, data: st.DataObject) -> None:
        """Any trigger of the workflow (half the time one allowed from the record's state),
        by anyone of the cast, with any inputs, on the version seen or a stale one."""
        every = sorted({t.trigger for t in self.defn.transitions})
        here = [t.trigger for t in self.defn.transitions_from(self.state)] or every
        trigger = data.draw(st.sampled_from(every) | st.sampled_from(here), label="trigger")
        transition = next(t for t in self.defn.transitions if t.trigger == trigger)
        actor = data.draw(st.sampled_from(CAST), label="actor")
        inputs, ok = data.draw(any_inputs(transition, self.engine_today()), label="inputs")
        versions = [None, None, None, self.version, self.version - 1]  # the last one is stale
        seen = data.draw(st.sampled_from(versions), label="seen")
        comment = data.draw(st.text(TYPED, max_size=12), label="comment")
        self.fire(trigger, actor, inputs, ok, seen, comment)

    @precondition(lambda self: not self.defn.states[self.state].terminal)
    @rule(data=st.data())
    def fire_something_allowed(self, data: st.DataObject) -> None:
        """A trigger the model says the actor may fire now, with valid inputs, sometimes
        weeks later.  It heads for the walk's goal: it takes no side exit (cancel, reject,
        ...) but the goal's, so walks go deep instead of being cancelled at their first step."""
        options = [(t, a) for t in self.defn.transitions_from(self.state) for a in self.may(t)]
        options = [(t, a) for t, a in options if not self.is_detour(t)] or options
        if not options:
            event(f"nobody may fire anything in {self.state}")
            return
        transition, actor = data.draw(st.sampled_from(options), label="fire")
        self.clock.advance(timedelta(days=data.draw(st.sampled_from(LATER), label="later")))
        inputs = data.draw(valid_inputs(transition, self.engine_today()), label="inputs")
        self.fire(transition.trigger, actor, inputs, True, None, "")

    @precondition(lambda self: self.case.kind == "nonconformity")
    @rule()
    def its_actions_are_carried_out(self) -> None:
        """The corrective actions the nonconformity planned (action records of their own)
        are carried out and checked by their people, so that it can move on."""
        carry_out_actions(self.app, self.record_id)

    def engine_today(self) -> date:
        return self.app.engine.today()

    def is_detour(self, transition: TransitionDef) -> bool:
        return self.defn.states[transition.dest].terminal and transition.dest != self.goal

    def roles(self, actor: str) -> set[str]:
        held = set(INSTITUTION.get(actor, ()))
        if self.case.process is not None:
            held |= ON_PROCESS.get(actor, set())
        return held | {role for role, who in self.named.items() if who == actor}

    def may(self, transition: TransitionDef) -> list[str]:
        return [a for a in CAST if transition.roles & self.roles(a)]

    def expected_refusal(
        self, trigger: str, actor: str, inputs_ok: bool, seen: int | None
    ) -> type[QmsError] | None:
        """The refusal the engine must give, in the order it checks; None: it may succeed
        (or a guard may refuse)."""
        transition = self.defn.transition(self.state, trigger)
        if seen is not None and seen != self.version:
            return ConflictError
        if transition is None:
            return InvalidTransition
        if not transition.roles & self.roles(actor):
            return PermissionDenied
        if any(self.named.get(role) == actor for role in transition.not_by):
            return PermissionDenied  # the segregation of duties (clause 5.3)
        return None if inputs_ok else ValidationError

    def fire(
        self,
        trigger: str,
        actor: str,
        inputs: dict[str, Any],
        inputs_ok: bool,
        seen: int | None,
        comment: str,
    ) -> None:
        expected = self.expected_refusal(trigger, actor, inputs_ok, seen) or GuardFailed
        refused: QmsError | None = None
        try:
            fire(self.app, self.case.kind, self.record_id, trigger, actor, inputs, comment, seen)
        except REFUSALS as exc:
            refused = exc
        if refused is None:
            assert expected is GuardFailed, f"{trigger} by {actor} succeeded, not {expected}"
            self.moved(trigger, actor, inputs)
            return
        event(f"refused: {type(refused).__name__}")
        assert isinstance(refused, expected), f"expected {expected.__name__}: {refused}"

    def moved(self, trigger: str, actor: str, inputs: dict[str, Any]) -> None:
        transition = self.defn.transition(self.state, trigger)
        assert transition is not None
        self.state, self.version = transition.dest, self.version + 1
        self.fired.append((trigger, actor))
        if "action_owner" in inputs:  # a nonconformity's action owner holds 'owner' on it
            self.named["owner"] = inputs["action_owner"]
        self.reached.add(self.state)
        event(f"reached {self.state}")
        self.check_guards_held(transition)

    def check_guards_held(self, transition: TransitionDef) -> None:
        """The stored record satisfies the guards of the transition it just took."""
        with self.app.database.reading() as session:
            record = session.get(RECORD_MODELS[self.case.kind], self.record_id)
            context = GuardContext(record, {}, self.engine_today(), session)
            refusals = {name: GUARDS[name](context) for name in transition.guards}
            assert not any(refusals.values()), refusals

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        with self.app.database.reading() as session:
            record = session.get(RECORD_MODELS[self.case.kind], self.record_id)
            assert record is not None
            assert record.state in self.defn.states
            assert (record.state, record.version) == (self.state, self.version)
            required = self.defn.states[record.state].requires
            assert not [n for n in required if record.field_value(n) in (None, "")], required
            self.check_history(session)
            self.check_offers(session, record)
            self.check_chain(session)

    def check_history(self, session: Session) -> None:
        """The trail replays through the definition to the record's state, and holds
        exactly the fires that succeeded."""
        rows = trail.history_of(session, self.case.kind, self.record_id)
        assert (rows[0].trigger, rows[0].from_state) == ("create", None)
        assert rows[0].to_state == self.defn.initial
        for before, row in itertools.pairwise(rows):
            assert row.from_state == before.to_state
            transition = self.defn.transition(before.to_state, row.trigger)
            assert transition is not None and transition.dest == row.to_state
        assert rows[-1].to_state == self.state
        assert [(r.trigger, r.actor) for r in rows[1:]] == self.fired

    def check_offers(self, session: Session, record: WorkflowRecord) -> None:
        """What each person is offered is what the process map lets them fire; nothing
        once the record is closed.  Offers depend only on the state and who the record
        names, so they are compared again only when one of those changed."""
        seen = (self.state, tuple(sorted(self.named.items())))
        if getattr(self, "offers_seen", None) == seen:
            return
        engine, here = self.app.engine, self.defn.transitions_from(self.state)
        for person in session.scalars(select(Person).where(Person.handle.in_(CAST))):
            offered = [a.trigger for a in engine.available_triggers(session, record, person)]
            assert offered == [t.trigger for t in here if person.handle in self.may(t)]
            assert not (offered and self.defn.states[self.state].terminal), person.handle
        self.offers_seen = seen

    def check_chain(self, session: Session) -> None:
        """The whole trail verifies (signatures, chains, every record against its trail),
        with one outbox message per row.  Verified again whenever a row was added."""
        size = trail.size(session)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == size
        last = session.scalar(select(HistoryEntry.hash).order_by(HistoryEntry.id.desc()))
        if getattr(self, "chain_seen", None) != (size, last):
            # each example starts its clock again on this database: "now" is far ahead
            verified = verify(session, self.app.engine.keys, datetime(2100, 1, 1, tzinfo=UTC))
            assert verified.problems == []
            assert verified.rows == size
            self.chain_seen = (size, last)


def fire(
    app: Services,
    kind: str,
    record_id: int,
    trigger: str,
    actor: str,
    inputs: dict[str, Any],
    comment: str = "",
    seen: int | None = None,
) -> None:
    """A fire as the command line does it: a nonconformity through its own service (its
    plan becomes an action record), any other record through the engine's use case."""
    if kind == "nonconformity":
        nonconformities.fire(app, record_id, trigger, actor, inputs, comment, seen)
        return
    shared.fire(app.database, app.engine, kind, record_id, trigger, actor, inputs, comment, seen)


def carry_out_actions(app: Services, nc_id: int) -> None:
    """Each open action of the nonconformity: approved, done and found effective by people
    other than its owner, the clock moved to its check date if need be."""
    with app.database.reading() as session:
        found = [(a.id, a.owner.handle if a.owner else "ebenoit", a.effectiveness_check_date)
                 for a in register.actions_of(session, nc_id)]  # fmt: skip
    clock = app.engine.clock
    assert isinstance(clock, FixedClock)
    for action_id, owner, check in found:
        other = "grenaud" if owner == "ebenoit" else "ebenoit"
        judge = "ebenoit" if owner == "tbrunet" else "tbrunet"
        checked = {"effectiveness_result": "effective", "effectiveness_evidence": "Seen"}
        for trigger, actor, inputs in (
            ("approve", other, {}),
            ("start", owner, {}),
            ("complete", owner, {"work_done": "Done"}),
            ("check_effectiveness", judge, {}),
            ("close", judge, checked),
        ):
            if trigger == "check_effectiveness" and check and check > app.engine.today():
                clock.advance(timedelta(days=(check - app.engine.today()).days))
            with contextlib.suppress(*REFUSALS):
                fire(app, "improvement_action", action_id, trigger, actor, inputs)


def create(app: Services, case: Case, values: dict[str, Any]) -> WorkflowRecord:
    """A new record, started by the quality manager, with ``values`` set as they are.

    Done as :func:`qms.services.workflow.start` does it, but without its checks of field
    names, so that the walks can also start from records whose fields are left empty.
    """
    with app.database.unit_of_work() as uow:
        record = RECORD_MODELS[case.kind](title="Walked by the property tests", data={})
        if case.process is not None:
            record.process_id = shared.process(uow.session, case.process).id
        for name, value in values.items():
            record.set_field(name, value)
        app.engine.start(uow.session, record, shared.person(uow.session, "tbrunet"))
        uow.commit()
        return record


WALKS = settings(
    max_examples=35,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def app(sqlite_template: Path, tmp_path: Path) -> Iterator[Services]:
    path = tmp_path / "qms.sqlite3"
    shutil.copy(sqlite_template, path)
    database = Database(url=f"sqlite:///{path}")
    load_example(database)
    yield services_for(database, FixedClock(NOW))
    database.dispose()


def person_ids(app: Services) -> dict[str, int]:
    with app.database.reading() as session:
        return {p.handle: p.id for p in session.scalars(select(Person))}


def walk(app: Services, kind: str) -> set[str]:
    """Run the state machine of ``kind``; the states its records reached."""
    attributes = {"case": CASES[kind], "ids": person_ids(app), "reached": set()}
    machine = type(
        f"Walk_{kind}",
        (WorkflowWalk,),
        {"app": app, "clock": app.engine.clock, **attributes},
    )
    run_state_machine_as_test(machine, settings=WALKS)
    return machine.reached


@pytest.mark.slow  # a minute for the six workflows: make test-slow (CI runs it)
@pytest.mark.parametrize("kind", sorted(CASES))
def test_random_walks_keep_state_trail_and_permissions_consistent(app: Services, kind: str) -> None:
    """The invariants are asserted after every step inside the machine; here, that the
    walks went past the first states (reaching every state is checked deterministically
    by test_every_end_of_a_workflow_is_reached_by_people_it_offers_the_step_to)."""
    reached = walk(app, kind)
    definition = app.registry.for_kind(kind)
    inner = {n for n, s in definition.states.items() if not s.terminal} - {definition.initial}
    assert len(reached & inner) >= min(2, len(inner)), f"walks of a {kind} stayed shallow"


def shortest_path(definition: WorkflowDefinition, goal: str) -> list[TransitionDef]:
    paths: dict[str, list[TransitionDef]] = {definition.initial: []}
    queue = deque([definition.initial])
    while queue:
        state = queue.popleft()
        for transition in definition.transitions_from(state):
            if transition.dest not in paths:
                paths[transition.dest] = [*paths[state], transition]
                queue.append(transition.dest)
    return paths[goal]


def plain_value(spec: InputDef, today: date) -> Any:
    if spec.type is InputType.CHOICE:
        return spec.choices[0]  # 'effective', 'yes', ...: the answer that lets a record close
    plain = {InputType.TEXT: "Checked", InputType.BOOL: "yes", InputType.INT: 1}
    return {InputType.DATE: today, InputType.PERSON: "cfontaine", **plain}[spec.type]


def complete_fields(app: Services, case: Case) -> dict[str, Any]:
    """The simplest value of every field the record is created with."""
    values = find(st.fixed_dictionaries(case.fields), bool, settings=settings(database=None))
    ids = person_ids(app)
    return {k: ids[v] if k in RECORD_ROLES else v for k, v in values.items()}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_end_of_a_workflow_is_reached_by_people_it_offers_the_step_to(
    app: Services, kind: str
) -> None:
    """For each terminal state, the shortest path to it is walked by the first person of
    the cast that the engine offers each step to, a month after the step before."""
    definition, clock = app.registry.for_kind(kind), app.engine.clock
    assert isinstance(clock, FixedClock)
    for end in (n for n, s in definition.states.items() if s.terminal):
        record = create(app, CASES[kind], complete_fields(app, CASES[kind]))
        for transition in shortest_path(definition, end):
            clock.advance(timedelta(days=30))
            actor = next(a for a in CAST if transition.trigger in offered(app, record, a))
            inputs = {i.name: plain_value(i, app.engine.today()) for i in transition.inputs}
            if (
                transition.trigger in ("implement", "check_effectiveness")
                and kind == "nonconformity"
            ):
                carry_out_actions(app, record.id)
            fire(app, kind, record.id, transition.trigger, actor, inputs)
        with app.database.reading() as session:
            assert trail.history_of(session, kind, record.id)[-1].to_state == end


def offered(app: Services, record: WorkflowRecord, actor: str) -> list[str]:
    found = shared.available(app.database, app.engine, record.record_kind, record.id, actor)
    return [a.trigger for a in found]


def test_the_lead_auditor_of_the_audit_may_settle_a_dispute_about_its_finding(
    app: Services,
) -> None:
    lead = person_ids(app)["jmercier"]
    audit = create(app, CASES["internal_audit"], {"lead_auditor_id": lead, "scope": "Grading"})
    finding = create(app, CASES["audit_finding"], {"audit_id": audit.id, "lead_auditor_id": lead})
    dispute = {"dispute_reason": "The criterion does not apply"}
    shared.fire(
        app.database, app.engine, "audit_finding", finding.id, "dispute", "ebenoit", dispute
    )
    assert "resolve_dispute" in offered(app, finding, "jmercier")


def test_a_corrective_action_can_be_started(app: Services) -> None:
    record = shared.start(
        app.database,
        app.engine,
        "improvement_action",
        "tbrunet",
        process=PROCESS,
        kind="corrective",
    )
    assert record.field_value("kind") == "corrective"


def test_a_date_field_given_as_text_is_stored_as_a_date(app: Services) -> None:
    record = shared.start(
        app.database,
        app.engine,
        "improvement_action",
        "tbrunet",
        process=PROCESS,
        due_date="2026-05-01",
    )
    assert record.field_value("due_date") == date(2026, 5, 1)


def test_a_field_given_as_text_that_is_not_a_date_is_refused(app: Services) -> None:
    with pytest.raises(ValidationError, match=r"due_date: 'soon' is not a date"):
        shared.start(
            app.database,
            app.engine,
            "improvement_action",
            "tbrunet",
            process=PROCESS,
            due_date="soon",
        )
    with pytest.raises(ValidationError, match="colour: not a field of improvement_action"):
        shared.start(
            app.database, app.engine, "improvement_action", "tbrunet", process=PROCESS, colour="red"
        )
