"""The audit programme (clause 9.2.2 a): ``/audits`` shows a cycle's programme as a calendar
(months across, processes down) and as a table, with its audits planned, started, done and
late; it plans the programme from the risk-based proposal, edits the draft (move, add,
remove an audit) and a director approves it; ``/audits/calendar.ics`` is the cycle's
calendar (``qms audit calendar``). Each audit's page is in :mod:`qms.web.audits_audit`.

Every change is one call of the service ``qms audit programme`` calls, as the signed-in
person; a refusal comes back on its form, in words, with nothing written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.errors import (
    GuardFailed,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
    WorkflowError,
)
from qms.services.audits import pages, pages_access, pages_calendar
from qms.services.audits import programme as service
from qms.services.audits.common import programme_of
from qms.web import audits_audit, refusals
from qms.web.audits_common import (
    AUDIT_TYPES,
    Refusal,
    coordinating,
    cycle_of,
    done_said,
    refused,
    status_class,
    status_label,
)
from qms.web.auth import Me
from qms.web.forms_common import in_words, parse_day
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()

Text = Annotated[str, Form(max_length=20_000)]
Handle = Annotated[str, Form(max_length=64)]


@router.get("/audits", response_class=HTMLResponse)
def programme_page(
    request: Request, me: Me, cycle: int | None = None, done: str | None = None
) -> HTMLResponse:
    return _page(request, me, cycle_of(services_of(request), cycle), Refusal(), done)


@router.get("/audits/calendar.ics")
def cycle_calendar(request: Request, me: Me, cycle: int | None = None) -> Response:
    app = services_of(request)
    year = cycle_of(app, cycle)
    data = pages_calendar.cycle_calendar(app, me.handle, year)
    return _ics(data, f"audits-{year}.ics")


def _ics(data: bytes, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="text/calendar; charset=utf-8", headers=headers)


@router.post("/audits/programme/plan", response_class=HTMLResponse)
def plan(
    request: Request,
    me: Me,
    cycle: Annotated[int, Form()],
    again: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Plan the cycle's programme as a draft (``qms audit programme plan``); ``again``
    proposes a draft with no audit scheduled again from scratch (``--replace``)."""
    app = services_of(request)
    with _coordinating(request, _("plan the audit programme")):
        found = refused("plan", {}, (), lambda: service.plan(app, me.handle, cycle, bool(again)))
    return _then(request, me, cycle, found, "planned")


@router.post("/audits/programme/add", response_class=HTMLResponse)
def add(
    request: Request,
    me: Me,
    cycle: Annotated[int, Form()],
    process: Handle = "",
    on: Handle = "",
    lead: Handle = "",
) -> Response:
    """Add an audit to the draft (``qms audit programme add``)."""
    app = services_of(request)
    values = {"process": process, "on": on, "lead": lead}
    if process:
        pages_access.seen_process(app, me.handle, process)

    def call() -> object:
        day = parse_day(on, "on")
        if day is None:
            return refused_day("add", values)
        return service.add_entry(app, me.handle, cycle, process, day, lead or None)

    with _coordinating(request, _("edit the audit programme")):
        found = refused("add", values, ("process", "on", "lead"), call)
    return _then(request, me, cycle, found, "added")


@router.post("/audits/programme/entries/{entry_id}/move", response_class=HTMLResponse)
def move(request: Request, me: Me, entry_id: int, on: Handle = "", lead: Handle = "") -> Response:
    """Move a draft's audit to another day, or give it another lead (``... move``)."""
    app = services_of(request)
    cycle = pages_access.seen_entry(app, me.handle, entry_id)
    values = {"on": on, "lead": lead}
    where = f"move-{entry_id}"

    def call() -> object:
        day = parse_day(on, "on")
        return service.edit_entry(app, me.handle, entry_id, day, lead or None)

    with _coordinating(request, _("edit the audit programme")):
        found = refused(where, values, ("on", "lead"), call)
    return _then(request, me, cycle, found, "moved")


@router.post("/audits/programme/entries/{entry_id}/remove", response_class=HTMLResponse)
def remove(request: Request, me: Me, entry_id: int) -> Response:
    """Remove an audit from the draft (``qms audit programme remove``)."""
    app = services_of(request)
    cycle = pages_access.seen_entry(app, me.handle, entry_id)
    with _coordinating(request, _("edit the audit programme")):
        found = refused(
            f"move-{entry_id}", {}, (), lambda: service.remove_entry(app, me.handle, entry_id)
        )
    return _then(request, me, cycle, found, "removed")


@router.post("/audits/programme/approve", response_class=HTMLResponse)
def approve(
    request: Request, me: Me, cycle: Annotated[int, Form()], approval_note: Text = ""
) -> Response:
    """A director approves the draft (the programme's ``approve`` step, clause 9.2.2 a);
    anyone else is refused in words (403), nothing written."""
    app = services_of(request)
    values = {"approval_note": approval_note}
    try:
        service.fire(app, cycle, "approve", me.handle, values)
    except ValidationError as exc:  # an input the step requires is empty
        said = _("Say which resources are granted, and any remark.")
        if exc.field != "approval_note":
            said = in_words(exc)
        return _page(request, me, cycle, Refusal("approve", "", {exc.field: said}, values), None)
    except WorkflowError as exc:
        with app.database.reading() as session:
            voice = refusals.voice_for(session, app, programme_of(session, cycle))
        said = refusals.said(exc, voice)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        if isinstance(exc, GuardFailed) and exc.missing:
            found = Refusal("approve", "", {"approval_note": said}, values, status)
        elif isinstance(exc, GuardFailed | InvalidTransition | PermissionDenied):
            found = Refusal("approve", said, {}, values, status)
        else:
            raise
        return _page(request, me, cycle, found, None)
    return RedirectResponse(f"/audits?cycle={cycle}&done=approved#main", status_code=303)


def refused_day(where: str, values: dict[str, str]) -> Refusal:
    return Refusal(where, "", {"on": _("give the day of the audit")}, values)


def _coordinating(request: Request, what: str):  # type: ignore[no-untyped-def]
    app = services_of(request)
    return coordinating(what, app.engine.today(), app.settings.date_format)


def _then(request: Request, me: Me, cycle: int, found: object, done: str) -> Response:
    """The programme's page again: with the refusal, or (303) once it is done."""
    if isinstance(found, Refusal):
        return _page(request, me, cycle, found, None)
    return RedirectResponse(f"/audits?cycle={cycle}&done={done}#main", status_code=303)


def _page(request: Request, me: Me, cycle: int, refusal: Refusal, done: str | None) -> HTMLResponse:
    view = pages.programme_view(services_of(request), me.handle, cycle)
    triggers = {t.trigger: t for t in view.triggers}
    context = {
        "view": view,
        "approve": triggers.pop("approve", None),
        "steps": [t for t in triggers.values() if t.blocked is None],
        "refusal": refusal,
        "flash": done_said(done),
        "status_label": status_label,
        "status_class": status_class,
        "audit_types": AUDIT_TYPES,
    }
    return page(request, "audits/programme.html", context, refusal.status if refusal else 200)


router.include_router(audits_audit.router)
