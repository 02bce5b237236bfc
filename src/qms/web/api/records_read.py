"""The records as the API sends them: a record with its fields and links, the triggers a
person may fire on it (each blocked one said in words), its trail. Read in one session,
as far as the caller may see (:func:`qms.services.record_view.seen`: 404 for a record that
does not exist, 403 outside the caller's processes)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.models import ENGINE_COLUMNS, Person, WorkflowRecord
from qms.reporting.words import Words, readable, words_for
from qms.services import record_view, records_list, shared
from qms.web.api import schemas
from qms.web.records_view import REVIEW_KINDS, REVIEW_STEPS
from qms.web.refusals import blocked_said, voice_for
from qms.workflow import trail
from qms.workflow.engine import CREATE_TRIGGER

SKIPPED = ENGINE_COLUMNS | {"title", "process_id"}


def summary(line: records_list.Line, words: Words) -> schemas.RecordSummary:
    return schemas.RecordSummary(
        kind=line.kind,
        id=line.id,
        title=line.title,
        state=line.state,
        state_label=words.state(line.kind, line.state),
        version=line.version,
        process=line.process,
        owner=line.owner,
        due_date=line.due_date,
        created_at=line.created_at,
        updated_at=line.updated_at,
    )


def listing(
    app: Services, kind: str, handle: str, query: records_list.Query
) -> tuple[records_list.Found, Words]:
    found = records_list.records(app, kind, handle, query)
    with app.database.reading() as session:
        words = words_for(session, app.registry)
    return found, words


def record(app: Services, kind: str, record_id: int, handle: str) -> schemas.Record:
    with app.database.reading() as session:
        found, scope = record_view.seen(session, kind, record_id, handle, app.engine.today())
        links = [
            schemas.Link(
                relation=item.relation,
                kind=item.record.record_kind,
                id=item.record.id,
                title=item.record.title,
                state=item.record.state,
            )
            for item in record_view.links(session, found, scope)
        ]
        return as_record(session, app, found, links)


def as_record(
    session: Session, app: Services, found: WorkflowRecord, links: list[schemas.Link] | None = None
) -> schemas.Record:
    words = words_for(session, app.registry)
    return schemas.Record(
        kind=found.record_kind,
        id=found.id,
        reference=words.ref(found.record_kind, found.id),
        title=found.title,
        state=found.state,
        state_label=words.state(found.record_kind, found.state),
        version=found.version,
        process=found.process.code if found.process is not None else None,
        created_at=found.created_at,
        updated_at=found.updated_at,
        fields=fields_of(session, found),
        links=links or [],
    )


def fields_of(session: Session, found: WorkflowRecord) -> dict[str, Any]:
    """Its columns (a person by handle: ``owner`` for ``owner_id``), what its steps
    recorded (its ``data``) and what the database computes (an action's due date)."""
    values: dict[str, Any] = {}
    for column in cast(Table, type(found).__table__).columns:
        if column.name in SKIPPED:
            continue
        value = getattr(found, column.key)
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "person" in targets:
            person = session.get(Person, value) if value is not None else None
            values[column.name.removesuffix("_id")] = person.handle if person else None
        else:
            values[column.name] = value
    for name in sorted(type(found).computed_fields):
        values[name] = getattr(found, name)
    for name, value in sorted((found.data or {}).items()):
        values.setdefault(name, value)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def triggers(app: Services, kind: str, record_id: int, handle: str) -> schemas.Triggers:
    """What ``handle`` may fire now; a trigger that a guard would refuse whatever is sent
    says why in words (``blocked``)."""
    with app.database.reading() as session:
        found, _scope = record_view.seen(session, kind, record_id, handle, app.engine.today())
        actor = shared.person(session, handle, "actor")
        available = app.engine.available_triggers(session, found, actor)
        voice = voice_for(session, app, found)
        items = []
        for item in available:
            blocked = blocked_said(item.blocked, voice, item.trigger)
            if kind in REVIEW_KINDS:
                blocked = REVIEW_STEPS
            items.append(
                schemas.TriggerOut(
                    trigger=item.trigger,
                    label=item.label,
                    dest=item.dest,
                    dest_label=voice.words.state(kind, item.dest),
                    inputs=[
                        schemas.InputOut(
                            name=spec.name,
                            label=spec.label,
                            type=str(spec.type),
                            required=spec.required,
                            choices=list(spec.choices),
                        )
                        for spec in item.inputs
                    ],
                    blocked=blocked,
                )
            )
        return schemas.Triggers(
            kind=kind, id=found.id, state=found.state, version=found.version, triggers=items
        )


def trail_of(app: Services, kind: str, record_id: int, handle: str) -> list[schemas.TrailRow]:
    with app.database.reading() as session:
        record_view.seen(session, kind, record_id, handle, app.engine.today())
        words = words_for(session, app.registry)
        rows = []
        for row in trail.history_of(session, kind, record_id):
            definition = app.registry.by_hash(session, row.workflow_hash)
            step = next((t for t in definition.transitions if t.trigger == row.trigger), None)
            label = step.label if step else "Recorded" if row.trigger == CREATE_TRIGGER else ""
            rows.append(
                schemas.TrailRow(
                    id=row.id,
                    seq=row.seq,
                    at=row.at,
                    actor=row.actor,
                    actor_name=words.person(row.actor),
                    trigger=row.trigger,
                    label=label or readable(row.trigger),
                    from_state=row.from_state,
                    to_state=row.to_state,
                    inputs=dict(row.inputs or {}),
                    comment=row.comment,
                )
            )
        return rows
