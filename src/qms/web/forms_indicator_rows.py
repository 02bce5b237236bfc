"""The rows of an indicator's pages: a value with its unit, a status in words and colour,
every value recorded and every correction (clause 7.5.3: who, when, why)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import Indicator, Measurement, MeasurementRevision
from qms.reporting.words import TERMS, Words, number
from qms.services.indicators.vocabulary import Status, status
from qms.web.i18n import _

STATUS_CLASS = {Status.ON_TARGET: "ok", Status.WATCH: "", Status.BREACH: "late"}


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


def values_rows(
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


def corrections_rows(
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
