"""Look-ups every capability needs: people by handle, processes by code, records by kind and id."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import NotFound, ValidationError
from qms.models import RECORD_MODELS, Person, Process, WorkflowRecord


def person(session: Session, handle: str, field: str = "person") -> Person:
    found = session.scalar(select(Person).where(Person.handle == handle))
    if found is None:
        raise ValidationError(field, f"unknown person '{handle}'")
    return found


def process(session: Session, code: str, field: str = "process") -> Process:
    found = session.scalar(select(Process).where(Process.code == code))
    if found is None:
        raise ValidationError(field, f"unknown process '{code}'")
    if found.retired_on is not None:
        raise ValidationError(field, f"process '{code}' was retired on {found.retired_on}")
    return found


def typed(record: WorkflowRecord, name: str, value: Any) -> Any:
    """``value`` converted to the type of the record's column ``name`` (text from the CLI)."""
    column = record.__table__.columns.get(name)
    if column is None or not isinstance(value, str):
        return value
    python_type = column.type.python_type
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
