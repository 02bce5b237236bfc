"""The forms that open a record: a new nonconformity (``qms nc new``) and a new improvement
action (``qms action new``).

A route reads the form, checks what the page offered (a process of the person's, a person
of that process, dates as dates) and hands the rest to the service, which checks every
field before anything is written; a refusal comes back next to its field, with what the
person typed. A record created answers 303 to its page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from qms.errors import ConflictError, ValidationError
from qms.services.capa import actions, nonconformities
from qms.services.capa.vocabulary import ActionKind, NcSource, Origin, Priority
from qms.web.auth import Me
from qms.web.forms_common import (
    Choices,
    FormState,
    check_person_of,
    check_process,
    choices,
    labelled,
    parse_day,
    role_label,
)
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()


class NcFields(BaseModel):
    title: str = ""
    description: str = ""
    process: str = ""
    source: str = NcSource.OTHER.value
    severity: str = ""
    detected_on: str = ""
    detected_by: str = ""
    reference: str = ""


class ActionFields(BaseModel):
    title: str = ""
    description: str = ""
    process: str = ""
    owner: str = ""
    due_date: str = ""
    kind: str = ActionKind.IMPROVEMENT.value
    priority: str = Priority.NORMAL.value
    origin: str = Origin.SUGGESTION.value
    origin_ref: str = ""
    effectiveness_criteria: str = ""
    effectiveness_check_date: str = ""


# --- a new nonconformity ---------------------------------------------------------------


@router.get("/nonconformities/new", response_class=HTMLResponse)
def nc_form(request: Request, me: Me, process: str = "", source: str = "") -> HTMLResponse:
    app = services_of(request)
    values = NcFields(process=process, source=source or NcSource.OTHER.value).model_dump()
    values.update(severity=app.settings.severities[-1], detected_by=me.handle)
    values["detected_on"] = app.engine.today().isoformat()
    return _nc_page(request, me, FormState(values), 200)


@router.post("/nonconformities/new", response_class=HTMLResponse)
def nc_create(request: Request, me: Me, fields: Annotated[NcFields, Form()]) -> Response:
    app = services_of(request)
    state = FormState({k: v.strip() for k, v in fields.model_dump().items()})
    values, options = state.values, _options(request, me)
    checks = [
        lambda: check_process(options, values["process"]),
        lambda: _check_people(request, options, values, "detected_by", me.handle),
        lambda: parse_day(values["detected_on"], "detected_on"),
    ]
    record = _checked(state, checks) and _created(
        state, lambda: nonconformities.new(app, me.handle, _nc_spec(fields, values))
    )
    if not record:
        return _nc_page(request, me, state, state.status, options)
    return RedirectResponse(f"/records/nonconformity/{record}", status_code=303)


def _nc_spec(fields: NcFields, values: dict[str, str]) -> nonconformities.NewNonconformity:
    return nonconformities.NewNonconformity(
        title=fields.title,
        process=values["process"],
        description=fields.description,
        source=values["source"],
        severity=values["severity"] or None,
        detected_on=parse_day(values["detected_on"], "detected_on"),
        detected_by=values["detected_by"] or None,
        reference=fields.reference,
    )


def _nc_page(
    request: Request, me: Me, state: FormState, status: int, options: Choices | None = None
) -> HTMLResponse:
    app = services_of(request)
    context = {
        **_common(request, me, state, options),
        "sources": labelled("source", [s.value for s in NcSource]),
        "severities": labelled("severity", list(app.settings.severities)),
    }
    return page(request, "forms/nonconformity.html", context, status)


# --- a new improvement action -----------------------------------------------------------


@router.get("/actions/new", response_class=HTMLResponse)
def action_form(
    request: Request,
    me: Me,
    process: str = "",
    kind: str = "",
    origin: str = "",
    origin_ref: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    values = ActionFields(
        process=process,
        kind=kind or ActionKind.IMPROVEMENT.value,
        origin=origin or Origin.SUGGESTION.value,
        origin_ref=origin_ref,
    ).model_dump()
    return _action_page(request, me, FormState(values), 200)


@router.post("/actions/new", response_class=HTMLResponse)
def action_create(request: Request, me: Me, fields: Annotated[ActionFields, Form()]) -> Response:
    app = services_of(request)
    state = FormState({k: v.strip() for k, v in fields.model_dump().items()})
    values, options = state.values, _options(request, me)
    checks = [
        lambda: check_process(options, values["process"]),
        lambda: _check_people(request, options, values, "owner", None),
        lambda: _due(values),
        lambda: parse_day(values["effectiveness_check_date"], "effectiveness_check_date"),
    ]
    record = _checked(state, checks) and _created(
        state, lambda: actions.new(app, me.handle, _action_spec(fields, values))
    )
    if not record:
        return _action_page(request, me, state, state.status, options)
    return RedirectResponse(f"/records/improvement_action/{record}", status_code=303)


def _due(values: dict[str, str]) -> date:
    found = parse_day(values["due_date"], "due_date")
    if found is None:
        raise ValidationError("due_date", _("give the date it is due by"))
    return found


def _action_spec(fields: ActionFields, values: dict[str, str]) -> actions.NewAction:
    return actions.NewAction(
        title=fields.title,
        process=values["process"],
        owner=values["owner"],
        due_date=_due(values),
        kind=values["kind"],
        description=fields.description,
        priority=values["priority"],
        origin=values["origin"],
        origin_ref=values["origin_ref"],
        effectiveness_criteria=fields.effectiveness_criteria,
        effectiveness_check_date=parse_day(
            values["effectiveness_check_date"], "effectiveness_check_date"
        ),
    )


def _action_page(
    request: Request, me: Me, state: FormState, status: int, options: Choices | None = None
) -> HTMLResponse:
    context = {
        **_common(request, me, state, options),
        "kinds": labelled("action_kind", [k.value for k in ActionKind]),
        "priorities": labelled("priority", [p.value for p in Priority]),
        "origins": labelled("origin", [o.value for o in Origin]),
    }
    return page(request, "forms/action.html", context, status)


# --- the people of a process (htmx: the chooser follows the process chosen) -------------


@router.get("/forms/people", response_class=HTMLResponse)
def people_field(
    request: Request,
    me: Me,
    process: str = "",
    field: str = "owner",
    owner: Annotated[str, Query(max_length=64)] = "",
    detected_by: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The people chooser alone, for the process chosen (swapped in by htmx)."""
    name = "detected_by" if field == "detected_by" else "owner"
    value = detected_by or me.handle if name == "detected_by" else owner
    context = {**_common(request, me, FormState({"process": process, name: value})), "name": name}
    return page(request, "forms/people_field.html", context)


# --- shared by both forms ------------------------------------------------------------------


def _options(request: Request, me: Me) -> Choices:
    app = services_of(request)
    with app.database.reading() as session:
        return choices(session, me.person_id, app.engine.today())


def _check_people(
    request: Request, options: Choices, values: dict[str, str], name: str, default: str | None
) -> str | None:
    """The person chosen for ``name``, one of the process's people (or ``default``: the
    signed-in person, who may log what they saw on any process they can choose)."""
    handle = values[name]
    if default is not None and handle in ("", default):
        return default
    if values["process"] not in options.codes():
        return None  # the process's own error says it
    with services_of(request).database.reading() as session:
        return check_person_of(session, options, values["process"], handle, name)


def _checked(state: FormState, checks: Sequence[Callable[[], object]]) -> bool:
    """Run every check, keeping each field's first refusal; True when none refused."""
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            state.refuse(exc)
    return not state.refused


def _created(state: FormState, create: Callable[[], object]) -> int | None:
    """The id of the record ``create`` wrote, or None with the refusal in ``state``
    (a field's, or the form's when the service names no field of the form)."""
    try:
        record = create()
    except ValidationError as exc:
        state.refuse(exc)
        return None
    except ConflictError:
        state.message = _("Changed by someone else at the same time: reload and try again.")
        state.conflict = True
        return None
    record_id: int = getattr(record, "id")  # noqa: B009 - both record models have an id
    return record_id


def _common(
    request: Request, me: Me, state: FormState, options: Choices | None = None
) -> dict[str, object]:
    app = services_of(request)
    options = options or _options(request, me)
    chosen = state.values.get("process", "")
    return {
        "state": state,
        "processes": options.processes,
        "people": options.people,
        "chosen": chosen if chosen in options.codes() else "",
        "role_label": role_label,
        "today": app.engine.today().isoformat(),
        "me": me,
    }
