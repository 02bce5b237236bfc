"""The audit report on the auditor's pages (clause 9.2.2 d; ISO 19011 6.5).

``/auditing/{id}/report`` previews the report in the page: the draft of the audit as it
stands, rendered from the report's own template and the context its PDF is made from, or
an issued revision's frozen HTML (``?revision=N``). The steps are the workflow's, as the
signed-in person is offered them: the lead auditor drafts the report, the quality manager
or a director issues it (which freezes revision 1, PDF and hashes), the quality manager
issues a new revision once the content changed. ``/auditing/{id}/report/{N}.pdf`` is the
stored PDF of revision N, its bytes as frozen, never rendered again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from qms.errors import ConflictError, GuardFailed, ValidationError
from qms.services.audits import auditor_pages, auditor_report
from qms.services.audits import report as audits_report
from qms.web import records_form
from qms.web.auditing_common import KIND, said, step_or_none
from qms.web.auth import Me
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()

STEPS = {"draft": "draft_report", "issue": "issue_report"}  # the page's steps: the triggers


@router.get("/auditing/{audit_id}/report", response_class=HTMLResponse)
def report(
    request: Request, audit_id: int, me: Me, revision: int | None = None, draft: bool = False
) -> HTMLResponse:
    return _report(request, audit_id, me.handle, revision, draft=draft)


def _report(
    request: Request,
    audit_id: int,
    handle: str,
    revision: int | None = None,
    status: int = 200,
    *,
    draft: bool = False,
    **shown: Any,
) -> HTMLResponse:
    """The report page; after a refused step, the draft (``shown``: what was typed)."""
    services = services_of(request)
    sheet = auditor_pages.sheet(services, audit_id, handle)
    view = auditor_report.report_view(services, audit_id, handle, revision, draft or status != 200)
    steps = {name: step_or_none(services, view, trigger, handle) for name, trigger in STEPS.items()}
    context: dict[str, Any] = {
        "sheet": sheet,
        "view": view,
        # rendered by the report's template with autoescape on: typed text is escaped there
        "body": Markup(view.body),  # noqa: S704
        "steps": steps,
        "returns": "return_draft" in view.triggers,
        "step_errors": {},  # by step: {field: said}
        "step_values": {},  # by step: what was typed
        "step_message": {},  # by step: a refusal of the whole step
        "revise_error": "",
        "revise_reason": "",
        "flash": "",
        **shown,
    }
    return page(request, "auditing/report.html", context, status)


async def _posted(request: Request) -> FormData:
    return await request.form()  # parsed once: the CSRF check read the same form


def _fire(request: Request, audit_id: int, handle: str, name: str, posted: FormData) -> Response:
    """Fire the page's step ``name`` (draft or issue) as the record page would: refused
    for someone not offered it (403), the refusal on the step's form otherwise."""
    services = services_of(request)
    trigger = STEPS[name]
    form = records_form.step_form(services, KIND, audit_id, trigger, handle)
    values = form.values_from(posted)
    try:
        version = records_form.version_from(posted)
        records_form.fire(services, KIND, audit_id, trigger, handle, values, version)
    except ValidationError as refused:
        where = "step_errors" if refused.field in form.labels else "step_message"
        said_here = {refused.field: said(refused)} if where == "step_errors" else said(refused)
        shown: dict[str, Any] = {where: {name: said_here}, "step_values": {name: values}}
        return _report(request, audit_id, handle, None, 400, **shown)
    except GuardFailed as refused:
        shown = {"step_message": {name: str(refused)}, "step_values": {name: values}}
        return _report(request, audit_id, handle, None, 400, **shown)
    except ConflictError:
        message = _("Changed by someone else: reload the page to see what changed.")
        return _report(request, audit_id, handle, None, 409, step_message={name: message})
    return RedirectResponse(f"/auditing/{audit_id}/report", status_code=303)


@router.post("/auditing/{audit_id}/report/draft", response_class=HTMLResponse)
def draft_step(
    request: Request, audit_id: int, me: Me, posted: Annotated[FormData, Depends(_posted)]
) -> Response:
    """The lead auditor drafts the report: its conclusions (the ``draft_report`` step)."""
    return _fire(request, audit_id, me.handle, "draft", posted)


@router.post("/auditing/{audit_id}/report/issue", response_class=HTMLResponse)
def issue_step(
    request: Request, audit_id: int, me: Me, posted: Annotated[FormData, Depends(_posted)]
) -> Response:
    """Issue the report (``issue_report``): revision 1 is frozen, PDF and hashes."""
    return _fire(request, audit_id, me.handle, "issue", posted)


@router.post("/auditing/{audit_id}/report/revise", response_class=HTMLResponse)
def revise(
    request: Request,
    audit_id: int,
    me: Me,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A new revision of the issued report, saying what changed (the service refuses one
    whose content is the same as the last revision's)."""
    services = services_of(request)
    try:
        audits_report.revise(services, me.handle, audit_id, reason)
    except ValidationError as refused:
        shown: dict[str, Any] = {"revise_error": said(refused), "revise_reason": reason}
        return _report(request, audit_id, me.handle, None, 400, **shown)
    return RedirectResponse(f"/auditing/{audit_id}/report", status_code=303)


@router.get("/auditing/{audit_id}/report/{revision}.pdf")
def revision_pdf(request: Request, audit_id: int, revision: int, me: Me) -> Response:
    """The frozen PDF of an issued revision: the stored bytes, as a download."""
    found = auditor_report.revision_pdf(services_of(request), audit_id, revision, me.handle)
    headers = {
        "Content-Disposition": f'attachment; filename="{found.filename}"',
        "X-Content-SHA256": found.sha256,
        "Cache-Control": "private, no-store",
    }
    return Response(found.content, media_type="application/pdf", headers=headers)
