"""One audit (clause 9.2.2 b, c): ``/audits/new`` schedules an audit of a process
(``qms audit plan``); ``/audits/{id}`` shows its plan (an edit form: ``qms audit edit`` and
its dates), its team (``qms audit assign``, refused in words for an auditor who holds a role
on the process, 9.2.2 c), the impartiality exceptions (``qms audit exception``, the quality
manager's), its findings and the steps offered; ``/audits/{id}/calendar.ics`` its event.

Every change is one service call as the signed-in person, on an audit the person may see;
a refusal comes back on its form with what was typed, nothing written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.models import InternalAudit
from qms.services.audits import pages_access, pages_audit, pages_calendar, plan_edit
from qms.services.audits import service as audits
from qms.services.audits import team as audits_team
from qms.web.audits_common import (
    AUDIT_TYPES,
    TEAM_ROLES,
    Refusal,
    coordinating,
    cycle_of,
    done_said,
    managing,
    refused,
    role_words,
    term,
)
from qms.web.auth import Me
from qms.web.forms_common import parse_day
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.refusals_voice import clause
from qms.web.security import services_of

router = APIRouter()

Line = Annotated[str, Form(max_length=300)]
Text = Annotated[str, Form(max_length=20_000)]
PLAN_FIELDS = ("title", "objectives", "scope", "criteria", "location", "auditee", "audit_client")
DATE_FIELDS = ("planned_start", "planned_end")


# --- schedule an audit -----------------------------------------------------------------


@router.get("/audits/new", response_class=HTMLResponse)
def new_form(
    request: Request,
    me: Me,
    cycle: int | None = None,
    process: str = "",
    type: str = "internal",
) -> HTMLResponse:
    values = {"process": process[:40], "type": type[:20], "start": "", "end": "", "lead": ""}
    return _new_page(request, me, cycle_of(services_of(request), cycle), Refusal("", values=values))


@router.post("/audits/new", response_class=HTMLResponse)
def schedule(
    request: Request,
    me: Me,
    cycle: Annotated[int, Form()],
    process: Line = "",
    type: Line = "internal",
    start: Line = "",
    end: Line = "",
    lead: Line = "",
) -> Response:
    app = services_of(request)
    values = {"process": process, "type": type, "start": start, "end": end, "lead": lead}
    if not process:
        found: object = Refusal("new", "", {"process": _("choose the process audited")}, values)
    else:
        pages_access.seen_process(app, me.handle, process)

        def call() -> object:
            spec = audits.AuditPlan(
                process=process,
                cycle=cycle,
                audit_type=type,
                start=parse_day(start, "start"),
                end=parse_day(end, "end"),
                lead=lead or None,
            )
            return audits.plan(app, me.handle, spec)

        with _coordinating(request, _("schedule audits")):
            found = refused("new", values, tuple(values), call, {"auditor": "lead"})
    if not isinstance(found, InternalAudit):
        return _new_page(request, me, cycle, found if isinstance(found, Refusal) else Refusal())
    return RedirectResponse(f"/audits/{found.id}?done=scheduled#main", status_code=303)


def _new_page(request: Request, me: Me, cycle: int, refusal: Refusal) -> HTMLResponse:
    choices = pages_audit.schedule_choices(services_of(request), me.handle, cycle)
    context = {
        "choices": choices,
        "refusal": refusal,
        "audit_options": [(code, _(label)) for code, label in AUDIT_TYPES.items()],
    }
    return page(request, "audits/new.html", context, refusal.status if refusal else 200)


# --- one audit -------------------------------------------------------------------------


@router.get("/audits/{audit_id}", response_class=HTMLResponse)
def audit_page(request: Request, me: Me, audit_id: int, done: str | None = None) -> HTMLResponse:
    return _page(request, me, audit_id, Refusal(), done_said(done))


@router.get("/audits/{audit_id}/calendar.ics")
def audit_calendar(request: Request, me: Me, audit_id: int) -> Response:
    data = pages_calendar.audit_calendar(services_of(request), me.handle, audit_id)
    headers = {"Content-Disposition": f'attachment; filename="audit-{audit_id}.ics"'}
    return Response(data, media_type="text/calendar; charset=utf-8", headers=headers)


@router.post("/audits/{audit_id}/plan", response_class=HTMLResponse)
def edit(
    request: Request,
    me: Me,
    audit_id: int,
    title: Line = "",
    objectives: Text = "",
    scope: Text = "",
    criteria: Text = "",
    location: Text = "",
    auditee: Text = "",
    audit_client: Line = "",
    planned_start: Line = "",
    planned_end: Line = "",
) -> Response:
    """Save the plan: its details and dates (``qms audit edit``), in one step."""
    app = services_of(request)
    pages_audit.visible(app, audit_id, me.handle)
    values = {
        "title": title,
        "objectives": objectives,
        "scope": scope,
        "criteria": criteria,
        "location": location,
        "auditee": auditee,
        "audit_client": audit_client,
        "planned_start": planned_start,
        "planned_end": planned_end,
    }
    details = {name: values[name] for name in PLAN_FIELDS}
    if not title.strip():
        del details["title"]  # an empty title keeps the audit's own

    def call() -> object:
        first = parse_day(planned_start, "planned_start")
        last = parse_day(planned_end, "planned_end")
        return plan_edit.edit_plan(app, me.handle, audit_id, details, first, last)

    with _coordinating(request, _("edit audits")):
        found = refused("plan", values, (*PLAN_FIELDS, *DATE_FIELDS), call)
    return _then(request, me, audit_id, found, "edited")


@router.post("/audits/{audit_id}/team", response_class=HTMLResponse)
def assign(
    request: Request, me: Me, audit_id: int, person: Line = "", role: Line = "auditor"
) -> Response:
    """Put a person on the team (``qms audit assign``): an auditor with a role on the
    process is refused, the role and clause 9.2.2 c named."""
    app = services_of(request)
    pages_audit.visible(app, audit_id, me.handle)
    values = {"person": person, "role": role}
    if not person:
        found: object = Refusal("team", "", {"person": _("choose a person")}, values)
    else:
        with _coordinating(request, _("assign auditors")):
            found = refused(
                "team",
                values,
                ("person", "role"),
                lambda: audits_team.assign(app, me.handle, audit_id, person, role),
                {"auditor": "person"},
            )
    return _then(request, me, audit_id, found, "assigned")


@router.post("/audits/{audit_id}/exception", response_class=HTMLResponse)
def exception(
    request: Request, me: Me, audit_id: int, person: Line = "", justification: Text = ""
) -> Response:
    """The quality manager approves, with a justification, that an auditor with a role on
    the process audits it (``qms audit exception``)."""
    app = services_of(request)
    pages_audit.visible(app, audit_id, me.handle)
    values = {"person": person, "justification": justification}
    if not person:
        found: object = Refusal("exception", "", {"person": _("choose the auditor")}, values)
    else:
        with managing(app.engine.today(), app.settings.date_format):
            found = refused(
                "exception",
                values,
                ("person", "justification"),
                lambda: audits_team.approve_exception(
                    app, me.handle, audit_id, person, justification
                ),
                {"auditor": "person"},
            )
    return _then(request, me, audit_id, found, "excepted")


def _coordinating(request: Request, what: str):  # type: ignore[no-untyped-def]
    app = services_of(request)
    return coordinating(what, app.engine.today(), app.settings.date_format)


def _then(request: Request, me: Me, audit_id: int, found: object, done: str) -> Response:
    if isinstance(found, Refusal):
        return _page(request, me, audit_id, found, None)
    return RedirectResponse(f"/audits/{audit_id}?done={done}#main", status_code=303)


def impartiality_said(view: pages_audit.AuditView, handle: str, date_format: str) -> str:
    """The refusal of an auditor who holds a role on the process, in words."""
    from qms.reporting.render import day

    candidate = view.candidate(handle)
    if candidate is None or not candidate.auditor or not candidate.roles or candidate.excepted:
        return ""
    roles = role_words(candidate.roles)
    return _(
        "%(name)s is %(roles)s of %(process)s on %(day)s: an auditor may not audit their own "
        "work (%(clause)s). Choose another auditor, or the quality manager approves an "
        "exception below with a written justification."
    ) % {
        "name": candidate.name,
        "roles": roles,
        "process": view.process,
        "day": day(view.day, date_format),
        "clause": clause("9.2.2 c"),
    }


def _page(
    request: Request, me: Me, audit_id: int, refusal: Refusal, flash: str | None
) -> HTMLResponse:
    app = services_of(request)
    view = pages_audit.audit_view(app, audit_id, me.handle)
    if refusal.where == "team" and "9.2.2 c" in refusal.errors.get("person", ""):
        said = impartiality_said(view, refusal.values.get("person", ""), app.settings.date_format)
        if said:
            refusal.errors["person"] = said
    context = {
        "view": view,
        "refusal": refusal,
        "flash": flash,
        "audit_types": AUDIT_TYPES,
        "team_roles": TEAM_ROLES,
        "team_role_options": [(code, _(label)) for code, label in TEAM_ROLES.items()],
        "role_words": role_words,
        "finding_type": lambda code: term("finding_type", code),
    }
    return page(request, "audits/audit.html", context, refusal.status if refusal else 200)
