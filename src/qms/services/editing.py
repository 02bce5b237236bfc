"""Edit a record's fields where its state allows it (``editable:`` in its workflow).

Values come as text from the CLI (or already typed from the web): each is converted to
its column's type, people looked up by handle, text checked against its column's limits;
a capability may add its own checks (an action's due date not in the past). Each edit is
one trail row; nothing is written when a value is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import HistoryEntry, WorkflowRecord
from qms.models.text import FREE_TEXT
from qms.services import shared
from qms.workflow import edits
from qms.workflow.engine import expect_version
from qms.workflow.permissions import ActorRoles

# A field a workflow names by the person it holds, and the column that keeps their id.
PERSON_FIELDS = {"owner": "owner_id", "detected_by": "detected_by_id"}

Check = Callable[[Session, WorkflowRecord, dict[str, Any], date], None]


def edit(
    app: Services,
    kind: str,
    record_id: int,
    actor: str,
    changes: Mapping[str, Any],
    comment: str = "",
    expected_version: int | None = None,
    check: Check | None = None,
) -> HistoryEntry:
    """Change ``changes`` on the record as ``actor``; returns the trail row written."""
    if not changes:
        raise ValidationError("fields", "give at least one field to change (--set FIELD=VALUE)")
    with app.database.unit_of_work() as uow:
        session = uow.session
        record = shared.record(session, kind, record_id)
        expect_version(record, expected_version)
        roles = ActorRoles.for_handle(session, actor, app.engine.today())
        edits.check(app.engine.definition(session, record), record, roles, list(changes))
        values = _typed(session, record, changes, app.engine.today())
        if check is not None:
            check(session, record, values, app.engine.today())
        different = edits.changed(record, values)
        if not different:
            raise ValidationError(
                next(iter(changes)), f"{record.reference} already holds these values"
            )
        stated = {**edits.apply(record, different), **_handles(different, changes)}
        entry = app.engine.note(session, record, edits.EDIT, roles.actor, stated, comment)
        uow.commit()
        return entry


def _handles(values: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """People as the trail states them: by handle, under their column's name."""
    return {
        column: str(changes[name]).strip()
        for name, column in PERSON_FIELDS.items()
        if column in values and name in changes
    }


def _typed(
    session: Session, record: WorkflowRecord, changes: Mapping[str, Any], today: date
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        column = PERSON_FIELDS.get(name)
        if column is not None and record.has_field(column):
            values[column] = shared.active_person(session, str(value), name, on=today).id
        elif record.has_field(name):
            values[name] = shared.typed(record, name, value)
        else:
            values[name] = shared.checked_text(FREE_TEXT, name, str(value))
    return values
