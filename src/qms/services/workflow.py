"""Use cases of the workflow engine: start a record, fire a trigger, ask what may be fired.

Each runs in one unit of work: all of it commits, or none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from qms.db import Database
from qms.errors import ConflictError, ValidationError
from qms.models import HistoryEntry, WorkflowRecord
from qms.services import records
from qms.workflow.engine import Available, WorkflowEngine


def start(
    database: Database,
    engine: WorkflowEngine,
    kind: str,
    actor: str,
    *,
    process: str | None = None,
    title: str = "",
    comment: str = "",
    **fields: Any,
) -> WorkflowRecord:
    """Create a record of ``kind`` in its workflow's initial state; returns it (committed)."""
    with database.unit_of_work() as uow:
        session = uow.session
        person = records.person(session, actor, "actor")
        if not person.active:
            raise ValidationError("actor", f"'{actor}' is no longer active")
        record = records.model_for(kind)(title=title, data={})
        if process is not None:
            record.process_id = records.process(session, process).id
        for name, value in fields.items():
            record.set_field(name, value)
        engine.start(session, record, person, comment)
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
) -> HistoryEntry:
    """Fire ``trigger`` on a record as ``actor``; returns the history row written."""
    with database.unit_of_work() as uow:
        session = uow.session
        record = records.record(session, kind, record_id)
        person = records.person(session, actor, "actor")
        entry = engine.fire(session, record, trigger, person, inputs, comment, expected_version)
        _commit(uow.commit, record.reference)
        return entry


def available(
    database: Database, engine: WorkflowEngine, kind: str, record_id: int, actor: str
) -> list[Available]:
    with database.reading() as session:
        record = records.record(session, kind, record_id)
        return engine.available_triggers(session, record, records.person(session, actor, "actor"))


def _commit(commit: Any, reference: str) -> None:
    try:
        commit()
    except (StaleDataError, IntegrityError) as exc:
        raise ConflictError(
            f"{reference} was changed by someone else at the same "
            "time; nothing was saved, reload it"
        ) from exc
