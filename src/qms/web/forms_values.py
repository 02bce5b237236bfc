"""Record the value of one period of an indicator (``qms indicator record``), or correct it.

The checks are the service's (:mod:`qms.services.indicators.service`): who may record
(the owner, a pilot or correspondent of the process, a quality manager), a period of the
indicator's frequency that is over, a number within the possible values; a different
value for a period already recorded is a correction and needs a reason, kept with the
previous value. The value is stored by the service's ``record_period``, as coming from
the web form.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from qms.bootstrap import Services
from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.models import Indicator
from qms.services.indicators import periods as indicators_periods
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import series as indicators_series
from qms.services.indicators import service as indicators
from qms.services.indicators.vocabulary import Outcome
from qms.web.auth import Me
from qms.web.forms_common import FormState
from qms.web.forms_indicators import visible, with_unit
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of
from qms.workflow.permissions import ActorRoles

router = APIRouter()

SOURCE = "web form"  # where a value came from, kept with it and each revision (the
# command line's is "command line", a file's "import <its name>")
PERIODS_OFFERED = 24


class ValueFields(BaseModel):
    period: str = ""
    value: str = ""
    comment: str = ""
    reason: str = ""


@router.get("/indicators/{code}/values/new", response_class=HTMLResponse)
def value_form(request: Request, me: Me, code: str, period: str = "") -> HTMLResponse:
    return _page(request, me, code, FormState(ValueFields(period=period[:10]).model_dump()), 200)


@router.post("/indicators/{code}/values/new", response_class=HTMLResponse)
def value_record(
    request: Request, me: Me, code: str, fields: Annotated[ValueFields, Form()]
) -> Response:
    state = FormState(fields.model_dump())
    try:
        outcome, period = record(services_of(request), me.handle, code, fields)
    except ValidationError as exc:
        state.refuse(exc)
        return _page(request, me, code, state, 400)
    except ConflictError:  # the same period stored by someone else meanwhile
        state.message = _("Recorded by someone else at the same time: reload and check.")
        state.conflict = True
        return _page(request, me, code, state, 409)
    return RedirectResponse(
        f"/indicators/{code}?recorded={period}&outcome={outcome.value}", status_code=303
    )


def record(app: Services, actor: str, code: str, fields: ValueFields) -> tuple[Outcome, str]:
    """Store the value by the service, as coming from the web form; the period stored.

    Every check is the service's; its ValidationError names ``period``, ``value``,
    ``comment`` or ``reason``, the form's own fields (shown next to them), or
    ``indicator`` (shown on the form).
    """
    outcome, period = indicators.record_period(
        app,
        actor,
        code,
        fields.period,
        fields.value,
        fields.comment,
        fields.reason,
        source=SOURCE,
    )
    return outcome, period.label


def _page(request: Request, me: Me, code: str, state: FormState, status: int) -> HTMLResponse:
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        indicator, who = visible(session, me, code, today)
        if not who.may_record(indicator):
            roles = ActorRoles.for_handle(session, me.handle, today)
            raise PermissionDenied(indicators_queries.refusal(roles, indicator))
        recorded = indicators_series.values_of(session, [indicator.id]).get(indicator.id, {})
        offered = _offered(indicator, today, recorded)
        if not state.values["period"]:
            state.values["period"] = next((p for p, _, v in offered if v is None), "")
        chosen = state.values["period"].strip().upper()
        context = {
            "ind": indicator,
            "state": state,
            "periods": offered,
            "held": with_unit(recorded[chosen], indicator.unit) if chosen in recorded else "",
            "target": with_unit(indicator.target, indicator.unit),
            "alert": with_unit(indicator.alert_threshold, indicator.unit),
            "example": indicators_periods.EXAMPLE[indicator.frequency],
        }
    return page(request, "indicators/record.html", context, status)


def _offered(
    indicator: Indicator, today: date, recorded: dict[str, float]
) -> list[tuple[str, str, float | None]]:
    """The periods over, newest first (from the indicator's first one), each with its value."""
    last = indicators_series.last_period(indicator, today)
    periods = indicators_periods.last_n(last, PERIODS_OFFERED)
    if indicator.since_period:
        first = indicators_periods.parse(indicator.since_period, indicator.frequency)
        periods = [p for p in periods if p >= first] or [last]
    return [
        (
            p.label,
            f"{p.label} · {_('recorded')}: {with_unit(recorded[p.label], indicator.unit)}"
            if p.label in recorded
            else f"{p.label} · {_('no value yet')}",
            recorded.get(p.label),
        )
        for p in reversed(periods)
    ]
