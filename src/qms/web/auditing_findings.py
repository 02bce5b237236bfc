"""An audit's findings (clause 9.2.2 e; ISO 19011 6.4.8): the list, and "Raise a finding"
from a checklist question (its clause and question put in the form) or outside the
checklist. A nonconformity finding raises its nonconformity and corrective action in the
service (:mod:`qms.services.audits.findings`); the list links to both."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.errors import ConflictError, ValidationError
from qms.services.audits import auditor_findings, auditor_pages
from qms.services.audits.auditor_findings import NONCONFORMITY, FindingInput
from qms.services.audits.auditor_pages import AuditSheet
from qms.web.auditing_common import said
from qms.web.auth import Me
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()

FIELDS = ("type", "grade", "title", "criterion", "evidence", "description", "item")
TEXT_MAX = 20_000


@router.get("/auditing/{audit_id}/findings", response_class=HTMLResponse)
def findings(request: Request, audit_id: int, me: Me, added: int | None = None) -> HTMLResponse:
    sheet = auditor_pages.sheet(services_of(request), audit_id, me.handle)
    flash = next((f for f in sheet.findings if f.id == added), None)
    return page(request, "auditing/findings.html", {"sheet": sheet, "added": flash})


@router.get("/auditing/{audit_id}/findings/new", response_class=HTMLResponse)
def new_finding(request: Request, audit_id: int, me: Me, item: int | None = None) -> HTMLResponse:
    """The form, from checklist question ``item`` (its clause, question and evidence put
    in) or outside the checklist."""
    sheet = auditor_pages.sheet(services_of(request), audit_id, me.handle)
    values = {"type": "observation", "grade": "", "title": "", "criterion": "", "evidence": ""}
    values |= {"description": "", "item": "", "outside_checklist": ""}
    if item is not None:
        question = sheet.item(item)
        values |= {
            "item": str(question.position),
            "criterion": f"{question.clause} — {question.question}",
            "evidence": question.evidence,
            "type": NONCONFORMITY if question.answer == "not_conform" else "observation",
        }
    return _form(request, sheet, values, {}, "", 200)


@router.post("/auditing/{audit_id}/findings", response_class=HTMLResponse)
def add(
    request: Request,
    audit_id: int,
    me: Me,
    type: Annotated[str, Form(max_length=64)] = "",
    grade: Annotated[str, Form(max_length=32)] = "",
    title: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    criterion: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    evidence: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    description: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    item: Annotated[str, Form(max_length=12)] = "",
    outside_checklist: Annotated[str, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """Record the finding as the signed-in person (the service checks the team and state)."""
    services = services_of(request)
    values = {"type": type, "grade": grade, "title": title, "criterion": criterion}
    values |= {"evidence": evidence, "description": description, "item": item}
    values |= {"outside_checklist": outside_checklist}
    try:
        position = _position(item)
        given = FindingInput(
            audit_id=audit_id,
            kind=type,
            grade=grade if type == NONCONFORMITY else "",
            title=title,
            criterion=criterion,
            evidence=evidence,
            description=description,
            position=position,
            outside_checklist=outside_checklist if position is None else "",
        )
        found = auditor_findings.add_finding(services, me.handle, given)
    except ValidationError as refused:
        sheet = auditor_pages.sheet(services, audit_id, me.handle)
        field = _field(refused.field)
        errors = {field: said(refused)} if field else {}
        return _form(request, sheet, values, errors, "" if field else said(refused), 400)
    except ConflictError:
        sheet = auditor_pages.sheet(services, audit_id, me.handle)
        message = _("Changed by someone else at the same time: nothing was saved, try again.")
        return _form(request, sheet, values, {}, message, 409)
    return RedirectResponse(
        f"/auditing/{audit_id}/findings?added={found.id}#finding-{found.id}", status_code=303
    )


def _position(item: str) -> int | None:
    if not item.strip():
        return None
    try:
        return int(item)
    except ValueError:
        raise ValidationError("item", _("choose a question of the checklist")) from None


def _field(name: str) -> str | None:
    """The form's field a refusal is about (None: the form as a whole)."""
    if name in ("outside_checklist", "item"):
        return "item"
    return name if name in FIELDS else None


def _form(
    request: Request,
    sheet: AuditSheet,
    values: dict[str, str],
    errors: dict[str, str],
    message: str,
    status: int,
) -> HTMLResponse:
    choices = auditor_findings.finding_choices(services_of(request).settings)
    context: dict[str, Any] = {
        "sheet": sheet,
        "choices": choices,
        "values": values,
        "errors": errors,
        "message": message,
    }
    return page(request, "auditing/finding_form.html", context, status)
