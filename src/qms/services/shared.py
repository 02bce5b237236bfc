"""What every capability shares: look-ups of people, processes and records; checks of
typed values; and the generic use cases of the engine (start a record, fire a trigger, ask
what may be fired).

Each use case runs in one unit of work: all of it commits, or none of it.  Capabilities
with rules of their own (nonconformities, audits, ...) pass a ``prepare`` step that builds
their record, or an ``after`` step that runs in the same transaction as the fire.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qms.db import Database
from qms.errors import ConflictError, NotFound, ValidationError
from qms.models import RECORD_MODELS, Base, HistoryEntry, Person, Process, WorkflowRecord
from qms.models.text import FREE_TEXT, IDENTIFIER, TextRule, rule_for
from qms.workflow.engine import Available, WorkflowEngine
from qms.workflow.permissions import ActorRoles


def person(session: Session, handle: str, field: str = "person") -> Person:
    looked_up(field, handle)
    found = session.scalar(select(Person).where(Person.handle == handle))
    if found is None:
        raise ValidationError(field, f"unknown person '{handle}'")
    return found


def process(session: Session, code: str, field: str = "process", on: date | None = None) -> Process:
    """The process of that code, unless it is retired (on ``on``: one retiring later still
    takes records until then; without a day, any retirement date refuses it)."""
    looked_up(field, code)
    found = session.scalar(select(Process).where(Process.code == code))
    if found is None:
        raise ValidationError(field, f"unknown process '{code}'")
    if found.retired_on is not None and (on is None or found.retired_on <= on):
        raise ValidationError(field, f"process '{code}' was retired on {found.retired_on}")
    return found


_process = process  # start() takes a ``process`` code argument that shadows the look-up


def typed(record: WorkflowRecord, name: str, value: Any) -> Any:
    """``value`` converted to the type of the record's column ``name`` (text from the CLI)."""
    column = record.__table__.columns.get(name)
    if column is None or not isinstance(value, str):
        return value
    python_type = column.type.python_type
    if python_type is str:
        return text_for(type(record), name, value)
    try:
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is bool:
            return value.strip().lower() in ("yes", "true", "1", "y")
        if python_type is int:
            return int(value)
    except ValueError:
        raise ValidationError(name, f"{value!r} is not a {python_type.__name__}") from None
    return value


def model_for(kind: str) -> type[WorkflowRecord]:
    try:
        return RECORD_MODELS[kind]
    except KeyError:
        raise ValidationError(
            "kind", f"unknown record kind '{kind}' (known: {', '.join(sorted(RECORD_MODELS))})"
        ) from None


def record(session: Session, kind: str, record_id: int) -> WorkflowRecord:
    found = session.get(model_for(kind), record_id)
    if found is None:
        raise NotFound(f"no {kind} #{record_id}")
    return found


def one_of(field: str, value: str, allowed: type[enum.StrEnum] | list[str]) -> str:
    names = [str(v) for v in allowed]
    if value not in names:
        raise ValidationError(field, f"{value!r} is not one of {', '.join(names)}")
    return value


def required_text(
    field: str, value: str | None, column: tuple[type[Base], str] | None = None
) -> str:
    """``value`` stripped, refused when empty; checked against ``column`` (model, name)
    when given, as free text otherwise."""
    if value is None or not value.strip():
        raise ValidationError(field, "is required")
    if column is None:
        return checked_text(FREE_TEXT, field, value)
    return text_for(*column, value, field)


# Text that reaches a column (qms.models.text has the rules).


def text_for(model: type[Base], column: str, value: str | None, field: str | None = None) -> str:
    """``value`` stripped and checked against ``model``'s column ``column``: its length
    (the column's own), and no control or (in names, handles, codes) bidi character;
    a ValidationError naming ``field`` (default: the column) otherwise."""
    return checked_text(rule_for(model, column), field or column, value)


def checked_text(rule: TextRule, field: str, value: str | None) -> str:
    """``value`` stripped and checked against ``rule``; a ValidationError naming ``field``."""
    if value is None:
        return ""
    problem = rule.character_problem(value) or rule.length_problem(value.strip())
    if problem is not None:
        raise ValidationError(field, problem)
    return value.strip()


def looked_up(field: str, key: str) -> str:
    """A handle or code given to look something up: no control or bidi character (a NUL
    would reach PostgreSQL as a driver error)."""
    problem = IDENTIFIER.character_problem(key)
    if problem is not None:
        raise ValidationError(field, problem)
    return key


def spec_text(rule: TextRule) -> BeforeValidator:
    """A file schema's check of a text field against ``rule`` (``rule_for(Model, column)``
    or ``FREE_TEXT``), run before its pattern so the message says what is wrong:
    ``name: Annotated[str, spec_text(rule_for(Person, "name"))]``."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            problem = rule.problem(value)
            if problem is not None:
                raise PydanticCustomError("text", problem)
        return value

    return BeforeValidator(check)


SpecFreeText = Annotated[str, spec_text(FREE_TEXT)]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the last day of the month when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))


# The engine's use cases, for every record kind.

AfterFire = Callable[[Session, WorkflowRecord, HistoryEntry], None]


def active_person(session: Session, handle: str, field: str = "actor", *, on: date) -> Person:
    """The person named by ``handle``, refused unless active on ``on`` (clause 5.3: one
    who leaves the process map on a later date still acts until then)."""
    found = person(session, handle, field)
    if not found.active_on(on):
        raise ValidationError(
            field, f"'{handle}' is no longer active (since {found.inactive_from})"
        )
    return found


def start(
    database: Database,
    engine: WorkflowEngine,
    kind: str,
    actor: str,
    /,
    *,
    process: str | None = None,
    title: str = "",
    comment: str = "",
    **fields: Any,
) -> WorkflowRecord:
    """Create a record of ``kind`` in its workflow's initial state; returns it (committed)."""

    def prepare(session: Session) -> WorkflowRecord:
        model = model_for(kind)
        record = model(title=text_for(model, "title", title), data={})
        if process is not None:
            record.process_id = _process(session, process).id
        allowed = engine.registry.for_kind(kind).fields
        for name, value in fields.items():
            if name not in allowed:
                raise ValidationError(
                    name, f"not a field of {kind} (its fields: {', '.join(allowed)})"
                )
            value = typed(record, name, value)
            if isinstance(value, str) and not record.has_field(name):  # kept in its JSON data
                value = checked_text(FREE_TEXT, name, value)
            record.set_field(name, value)
        return record

    return start_with(database, engine, actor, prepare, comment)


def start_with(
    database: Database,
    engine: WorkflowEngine,
    actor: str,
    prepare: Callable[[Session], WorkflowRecord],
    comment: str = "",
    after: Callable[[Session, WorkflowRecord, Person], None] | None = None,
) -> WorkflowRecord:
    """Start the record ``prepare`` builds (and checks) in the same transaction, and what
    ``after`` writes once it exists (a note on the record it comes from)."""
    _comment(comment)
    with database.unit_of_work() as uow:
        person = active_person(uow.session, actor, on=engine.today())
        record = prepare(uow.session)
        engine.start(uow.session, record, person, comment)
        if after is not None:
            after(uow.session, record, person)
        _commit(uow.commit, record.reference)
        return record


def fire(
    database: Database,
    engine: WorkflowEngine,
    kind: str,
    record_id: int,
    trigger: str,
    actor: str,
    inputs: Mapping[str, Any] | None = None,
    comment: str = "",
    expected_version: int | None = None,
    after: AfterFire | None = None,
) -> HistoryEntry:
    """Fire ``trigger`` on a record as ``actor``; returns the history row written."""
    _comment(comment)
    looked_up("actor", actor)
    with database.unit_of_work() as uow:
        session = uow.session
        found = record(session, kind, record_id)
        roles = ActorRoles.for_handle(session, actor, engine.today())
        entry = engine.fire(session, found, trigger, roles, inputs, comment, expected_version)
        if after is not None:
            after(session, found, entry)
        _commit(uow.commit, found.reference)
        return entry


def available(
    database: Database, engine: WorkflowEngine, kind: str, record_id: int, actor: str
) -> list[Available]:
    with database.reading() as session:
        found = record(session, kind, record_id)
        return engine.available_triggers(session, found, person(session, actor, "actor"))


def _comment(comment: str) -> None:
    """A fire's comment goes to the trail (a Text column): any length, no control character."""
    checked_text(rule_for(HistoryEntry, "comment"), "comment", comment)


def _commit(commit: Callable[[], None], reference: str) -> None:
    try:
        commit()
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(
            f"{reference} was changed by someone else at the same time; nothing was saved, "
            "reload it"
        ) from exc
