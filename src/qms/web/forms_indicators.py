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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import NotFound, PermissionDenied, ValidationError
from qms.models import Indicator, Measurement, MeasurementRevision, Person
from qms.reporting.charts import trend_svg
from qms.reporting.words import TERMS, Words, number, words_for
from qms.services import visibility
from qms.services.indicators import charts as indicator_charts
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import series as indicators_series
from qms.services.indicators.vocabulary import Outcome, Status, status
from qms.services.worklist_indicators import LOOK_BACK
from qms.web.auth import Me
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of
from qms.workflow.permissions import ActorRoles

router = APIRouter()

TRENDS = ("improving", "worsening", "stable")  # else "not enough values (...)": a dash
STATUS_CLASS = {Status.ON_TARGET: "ok", Status.WATCH: "", Status.BREACH: "late"}


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


def status_of(status: Status | None) -> dict[str, str]:
    """A status as the page shows it: its words and its class (red for an alert)."""
    if status is None:
        return {"label": _("No value"), "css": "muted"}
    return {"label": _(TERMS["status"][status.value]), "css": STATUS_CLASS[status]}


def with_unit(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{number(value, 2)}{' ' + unit if unit else ''}"


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The day of ``moment`` in the institution's time zone (stored in UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


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
    request: Request, me: Me, code: str, recorded: str = "", outcome: str = ""
) -> HTMLResponse:
    app = services_of(request)
    today = app.engine.today()
    with app.database.reading() as session:
        indicator, who = visible(session, me, code, today)
        series = indicators_series.series(session, [indicator], today)[0]
        words = words_for(session, app.registry)
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
            "values": _values(session, indicator, words, app.settings.zone),
            "corrections": _corrections(session, indicator, words, app.settings.zone),
            "may_record": who.may_record(indicator),
            "recorded": recorded[:10],
            "outcome": outcome if outcome in {o.value for o in Outcome} else "",
        }
    return page(request, "indicators/detail.html", context)


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


def _values(
    session: Session, ind: Indicator, words: Words, zone: ZoneInfo
) -> list[dict[str, object]]:
    rows = session.scalars(
        select(Measurement).filter_by(indicator_id=ind.id).order_by(Measurement.period_end.desc())
    )
    return [
        {
            "period": m.period,
            "value": with_unit(m.value, ind.unit),
            "status": status_of(status(ind, m.value)),
            "by": words.person(m.recorded_by),
            "on": local_day(m.recorded_at, zone),
            "comment": m.comment,
            "source": m.source,
            "corrected": m.revision > 1,
        }
        for m in rows
    ]


def _corrections(
    session: Session, ind: Indicator, words: Words, zone: ZoneInfo
) -> list[dict[str, object]]:
    """Every value replaced by another, newest first, with who, when and why (7.5.3)."""
    rows = session.execute(
        select(Measurement.period, MeasurementRevision)
        .join(MeasurementRevision, MeasurementRevision.measurement_id == Measurement.id)
        .where(Measurement.indicator_id == ind.id, MeasurementRevision.previous_value.is_not(None))
        .order_by(MeasurementRevision.id.desc())
    ).all()
    return [
        {
            "period": period,
            "before": with_unit(r.previous_value, ind.unit),
            "after": with_unit(r.value, ind.unit),
            "by": words.person(r.actor),
            "on": local_day(r.at, zone),
            "reason": r.reason,
        }
        for period, r in rows
    ]
