"""Indicators (clause 9.1): load the file into the database, check and store measurements.

Every write of a value goes through :func:`store`: a new period is a measurement, the
same value again changes nothing, a different value is a correction that needs a reason
and keeps the previous value as a revision.  A value worse than the alert threshold
raises a breach proposal (``indicators_breaches``) in the same transaction.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.models import (
    Frequency,
    Indicator,
    Measurement,
    MeasurementRevision,
    Person,
    Process,
)
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import periods as indicators_periods
from qms.services.indicators.files import IndicatorSpec, IndicatorsSpec
from qms.services.indicators.numbers import parse_number as parse_number  # its home before
from qms.services.indicators.periods import Period
from qms.services.indicators.queries import get, may_record, refusal
from qms.services.indicators.vocabulary import Outcome
from qms.services.shared import text_for
from qms.workflow.permissions import ActorRoles

# --- loading the file -----------------------------------------------------------------------


def known_codes(session: Session) -> tuple[set[str], set[str]]:
    """Process codes in force and person handles, to check a file against the database."""
    processes = set(session.scalars(select(Process.code).where(Process.retired_on.is_(None))))
    return processes, set(session.scalars(select(Person.handle)))


def load(session: Session, spec: IndicatorsSpec, as_of: date) -> Counter[str]:
    """Upsert the file's indicators; those left out are retired (never deleted)."""
    changes: Counter[str] = Counter()
    processes = {p.code: p.id for p in session.scalars(select(Process))}
    people = {p.handle: p.id for p in session.scalars(select(Person))}
    existing = {i.code: i for i in session.scalars(select(Indicator))}
    for position, item in enumerate(spec.indicators):
        values = _columns(item, position, processes, people)
        found = existing.get(item.code)
        if found is None:
            session.add(Indicator(code=item.code, **values))
            changes["indicators created"] += 1
            continue
        _refuse_frequency_change(session, found, item.frequency)
        values["retired_on"] = None
        if any(getattr(found, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(found, key, value)
            changes["indicators updated"] += 1
    listed = {i.code for i in spec.indicators}
    for code, indicator in existing.items():
        if code not in listed and indicator.retired_on is None:
            indicator.retired_on = as_of
            changes["indicators retired"] += 1
    session.flush()
    return changes


def _columns(
    item: IndicatorSpec, position: int, processes: dict[str, int], people: dict[str, int]
) -> dict[str, object]:
    return {
        "process_id": processes[item.process],
        "name": item.name,
        "measures": item.measures,
        "method": item.method,
        "unit": item.unit,
        "direction": item.direction,
        "target": float(item.target),
        "alert_threshold": float(item.alert_threshold),
        "frequency": item.frequency,
        "data_source": item.data_source,
        "owner_id": people[item.owner] if item.owner else None,
        "topics": [t.value for t in item.about],
        "minimum": None if item.minimum is None else float(item.minimum),
        "maximum": None if item.maximum is None else float(item.maximum),
        "due_days": item.due_days,
        "since_period": None if item.since is None else str(item.since).upper(),
        "position": position,
    }


def _refuse_frequency_change(session: Session, indicator: Indicator, frequency: Frequency) -> None:
    if indicator.frequency == frequency:
        return
    count = len(session.scalars(select(Measurement.id).filter_by(indicator_id=indicator.id)).all())
    if count:
        raise ValidationError(
            "frequency",
            f"indicator '{indicator.code}' has {count} {indicator.frequency.value} "
            f"measurements and cannot become {frequency.value}: declare it under a new code",
        )


# --- recording values ---------------------------------------------------------------------


def check_period(indicator: Indicator, text: str, today: date) -> Period:
    """The period ``text`` names, if it is one of the indicator's and is over; else ValueError."""
    period = indicators_periods.parse(text, indicator.frequency)
    if period.end >= today:
        raise ValueError(
            f"period {period} of '{indicator.code}' ends on {period.end.isoformat()}: "
            "record its value once it is over"
        )
    return period


def check_value(indicator: Indicator, value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a number")
    low, high = indicator.minimum, indicator.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(
            f"{_num(value)} {indicator.unit} is outside the possible values "
            f"({_bounds(low, high)}) of '{indicator.code}'"
        )
    return value


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_num(low)} to {_num(high)}"
    return f"at least {_num(low)}" if low is not None else f"at most {_num(high)}"


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


@dataclass(frozen=True)
class Entry:
    """One value to store, checked."""

    indicator: Indicator
    period: Period
    value: float
    comment: str = ""


def store(
    session: Session, entry: Entry, actor: str, now: datetime, source: str, reason: str = ""
) -> Outcome:
    """Write one value; a correction keeps the previous one as a revision."""
    found = session.scalar(
        select(Measurement).filter_by(indicator_id=entry.indicator.id, period=entry.period.label)
    )
    return store_over(session, entry, found, actor, now, source, reason)


def store_over(
    session: Session,
    entry: Entry,
    found: Measurement | None,
    actor: str,
    now: datetime,
    source: str,
    reason: str = "",
) -> Outcome:
    """As :func:`store`, with the stored measurement of that period already looked up."""
    if found is not None and found.value == entry.value:
        return Outcome.UNCHANGED
    if found is None:
        found = Measurement(
            indicator_id=entry.indicator.id,
            period=entry.period.label,
            period_end=entry.period.end,
            value=entry.value,
            comment=entry.comment,
            recorded_by=actor,
            recorded_at=now,
            source=source,
            revision=1,
        )
        session.add(found)
        session.flush()
        previous, outcome = None, Outcome.CREATED
    else:
        if not reason.strip():
            raise ValidationError("reason", correction_needs_reason(entry, found))
        previous, outcome = found.value, Outcome.CORRECTED
        found.value, found.recorded_by, found.recorded_at = entry.value, actor, now
        found.source, found.revision = source, found.revision + 1
        found.comment = entry.comment or found.comment
    session.add(
        MeasurementRevision(
            measurement_id=found.id,
            previous_value=previous,
            value=entry.value,
            actor=actor,
            at=now,
            reason=reason.strip(),
            source=source,
        )
    )
    indicators_breaches.check(session, entry.indicator, found, now)
    return outcome


def correction_needs_reason(entry: Entry, found: Measurement) -> str:
    return (
        f"period {found.period} of '{entry.indicator.code}' already holds {_num(found.value)} "
        f"(recorded by {found.recorded_by} on {found.recorded_at.date().isoformat()}); "
        f"replacing it by {_num(entry.value)} is a correction: give a reason"
    )


SOURCE = "command line"
"""Where :func:`record` says a value came from, unless told (kept with the value and each
of its revisions, beside ``import <file>`` for a file of values)."""


def record(
    app: Services,
    actor: str,
    code: str,
    period: str,
    value: str | float,
    comment: str = "",
    reason: str = "",
    *,
    source: str = SOURCE,
) -> Outcome:
    """Record (or correct) the value of one period; ``source`` says where it came from
    (``command line``, ``web form``), kept with the value and its revision."""
    return record_period(app, actor, code, period, value, comment, reason, source=source)[0]


def record_period(
    app: Services,
    actor: str,
    code: str,
    period: str,
    value: str | float,
    comment: str = "",
    reason: str = "",
    *,
    source: str = SOURCE,
) -> tuple[Outcome, Period]:
    """As :func:`record`, with the period stored (``2026-3`` typed is ``2026-03``).

    Every rule of recording one value is here: the indicator in force, who may record
    it, a period of its frequency that is over, a number within its possible values, a
    comment and a reason within their columns, and a reason for a correction. Each
    refusal is a ValidationError naming ``indicator``, ``period``, ``value``,
    ``comment`` or ``reason`` (or PermissionDenied); the same period stored by someone
    else meanwhile is a ConflictError. Nothing is written then.
    """
    today = app.engine.today()
    with app.database.unit_of_work() as uow:
        session = uow.session
        roles = ActorRoles.for_handle(session, actor, today)
        indicator = get(session, code)
        if indicator.retired_on is not None:
            raise ValidationError("indicator", f"'{code}' was retired on {indicator.retired_on}")
        if not may_record(roles, indicator):
            raise PermissionDenied(refusal(roles, indicator))
        entry = Entry(
            indicator,
            _period(indicator, period, today),
            _value(indicator, value),
            text_for(Measurement, "comment", comment),
        )
        reason = text_for(MeasurementRevision, "reason", reason)
        try:
            outcome = store(session, entry, actor, app.engine.clock.now(), source, reason)
            uow.commit()
        except IntegrityError as exc:  # the same period stored by someone else meanwhile
            raise ConflictError(
                f"period {entry.period} of '{code}' was recorded by someone else meanwhile: "
                "check its value"
            ) from exc
        return outcome, entry.period


def _period(indicator: Indicator, text: str, today: date) -> Period:
    if not text.strip():
        example = indicators_periods.EXAMPLE[indicator.frequency]
        raise ValidationError("period", f"give the period the value is for (like {example})")
    try:
        return check_period(indicator, text, today)
    except ValueError as exc:
        raise ValidationError("period", str(exc)) from None


def _value(indicator: Indicator, raw: str | float) -> float:
    try:
        return check_value(indicator, parse_number(raw, indicator))
    except ValueError as exc:
        raise ValidationError("value", str(exc)) from None
