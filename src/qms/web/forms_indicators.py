"""The indicators of a person's processes (clause 9.1): their latest value against target,
what is due, and one indicator's page with its values, its corrections and its chart.

A person sees the indicators of the processes the registers show them
(:mod:`qms.services.visibility`: all of them for a director, a quality manager or an
auditor) and those they own; any other is refused. The chart is the one the management
review pack draws (:mod:`qms.reporting.charts`), inlined: it carries no ``style``
(the Content-Security-Policy refuses inline style), which :func:`inline_svg` makes sure of.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from qms.models import Indicator, Person
from qms.reporting.charts import trend_svg
from qms.reporting.words import TERMS, Words, words_for
from qms.services import visibility
from qms.services.indicators import charts as indicator_charts
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import series as indicators_series
from qms.services.indicators.vocabulary import Outcome
from qms.services.worklist_indicators import LOOK_BACK
from qms.web import forms_breaches
from qms.web.auth import Me
from qms.web.forms_common import FormState
from qms.web.forms_indicator_rows import corrections_rows, status_of, values_rows
from qms.web.forms_indicator_rows import with_unit as with_unit  # forms_values uses it here
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of
from qms.workflow.permissions import ActorRoles

router = APIRouter()

TRENDS = ("improving", "worsening", "stable")  # else "not enough values (...)": a dash


@dataclass(frozen=True)
class Seen:
    """What the signed-in person may see and do of the indicators today."""

    scope: visibility.Scope
    roles: ActorRoles
    today: date

    def sees(self, indicator: Indicator) -> bool:
        return self.scope.sees_action(indicator.process_id, indicator.owner_id)

    def may_record(self, indicator: Indicator) -> bool:
        return indicator.retired_on is None and indicators_queries.may_record(self.roles, indicator)


def seen(session: Session, me: Me, today: date) -> Seen:
    person = session.get(Person, me.person_id)
    assert person is not None
    roles = ActorRoles.for_handle(session, me.handle, today)
    return Seen(visibility.scope(session, person, today), roles, today)


def visible(session: Session, me: Me, code: str, today: date) -> tuple[Indicator, Seen]:
    """The indicator of that code, if the person may see it (404 unknown, 403 not theirs)."""
    try:
        indicator = indicators_queries.get(session, code)
    except ValidationError:
        raise NotFound(_("There is no indicator %(code)s.") % {"code": code}) from None
    found = seen(session, me, today)
    if not found.sees(indicator):
        raise PermissionDenied(
            _("%(code)s belongs to %(process)s, which is not one of your processes.")
            % {"code": indicator.code, "process": indicator.process.code}
        )
    return indicator, found


# --- the list ----------------------------------------------------------------------------


@router.get("/indicators", response_class=HTMLResponse)
def indicator_list(
    request: Request,
    me: Me,
    process: Annotated[str, Query(max_length=32)] = "",
    imported: int | None = None,
) -> HTMLResponse:
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        who = seen(session, me, today)
        mine = [i for i in indicators_queries.in_force(session) if who.sees(i)]
        shown = [i for i in mine if not process or i.process.code == process]
        values = indicators_series.values_of(session, [i.id for i in shown])
        all_series = indicators_series.series_of(shown, values, today)
        rows = [_row(s, who) for s in all_series]
        owners = [(i, i.process.code, i.owner.handle if i.owner else None) for i in shown]
        due = indicators_series.missing_of(owners, values, today, today - LOOK_BACK)
        by_code = {i.code: i for i in shown}
        context = {
            "rows": rows,
            "due": [_due(row, by_code[row.indicator], who) for row in due],
            "processes": sorted({i.process.code for i in mine}),
            "process": process,
            "imported": imported,
            "may_import": any(who.may_record(i) for i in mine),
        }
    return page(request, "indicators/list.html", context)


def _row(series: indicators_series.Series, who: Seen) -> dict[str, object]:
    ind, latest = series.indicator, series.latest
    sign = "≥" if ind.direction == "higher" else "≤"
    return {
        "code": ind.code,
        "name": ind.name,
        "process": ind.process.code,
        "frequency": _(TERMS["frequency"].get(ind.frequency.value, ind.frequency.value)),
        "period": latest.period if latest else "",
        "value": with_unit(latest.value if latest else None, ind.unit),
        "target": f"{sign} {with_unit(ind.target, ind.unit)}",
        "alert": with_unit(ind.alert_threshold, ind.unit),
        "status": status_of(series.status),
        "trend": _(series.trend) if series.trend in TRENDS else "",
        "may_record": who.may_record(ind),
    }


def _due(row: indicators_series.MissingRow, indicator: Indicator, who: Seen) -> dict[str, object]:
    link = f"/indicators/{indicator.code}"
    if who.may_record(indicator):
        link += f"/values/new?period={row.period}"
    return {
        "code": indicator.code,
        "name": indicator.name,
        "process": row.process,
        "period": row.period,
        "due_on": row.due_on,
        "days_late": max(row.days_late, 0),
        "link": link,
    }


# --- one indicator -----------------------------------------------------------------------


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_page(
    request: Request, me: Me, code: str, recorded: str = "", outcome: str = "", decided: int = 0
) -> HTMLResponse:
    return _detail(request, me, code, {"recorded": recorded[:10], "outcome": outcome}, decided)


def _detail(
    request: Request,
    me: Me,
    code: str,
    flash: dict[str, str],
    decided: int = 0,
    typed: dict[int, forms_breaches.Forms] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The indicator's page; ``decided``: a proposal just decided (said at the top);
    ``typed``: a proposal's forms sent back with what was wrong."""
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        indicator, who = visible(session, me, code, today)
        series = indicators_series.series(session, [indicator], today)[0]
        words = words_for(session, app.registry)
        found = forms_breaches.breaches_of(
            session, indicator, who.roles, words, app.settings.zone, typed
        )
        context = {
            "ind": indicator,
            "facts": _facts(indicator, series, words),
            "status": status_of(series.status),
            "latest": series.latest,
            "latest_value": with_unit(
                series.latest.value if series.latest else None, indicator.unit
            ),
            "chart": _chart(series),
            "recorded_count": len(series.values),
            "values": values_rows(session, indicator, words, app.settings.zone),
            "corrections": corrections_rows(session, indicator, words, app.settings.zone),
            "may_record": who.may_record(indicator),
            "recorded": flash.get("recorded", ""),
            "outcome": flash.get("outcome", "") if flash.get("outcome") in OUTCOMES else "",
            "breaches": found,
            "decided": next((b for b in found.decided if b.id == decided), None),
        }
    return page(request, "indicators/detail.html", context, status_code)


OUTCOMES = {o.value for o in Outcome}


@router.post("/indicators/{code}/breaches/{breach_id}/accept", response_class=HTMLResponse)
def breach_accept(
    request: Request,
    me: Me,
    code: str,
    breach_id: int,
    fields: Annotated[forms_breaches.AcceptFields, Form()],
) -> Response:
    """The pilot accepts the proposal: an improvement action (``qms indicator accept``)."""
    state = FormState(fields.model_dump())

    def decision(app: Services) -> object:
        return forms_breaches.accept(app, me.handle, breach_id, fields)

    return _decide(request, me, code, breach_id, forms_breaches.Forms(state), state, decision)


@router.post("/indicators/{code}/breaches/{breach_id}/dismiss", response_class=HTMLResponse)
def breach_dismiss(
    request: Request,
    me: Me,
    code: str,
    breach_id: int,
    fields: Annotated[forms_breaches.DismissFields, Form()],
) -> Response:
    """The pilot dismisses the proposal, saying why (``qms indicator dismiss``)."""
    state = FormState(fields.model_dump())

    def decision(app: Services) -> object:
        forms_breaches.dismiss(app, me.handle, breach_id, fields)
        return None

    forms = forms_breaches.Forms(dismiss=state)
    return _decide(request, me, code, breach_id, forms, state, decision)


def _decide(
    request: Request,
    me: Me,
    code: str,
    breach_id: int,
    forms: forms_breaches.Forms,
    state: FormState,
    decision: Callable[[Services], object],
) -> Response:
    """Check the proposal and who decides it, then the one service call: 303 back to the
    page saying what was decided, or the page with the form's error (nothing written)."""
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        indicator, _who = visible(session, me, code, today)
        forms_breaches.check_decider(session, me.handle, indicator, today)
        forms_breaches.open_breach(session, code, breach_id)
    try:
        decision(app)
    except ValidationError as exc:
        state.refuse(exc)
        return _detail(request, me, code, {}, typed={breach_id: forms}, status_code=400)
    except ConflictError:
        state.message = _("Decided by someone else at the same time: reload and check.")
        state.conflict = True
        return _detail(request, me, code, {}, typed={breach_id: forms}, status_code=409)
    return RedirectResponse(f"/indicators/{code}?decided={breach_id}#breaches", status_code=303)


def _facts(ind: Indicator, series: indicators_series.Series, words: Words) -> list[tuple[str, str]]:
    better = _("higher is better") if ind.direction == "higher" else _("lower is better")
    facts = [
        (_("Process"), f"{ind.process.code} · {ind.process.name}"),
        (_("What it measures"), ind.measures),
        (_("How"), ind.method),
        (_("Target"), f"{with_unit(ind.target, ind.unit)} ({better})"),
        (_("Alert threshold"), with_unit(ind.alert_threshold, ind.unit)),
        (_("Frequency"), _(TERMS["frequency"].get(ind.frequency.value, ind.frequency.value))),
        (_("Recorded by"), words.person(ind.owner.handle) if ind.owner else "—"),
        (_("Due"), _("%(days)s days after each period ends") % {"days": ind.due_days}),
        (_("Data source"), ind.data_source),
        (_("Trend"), series.trend_reading.explanation),
    ]
    return [(label, value) for label, value in facts if value]


def _chart(series: indicators_series.Series) -> Markup | None:
    data = indicator_charts.chart_data(series)
    return inline_svg(trend_svg(data)) if indicator_charts.drawable(data) else None


_STYLE_ELEMENT = re.compile(r"<style\b.*?</style\s*>", re.IGNORECASE | re.DOTALL)
_SCRIPT_ELEMENT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE_OR_HANDLER = re.compile(r"""\s(?:style|on[a-z]+)\s*=\s*(?:"[^"]*"|'[^']*')""", re.I)


def inline_svg(svg: str) -> Markup:
    """An SVG of the chart renderer, ready to inline under the CSP: no XML declaration,
    no ``<style>`` element or ``style`` attribute (refused by ``style-src 'self'``), no
    script or event handler. The renderer escapes every text it writes (the title is the
    indicator's name), so what remains is markup of its own."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", svg)
    for pattern in (_STYLE_ELEMENT, _SCRIPT_ELEMENT, _STYLE_OR_HANDLER):
        text = pattern.sub("", text)
    return Markup(text)  # noqa: S704 - the renderer's own markup, its texts escaped
