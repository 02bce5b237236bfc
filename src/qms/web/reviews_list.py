"""``/reviews``: the management reviews and process reviews a person may see, newest first,
with their decisions counted; and planning one (``qms review plan``), for a director or the
quality manager (a management review) or a process's pilot (its review)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.models import ReviewKind
from qms.services.reviews import pages
from qms.services.reviews import service as reviews
from qms.web.auth import Me
from qms.web.forms_common import FormState, parse_day
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter()


@router.get("/reviews", response_class=HTMLResponse)
def reviews_list(request: Request, me: Me) -> HTMLResponse:
    found = pages.listing(services_of(request), me.handle)
    return page(request, "reviews/list.html", {"listing": found})


class PlanFields(BaseModel):
    planned_on: str = Field("", max_length=40)
    process: str = Field("", max_length=40)
    period_start: str = Field("", max_length=40)
    period_end: str = Field("", max_length=40)
    title: str = Field("", max_length=400)


@router.get("/reviews/{kind}/new", response_class=HTMLResponse)
def plan_form(request: Request, kind: str, me: Me, process: str = "") -> HTMLResponse:
    fields = PlanFields(process=process[:40])
    return _plan_page(request, me, kind, FormState(fields.model_dump()))


@router.post("/reviews/{kind}/new", response_class=HTMLResponse)
def plan(request: Request, kind: str, me: Me, fields: Annotated[PlanFields, Form()]) -> Response:
    app, review_kind = services_of(request), pages.kind_of(kind)
    state = FormState(fields.model_dump())
    try:
        planned_on = parse_day(fields.planned_on, "planned_on")
        if planned_on is None:
            raise ValidationError("planned_on", _("give the day the review is to be held"))
        spec = reviews.Plan(
            planned_on=planned_on,
            process=(fields.process or None) if review_kind == ReviewKind.PROCESS else None,
            period_start=parse_day(fields.period_start, "period_start"),
            period_end=parse_day(fields.period_end, "period_end"),
            title=fields.title,
        )
        record = reviews.plan(app, review_kind, me.handle, spec)
    except ValidationError as refused:
        state.refuse(refused)
    except ConflictError:
        state.message = _("Changed by someone else at the same time: try again.")
        state.conflict = True
    else:
        return RedirectResponse(f"/reviews/{kind}/{record.id}?done=planned", status_code=303)
    return _plan_page(request, me, kind, state)


def _plan_page(request: Request, me: Me, kind: str, state: FormState) -> HTMLResponse:
    review_kind = pages.kind_of(kind)
    found = pages.listing(services_of(request), me.handle)
    if review_kind == ReviewKind.MANAGEMENT and not found.plans_management:
        raise PermissionDenied(
            _(
                "A management review is planned by a director or the quality manager "
                "(ISO 9001, 9.3.1)."
            )
        )
    if review_kind == ReviewKind.PROCESS and not found.plannable:
        raise PermissionDenied(
            _("A process review is planned by the process's pilot or the quality manager.")
        )
    context = {
        "kind": kind,
        "management": review_kind == ReviewKind.MANAGEMENT,
        "state": state,
        "processes": [(code, f"{code} · {name}") for code, name in found.plannable],
        "today": services_of(request).engine.today().isoformat(),
    }
    return page(request, "reviews/plan.html", context, state.status if state.refused else 200)
