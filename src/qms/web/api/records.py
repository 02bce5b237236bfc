"""Records of every kind: list, read, the triggers one may fire, fire one, the trail.

A trigger is fired through the service ``qms record fire`` calls for that kind of record
(a nonconformity's repeat detection, an audit's report frozen on issue), as the token's
person, with the version the caller saw (``expected_version``: 409 when the record moved
on since). A refusal of the engine is said in words, as on the record's page. Reviews move
with their own steps (``qms review``), not through ``fire``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from qms.bootstrap import Services
from qms.errors import NotFound, ValidationError, WorkflowError
from qms.models import HistoryEntry
from qms.services import record_view, records_list, shared
from qms.services.audits import service as audits
from qms.services.capa import nonconformities
from qms.web.api import records_read, schemas
from qms.web.api.auth import Caller, Guarded, services_of
from qms.web.api.problems import documented
from qms.web.records_view import REVIEW_KINDS, REVIEW_STEPS
from qms.web.refusals import in_words, voice_for

router = APIRouter(route_class=Guarded, tags=["records"])
READ = documented(401, 403, 404, 422)
WRITE = documented(400, 401, 403, 404, 409, 413, 422)
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Trigger = Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


def _cursor(after: int) -> str:
    return base64.urlsafe_b64encode(f"id<{after}".encode()).decode().rstrip("=")


def _after(cursor: str) -> int:
    """The id a cursor continues after (a cursor is opaque to the caller)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("id<") or not text[3:].isdigit() or len(text) > 16:
            raise ValueError(text)
        return int(text[3:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("cursor", "not a cursor this API gave") from None


@router.get(
    "/records/{kind}", summary="List records", response_model=schemas.RecordList, responses=READ
)
def list_records(
    request: Request,
    bearer: Caller,
    kind: schemas.Kind,
    process: Annotated[str | None, Query(max_length=64, description="A process code.")] = None,
    state: Annotated[
        list[Annotated[str, Query(max_length=40)]] | None,
        Query(description="Repeatable: any of these states."),
    ] = None,
    owner: Annotated[str | None, Query(max_length=64, description="A handle.")] = None,
    overdue: Annotated[bool, Query(description="Only the late ones.")] = False,
    since: Annotated[date | None, Query(description="Created (detected) on or after.")] = None,
    until: Annotated[date | None, Query(description="Created (detected) on or before.")] = None,
    limit: Annotated[int, Query(ge=1, le=records_list.MOST)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=40, description="next_cursor of the page before (then no offset)."),
    ] = None,
) -> schemas.RecordList:
    """The records of a kind the caller may see, newest first, a page at a time."""
    after = _after(cursor) if cursor else None
    query = records_list.Query(
        process=process,
        states=tuple(state or ()),
        owner=owner,
        overdue=overdue,
        since=since,
        until=until,
        limit=limit,
        offset=0 if after is not None else offset,
        after=after,
    )
    found, words = records_read.listing(services_of(request), str(kind), bearer.handle, query)
    last = found.lines[-1].id if found.lines else None
    return schemas.RecordList(
        items=[records_read.summary(line, words) for line in found.lines],
        total=found.total,
        limit=limit,
        offset=None if after is not None else offset,
        next_cursor=_cursor(last) if found.more and last is not None else None,
    )


@router.get(
    "/records/{kind}/{record_id}",
    summary="Read a record",
    response_model=schemas.Record,
    responses=READ,
)
def read_record(
    request: Request, bearer: Caller, kind: schemas.Kind, record_id: RecordId
) -> schemas.Record:
    """One record: its state, version, fields and the records linked to it."""
    return records_read.record(services_of(request), str(kind), record_id, bearer.handle)


@router.get(
    "/records/{kind}/{record_id}/triggers",
    summary="What may be fired",
    response_model=schemas.Triggers,
    responses=READ,
)
def record_triggers(
    request: Request, bearer: Caller, kind: schemas.Kind, record_id: RecordId
) -> schemas.Triggers:
    """What the caller may fire on the record now, what each asks for, and why one would be
    refused whatever is sent (``blocked``)."""
    return records_read.triggers(services_of(request), str(kind), record_id, bearer.handle)


@router.get(
    "/records/{kind}/{record_id}/trail",
    summary="A record's trail",
    response_model=list[schemas.TrailRow],
    responses=READ,
)
def record_trail(
    request: Request, bearer: Caller, kind: schemas.Kind, record_id: RecordId
) -> list[schemas.TrailRow]:
    """The record's history: who, when, from which state to which, with which inputs."""
    return records_read.trail_of(services_of(request), str(kind), record_id, bearer.handle)


@router.post(
    "/records/{kind}/{record_id}/fire/{trigger}",
    summary="Fire a trigger",
    response_model=schemas.Fired,
    responses=WRITE,
)
def fire_trigger(
    request: Request,
    bearer: Caller,
    kind: schemas.Kind,
    record_id: RecordId,
    trigger: Trigger,
    body: schemas.Fire,
) -> schemas.Fired:
    """Fire a trigger as the caller: 409 when the record is no longer at
    ``expected_version`` (someone changed it) or its state does not allow the trigger."""
    app = services_of(request)
    entry = fire(app, str(kind), record_id, trigger, bearer.handle, body)
    return schemas.Fired(
        kind=entry.record_kind,
        id=entry.record_id,
        trigger=entry.trigger,
        from_state=entry.from_state,
        to_state=entry.to_state,
        version=entry.seq,
        trail_id=entry.id,
    )


def fire(
    app: Services, kind: str, record_id: int, trigger: str, actor: str, body: schemas.Fire
) -> HistoryEntry:
    with app.database.reading() as session:
        found, _scope = record_view.seen(session, kind, record_id, actor, app.engine.today())
        if kind in REVIEW_KINDS:
            raise ValidationError("kind", REVIEW_STEPS)
        steps = app.engine.definition(session, found).transitions
        if all(step.trigger != trigger for step in steps):
            raise NotFound(f"{found.reference} has no trigger called '{trigger}'")
    try:
        return _fire(app, kind, record_id, trigger, actor, body)
    except WorkflowError as refused:
        with app.database.reading() as session:
            voice = voice_for(session, app, shared.record(session, kind, record_id))
        raise in_words(refused, voice) from refused


def _fire(
    app: Services,
    kind: str,
    record_id: int,
    trigger: str,
    actor: str,
    body: schemas.Fire,
) -> HistoryEntry:
    inputs, comment, version = body.inputs, body.comment, body.expected_version
    if kind == "nonconformity":
        return nonconformities.fire(app, record_id, trigger, actor, inputs, comment, version)
    if kind == "internal_audit":
        return audits.fire(app, record_id, trigger, actor, inputs, comment, version)
    return shared.fire(
        app.database, app.engine, kind, record_id, trigger, actor, inputs, comment, version
    )
