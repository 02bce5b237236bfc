"""Use cases of the workflow engine: start a record, fire a trigger, ask what may be fired.

Each runs in one unit of work: all of it commits, or none of it.  Capabilities with
rules of their own (nonconformities, actions, ...) pass a ``prepare`` step that builds
their record, or an ``after`` step that runs in the same transaction as the fire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qms.db import Database
from qms.errors import ConflictError, ValidationError
from qms.models import HistoryEntry, Person, WorkflowRecord
from qms.services import records
from qms.workflow.engine import Available, WorkflowEngine
from qms.workflow.permissions import ActorRoles

AfterFire = Callable[[Session, WorkflowRecord, HistoryEntry], None]


def active_person(session: Session, handle: str, field: str = "actor") -> Person:
    person = records.person(session, handle, field)
    if not person.active:
        raise ValidationError(field, f"'{handle}' is no longer active")
    return person


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
        record = records.model_for(kind)(title=title, data={})
        if process is not None:
            record.process_id = records.process(session, process).id
        allowed = engine.registry.for_kind(kind).fields
        for name, value in fields.items():
            if name not in allowed:
                raise ValidationError(
                    name, f"not a field of {kind} (its fields: {', '.join(allowed)})"
                )
            record.set_field(name, records.typed(record, name, value))
        return record

    return start_with(database, engine, actor, prepare, comment)


def start_with(
    database: Database,
    engine: WorkflowEngine,
    actor: str,
    prepare: Callable[[Session], WorkflowRecord],
    comment: str = "",
) -> WorkflowRecord:
    """Start the record ``prepare`` builds (and checks) in the same transaction."""
    with database.unit_of_work() as uow:
        person = active_person(uow.session, actor)
        record = prepare(uow.session)
        engine.start(uow.session, record, person, comment)
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
    with database.unit_of_work() as uow:
        session = uow.session
        record = records.record(session, kind, record_id)
        roles = ActorRoles.for_handle(session, actor, engine.today())
        entry = engine.fire(session, record, trigger, roles, inputs, comment, expected_version)
        if after is not None:
            after(session, record, entry)
        _commit(uow.commit, record.reference)
        return entry


def available(
    database: Database, engine: WorkflowEngine, kind: str, record_id: int, actor: str
) -> list[Available]:
    with database.reading() as session:
        record = records.record(session, kind, record_id)
        return engine.available_triggers(session, record, records.person(session, actor, "actor"))


def _commit(commit: Callable[[], None], reference: str) -> None:
    try:
        commit()
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(
            f"{reference} was changed by someone else at the same time; nothing was saved, "
            "reload it"
        ) from exc
