"""The record page and its steps' forms: ``/records/{kind}/{id}`` shows any workflow
record (its fields, linked records, trail, and the steps the person may take now);
``/records/{kind}/{id}/fire/{trigger}`` is one step's form (GET) and fires it (POST).

A step is fired through the service ``qms record fire`` calls, as the signed-in person,
with the record's version the form was shown with: a form left open while someone else
moved the record is refused (409), and a refused step writes nothing.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from qms.errors import ConflictError, GuardFailed, ValidationError
from qms.web import records_form, records_view
from qms.web.auth import Me
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()


@router.get("/records/{kind}/{record_id}", response_class=HTMLResponse)
def record(
    request: Request, kind: str, record_id: int, me: Me, fired: int | None = None
) -> HTMLResponse:
    found = records_view.record_page(services_of(request), kind, record_id, me.handle)
    return page(request, "records/record.html", {"record": found, "flash": found.flash(fired)})


@router.get("/records/{kind}/{record_id}/fire/{trigger}", response_class=HTMLResponse)
def step(request: Request, kind: str, record_id: int, trigger: str, me: Me) -> HTMLResponse:
    form = records_form.step_form(services_of(request), kind, record_id, trigger, me.handle)
    return _form(request, form, {}, form.version)


async def _posted(request: Request) -> FormData:
    return await request.form()  # parsed once: the CSRF check read the same form


@router.post("/records/{kind}/{record_id}/fire/{trigger}", response_class=HTMLResponse)
def fire(
    request: Request,
    kind: str,
    record_id: int,
    trigger: str,
    me: Me,
    posted: Annotated[FormData, Depends(_posted)],
) -> Response:
    services = services_of(request)
    form = records_form.step_form(services, kind, record_id, trigger, me.handle)
    values = form.values_from(posted)
    version = form.version
    try:
        version = records_form.version_from(posted)
        entry = records_form.fire(services, kind, record_id, trigger, me.handle, values, version)
    except ValidationError as refused:
        said = str(refused).removeprefix(f"{refused.field}: ")
        if refused.field in form.labels:
            return _form(request, form, values, version, errors={refused.field: said})
        return _form(request, form, values, version, message=said)
    except GuardFailed as refused:
        return _form(request, form, values, version, message=_refusal(str(refused)))
    except ConflictError:
        said = _("Changed by someone else: reload the form to see what changed.")
        return _form(request, form, values, version, message=said, status=409, stale=True)
    return RedirectResponse(f"{form.record_href}?fired={entry.id}", status_code=303)


GUARD_PREFIX = re.compile(r"^'[^']+' on .+? refused by guard '[^']+': ")


def _refusal(message: str) -> str:
    """A guard's refusal as its words: the engine's prefix (trigger, record, guard name) is
    what the page already shows."""
    said = GUARD_PREFIX.sub("", message)
    return said[:1].upper() + said[1:]


def _form(
    request: Request,
    form: records_form.StepForm,
    values: dict[str, str],
    version: int,
    *,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int | None = None,
    stale: bool = False,
) -> HTMLResponse:
    context = {
        "form": form,
        "values": values,
        "version": version,
        "errors": errors or {},
        "message": message,
        "stale": stale,
    }
    refused = bool(errors or message)
    return page(request, "records/step.html", context, status or (400 if refused else 200))
