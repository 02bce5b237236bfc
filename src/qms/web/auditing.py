"""The internal auditor's screens (clause 9.2.2 d-f): "My audits" and an audit's checklist.

``/auditing`` lists the audits the signed-in person is on the team of. ``/auditing/{id}``
is the checklist as a form for a tablet: one card a question, each card its own small form
(``POST /auditing/{id}/items/{position}``) saved as the auditor goes. With htmx the card is
posted in place and comes back re-rendered, "Saved" with the time, or with the refusal next
to its field (answered 200 so that htmx swaps it in: nothing was written); without
JavaScript the post answers 303 back to the card's anchor, or the whole page with the
refusal (400). The lead auditor opens the audit (its ``start`` step) from this page; a
quality manager or correspondent prepares its checklist here. Findings are in
:mod:`qms.web.auditing_findings`, the report in :mod:`qms.web.auditing_report`; every rule
is the services' (:mod:`qms.services.audits`), called as the signed-in person.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from qms.errors import ConflictError, GuardFailed, ValidationError
from qms.services.audits import auditor_pages
from qms.services.audits import checklist as audits_checklist
from qms.web import auditing_findings, auditing_report, records_form
from qms.web.auditing_common import ANSWERS, KIND, said, step_or_none
from qms.web.auth import Me
from qms.web.i18n import _
from qms.web.pages import page, partial
from qms.web.security import services_of

router = APIRouter()
router.include_router(auditing_findings.router)
router.include_router(auditing_report.router)

ITEM_FIELDS = ("answer", "evidence", "reason")
TEXT_MAX = 20_000  # a form field's length before the service's own limits


@router.get("/auditing", response_class=HTMLResponse)
def mine(request: Request, me: Me) -> HTMLResponse:
    audits = auditor_pages.my_audits(services_of(request), me.handle)
    upcoming = [a for a in audits if not a.done]
    done = [a for a in audits if a.done]
    return page(request, "auditing/mine.html", {"upcoming": upcoming, "done": done})


@router.get("/auditing/{audit_id}", response_class=HTMLResponse)
def checklist(request: Request, audit_id: int, me: Me, saved: int | None = None) -> HTMLResponse:
    return _checklist(request, audit_id, me.handle, saved=saved)


def _checklist(
    request: Request, audit_id: int, handle: str, status: int = 200, **shown: Any
) -> HTMLResponse:
    """The checklist page; ``shown`` holds what a refused post puts back on it."""
    services = services_of(request)
    sheet = auditor_pages.sheet(services, audit_id, handle)
    start = step_or_none(services, sheet, "start", handle)
    context: dict[str, Any] = {
        "sheet": sheet,
        "answers": ANSWERS,
        "start": start,
        "saved": None,
        "errors": {},  # by question: {field: said}
        "values": {},  # by question: what was typed
        "start_errors": {},
        "start_values": {},
        "start_message": "",
        "prepare_message": "",
        "question_errors": {},
        "question_values": {},
        **shown,
    }
    return page(request, "auditing/checklist.html", context, status)


@router.post("/auditing/{audit_id}/items/{position}", response_class=HTMLResponse)
def answer(
    request: Request,
    audit_id: int,
    position: int,
    me: Me,
    answer: Annotated[str, Form(max_length=32)] = "",
    evidence: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    reason: Annotated[str, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """Save one answer (the service checks the team, the state and the reason)."""
    services = services_of(request)
    typed = {"answer": answer, "evidence": evidence, "reason": reason}
    try:
        audits_checklist.answer(services, me.handle, audit_id, position, answer, evidence, reason)
    except ValidationError as refused:
        errors = {_field(refused.field): _answer_said(refused)}
        return _item(request, audit_id, position, me.handle, typed, errors)
    except ConflictError:
        errors = {"item": _("Changed by someone else at the same time: reload the page.")}
        return _item(request, audit_id, position, me.handle, typed, errors, status=409)
    if partial(request):
        return _item(request, audit_id, position, me.handle, {}, {}, saved=True)
    return RedirectResponse(
        f"/auditing/{audit_id}?saved={position}#item-{position}", status_code=303
    )


def _field(name: str) -> str:
    return name if name in ITEM_FIELDS else "item"


def _answer_said(refused: ValidationError) -> str:
    if refused.field == "answer":
        return _("Choose an answer.")
    return said(refused)


def _item(
    request: Request,
    audit_id: int,
    position: int,
    handle: str,
    typed: dict[str, str],
    errors: dict[str, str],
    *,
    saved: bool = False,
    status: int | None = None,
) -> HTMLResponse:
    """The card of one question: alone for htmx (200 even with a refusal: htmx swaps only
    a success), else the whole checklist page with the card's refusal (400, 409)."""
    if not partial(request):
        shown = {"errors": {position: errors}, "values": {position: typed}}
        return _checklist(request, audit_id, handle, status or 400, **shown)
    sheet = auditor_pages.sheet(services_of(request), audit_id, handle)
    context = {
        "sheet": sheet,
        "answers": ANSWERS,
        "item": sheet.item(position),
        "item_errors": errors,
        "item_values": typed,
        "item_saved": saved,
    }
    return page(request, "auditing/item.html", context)


async def _posted(request: Request) -> FormData:
    return await request.form()  # parsed once: the CSRF check read the same form


@router.post("/auditing/{audit_id}/start", response_class=HTMLResponse)
def start(
    request: Request, audit_id: int, me: Me, posted: Annotated[FormData, Depends(_posted)]
) -> Response:
    """Open the audit (its ``start`` step, the lead auditor's), as the record page would."""
    services = services_of(request)
    form = records_form.step_form(services, KIND, audit_id, "start", me.handle)
    values = form.values_from(posted)
    try:
        version = records_form.version_from(posted)
        records_form.fire(services, KIND, audit_id, "start", me.handle, values, version)
    except ValidationError as refused:
        shown: dict[str, Any] = {"start_values": values}
        if refused.field in form.labels:
            shown["start_errors"] = {refused.field: said(refused)}
        else:
            shown["start_message"] = said(refused)
        return _checklist(request, audit_id, me.handle, 400, **shown)
    except GuardFailed as refused:
        return _checklist(request, audit_id, me.handle, 400, start_message=str(refused))
    except ConflictError:
        message = _("Changed by someone else: reload the page to see what changed.")
        return _checklist(request, audit_id, me.handle, 409, start_message=message)
    return RedirectResponse(f"/auditing/{audit_id}", status_code=303)


@router.post("/auditing/{audit_id}/checklist", response_class=HTMLResponse)
def prepare(
    request: Request,
    audit_id: int,
    me: Me,
    source: Annotated[str, Form(max_length=16)] = "template",
) -> Response:
    """Fill the empty checklist from the process's template or the previous audit's."""
    services = services_of(request)
    try:
        audits_checklist.create(services, me.handle, audit_id, source == "previous")
    except ValidationError as refused:
        return _checklist(request, audit_id, me.handle, 400, prepare_message=said(refused))
    return RedirectResponse(f"/auditing/{audit_id}", status_code=303)


@router.post("/auditing/{audit_id}/questions", response_class=HTMLResponse)
def add_question(
    request: Request,
    audit_id: int,
    me: Me,
    clause: Annotated[str, Form(max_length=200)] = "",
    question: Annotated[str, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """Add a question to the audit's checklist while it is prepared or under way."""
    services = services_of(request)
    typed = {"clause": clause, "question": question}
    try:
        number = audits_checklist.add_question(services, me.handle, audit_id, clause, question)
    except ValidationError as refused:
        field = refused.field if refused.field in typed else "question"
        shown = {"question_errors": {field: said(refused)}, "question_values": typed}
        return _checklist(request, audit_id, me.handle, 400, **shown)
    return RedirectResponse(f"/auditing/{audit_id}#item-{number}", status_code=303)
