"""The workflow engine: fire a trigger on a record, in one database transaction.

``fire`` checks, in order: the expected version (optimistic lock), that the trigger
is allowed from the record's state, the actor's roles, the inputs, the guards and the
fields the destination state requires; then it changes the state through the shared
``transitions`` machine, appends the hash-chained history row and writes an outbox
event.  The caller's unit of work commits all of it, or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from transitions import MachineError

from qms.clock import Clock, local_today
from qms.errors import (
    ConfigError,
    ConflictError,
    GuardFailed,
    InvalidTransition,
    PermissionDenied,
)
from qms.models import ENGINE_COLUMNS, HistoryEntry, OutboxMessage, Person, WorkflowRecord
from qms.workflow import duties, readiness, trail
from qms.workflow import keys as trail_keys
from qms.workflow.definition import InputDef, InputType, TransitionDef, WorkflowDefinition
from qms.workflow.guards import GUARDS, GuardContext, about
from qms.workflow.inputs import coerce_inputs, jsonable
from qms.workflow.keys import Keyring
from qms.workflow.permissions import ActorRoles
from qms.workflow.registry import Registry

CREATE_TRIGGER = "create"


@dataclass(frozen=True)
class Available:
    """A trigger the actor may fire now, and what it will ask for; ``blocked`` says why a
    guard will refuse it whatever the person enters (None: it may go ahead)."""

    trigger: str
    label: str
    dest: str
    inputs: tuple[InputDef, ...]
    blocked: str | None = None


class WorkflowEngine:
    def __init__(self, registry: Registry, clock: Clock, zone: ZoneInfo, key_file: Path) -> None:
        self.registry = registry
        self.clock = clock
        self.zone = zone
        self.key_file = key_file
        self._available: dict[tuple[str, str, frozenset[str]], tuple[Available, ...]] = {}

    @property
    def keys(self) -> Keyring:
        """The trail's signing keys, read from their file (created on first use)."""
        return trail_keys.load(self.key_file)

    def keys_for(self, session: Session) -> Keyring:
        """The signing keys; a missing key file is created only while the trail holds no
        signed row, so a wrong QMS_TRAIL_KEY_FILE never starts a second key silently."""
        if not self.key_file.exists():
            signed = trail.signed_by(session)
            if signed is not None:
                raise ConfigError(
                    f"the trail key file {self.key_file} does not exist, but the trail holds "
                    f"rows signed with the key {signed!r}: point QMS_TRAIL_KEY_FILE at this "
                    "installation's key file (docs/trail.md)"
                )
        return trail_keys.load(self.key_file)

    def today(self) -> date:
        return local_today(self.clock, self.zone)

    def definition(self, session: Session, record: WorkflowRecord) -> WorkflowDefinition:
        return self.registry.by_hash(session, record.workflow_hash)

    def start(
        self, session: Session, record: WorkflowRecord, actor: Person, comment: str = ""
    ) -> HistoryEntry:
        """Put a new record in its workflow's initial state and write its first trail row."""
        defn = self.registry.for_kind(record.record_kind)
        self.registry.remember(session, defn, self.clock)
        now = self.clock.now()
        record.workflow_name, record.workflow_hash = defn.name, defn.content_hash
        record.state, record.created_at, record.updated_at = defn.initial, now, now
        record.version = 1
        session.add(record)
        session.flush()
        values = _created_with(record)
        return self._record(session, record, defn, CREATE_TRIGGER, None, actor, values, comment)

    def fire(
        self,
        session: Session,
        record: WorkflowRecord,
        trigger: str,
        actor: Person | ActorRoles,
        inputs: Mapping[str, Any] | None = None,
        comment: str = "",
        expected_version: int | None = None,
    ) -> HistoryEntry:
        """Fire ``trigger`` on ``record`` as ``actor`` (a person, or their roles already loaded)."""
        expect_version(record, expected_version)
        defn = self.definition(session, record)
        transition = self._transition(defn, record, trigger)
        today = self.today()
        roles = actor if isinstance(actor, ActorRoles) else ActorRoles.load(session, actor, today)
        self._permit(transition, record, roles)
        exception = duties.check(session, transition, record, roles)
        values = coerce_inputs(session, transition, inputs or {}, today)
        self._guard(session, defn, transition, record, values, today)
        from_state, reference = record.state, record.reference
        self._apply(session, record, transition, values)
        try:
            self.registry.machine(defn).events[trigger].trigger(record)
        except MachineError as exc:  # the definition check above makes this unexpected
            raise InvalidTransition(str(exc)) from exc
        record.updated_at = self.clock.now()
        record.version += 1  # one trail row, one version (optimistic lock on the old one)
        try:
            session.flush()
        except StaleDataError as exc:
            raise ConflictError(
                f"{reference} was changed by someone else while '{trigger}' was being fired; "
                "reload it"
            ) from exc
        if exception is not None:
            comment = duties.noted(exception, comment)
        entry = self._record(
            session, record, defn, trigger, from_state, roles.actor, jsonable(values), comment
        )
        if exception is not None:
            duties.use(exception, entry, record.updated_at)
        return entry

    def note(
        self,
        session: Session,
        record: WorkflowRecord,
        event: str,
        actor: Person,
        inputs: dict[str, Any],
        comment: str = "",
    ) -> HistoryEntry:
        """Write an event that changes no state (an edit, a team change, an exception) to
        the record's trail; its version moves by one, as for a fire."""
        defn = self.definition(session, record)
        record.updated_at = self.clock.now()
        record.version += 1
        try:
            session.flush()
        except StaleDataError as exc:
            raise ConflictError(
                f"{record.reference} was changed by someone else at the same time; nothing "
                "was saved, reload it"
            ) from exc
        return self._record(
            session, record, defn, event, record.state, actor, inputs, comment, announce=False
        )

    def available_triggers(
        self, session: Session, record: WorkflowRecord, actor: Person
    ) -> list[Available]:
        """The triggers `actor` may fire on `record` now, by state and role, each with what
        keeps it from going ahead whatever is entered (a guard, the segregation of duties)."""
        today = self.today()
        roles = ActorRoles.load(session, actor, today)
        defn = self.definition(session, record)
        found = []
        for item in self.available_for(session, record, roles):
            transition = defn.transition(record.state, item.trigger)
            assert transition is not None
            blocked = readiness.blocked(session, transition, record, roles, today)
            found.append(replace(item, blocked=blocked))
        return found

    def available_for(
        self, session: Session, record: WorkflowRecord, roles: ActorRoles
    ) -> tuple[Available, ...]:
        """As :meth:`available_triggers`, with the actor's roles loaded once for many records."""
        held = roles.on_record(record)
        key = (record.workflow_hash, record.state, held)
        found = self._available.get(key)
        if found is None:
            defn = self.definition(session, record)
            found = tuple(
                Available(t.trigger, t.label, t.dest, t.inputs)
                for t in defn.transitions_from(record.state)
                if t.roles & held
            )
            self._available[key] = found
        return found

    def _transition(
        self, defn: WorkflowDefinition, record: WorkflowRecord, trigger: str
    ) -> TransitionDef:
        transition = defn.transition(record.state, trigger)
        if transition is None:
            allowed = tuple(t.trigger for t in defn.transitions_from(record.state))
            raise InvalidTransition(
                f"'{trigger}' is not allowed on {record.reference} in state '{record.state}'; "
                f"allowed from there: {', '.join(allowed) or 'nothing (the record is closed)'}",
                **about(record, trigger, state=record.state, allowed=allowed),
            )
        return transition

    def _permit(self, transition: TransitionDef, record: WorkflowRecord, roles: ActorRoles) -> None:
        held = roles.on_record(record)
        if transition.roles & held:
            return
        where = f" of process {record.process.code}" if record.process is not None else ""
        needed, had = tuple(sorted(transition.roles)), tuple(sorted(held))
        raise PermissionDenied(  # names the actor and their roles as `processmap show` does
            f"{roles.who} may not fire '{transition.trigger}' on "
            f"{record.reference}: it needs the role {' or '.join(needed)}"
            f"{where}; on {roles.on.isoformat()} they hold {', '.join(had) or 'no role'} there",
            **about(record, transition.trigger, roles=needed, held=had, day=roles.on),
            actor=roles.actor.handle,
        )

    def _guard(
        self,
        session: Session,
        defn: WorkflowDefinition,
        transition: TransitionDef,
        record: WorkflowRecord,
        values: Mapping[str, Any],
        today: date,
    ) -> None:
        context = GuardContext(record, values, today, session)
        for name in transition.guards:
            refusal = GUARDS[name](context)
            if refusal:
                raise GuardFailed(
                    f"'{transition.trigger}' on {record.reference} refused by "
                    f"guard '{name}': {refusal}",
                    **about(record, transition.trigger, guard=name, refusal=refusal),
                )
        missing = context.missing(*defn.states[transition.dest].requires)
        if missing:
            raise GuardFailed(
                f"{record.reference} cannot enter '{transition.dest}' without {', '.join(missing)}",
                **about(record, transition.trigger, dest=transition.dest, missing=tuple(missing)),
            )

    def _apply(
        self,
        session: Session,
        record: WorkflowRecord,
        transition: TransitionDef,
        values: Mapping[str, Any],
    ) -> None:
        types = {i.name: i.type for i in transition.inputs}
        for name, value in values.items():
            if types[name] == InputType.PERSON and name.endswith("_id") and record.has_field(name):
                value = session.scalar(select(Person.id).where(Person.handle == value))
            record.set_field(name, value)

    def _record(
        self,
        session: Session,
        record: WorkflowRecord,
        defn: WorkflowDefinition,
        trigger: str,
        from_state: str | None,
        actor: Person,
        inputs: dict[str, Any],
        comment: str,
        announce: bool = True,
    ) -> HistoryEntry:
        now = self.clock.now()
        entry = trail.append(
            self.keys_for(session),
            session,
            HistoryEntry(
                record_kind=record.record_kind,
                record_id=record.id,
                trigger=trigger,
                from_state=from_state,
                to_state=record.state,
                actor=actor.handle,
                at=now,
                inputs=inputs,
                comment=comment,
                workflow_name=defn.name,
                workflow_version=defn.version,
                workflow_hash=defn.content_hash,
            ),
        )
        if not announce:  # a note, not a transition: nobody is told
            return entry
        session.connection().execute(
            _OUTBOX_INSERT,
            {
                "topic": "workflow.transition",
                "dedupe_key": f"transition:{entry.hash}",
                "payload": {
                    "record_kind": record.record_kind,
                    "record_id": record.id,
                    "trigger": trigger,
                    "from_state": from_state,
                    "to_state": record.state,
                    "actor": actor.handle,
                    "history_id": entry.id,
                },
                "created_at": now,
                "available_at": now,
            },
        )
        return entry


def expect_version(record: WorkflowRecord, expected: int | None) -> None:
    """The optimistic lock: refuse when the record moved on since the person looked at it."""
    if expected is not None and record.version != expected:
        raise ConflictError(
            f"{record.reference} was changed by someone else (version {record.version}, "
            f"you saw {expected}); reload it"
        )


_OUTBOX_INSERT = insert(cast(Table, OutboxMessage.__table__))


def _created_with(record: WorkflowRecord) -> dict[str, Any]:
    """What the record holds when it is created, for its first trail row: its columns that
    have a value and its ``data``, so that the trail tells the whole story (clause 7.5.3)."""
    table = cast(Table, record.__table__)
    skipped = ENGINE_COLUMNS | record.derived_fields
    values = {
        c.name: getattr(record, c.key)
        for c in table.columns
        if c.name not in skipped and getattr(record, c.key, None) not in (None, "")
    }
    return jsonable({**values, **(record.data or {})})
