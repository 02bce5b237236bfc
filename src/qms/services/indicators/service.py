"""Indicators (clause 9.1): load the file into the database, check and store measurements.

Every write of a value goes through :func:`store`: a new period is a measurement, the
same value again changes nothing, a different value is a correction that needs a reason
and keeps the previous value as a revision.  A value worse than the alert threshold
raises a breach proposal (``indicators_breaches``) in the same transaction.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import PermissionDenied, ValidationError
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
from qms.services.indicators.periods import Period
from qms.services.indicators.queries import get, may_record, refusal
from qms.services.indicators.sheet_formats import Percentage
from qms.services.indicators.vocabulary import Outcome
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


def record(
    app: Services,
    actor: str,
    code: str,
    period: str,
    value: str | float,
    comment: str = "",
    reason: str = "",
) -> Outcome:
    """Record (or correct) the value of one period, from the command line."""
    today = app.engine.today()
    with app.database.unit_of_work() as uow:
        session = uow.session
        roles = ActorRoles.for_handle(session, actor, today)
        indicator = get(session, code)
        if indicator.retired_on is not None:
            raise ValidationError("indicator", f"'{code}' was retired on {indicator.retired_on}")
        if not may_record(roles, indicator):
            raise PermissionDenied(refusal(roles, indicator))
        entry = Entry(indicator, _period(indicator, period, today), _value(indicator, value))
        entry = Entry(entry.indicator, entry.period, entry.value, comment.strip())
        outcome = store(session, entry, actor, app.engine.clock.now(), "command line", reason)
        uow.commit()
        return outcome


def _period(indicator: Indicator, text: str, today: date) -> Period:
    try:
        return check_period(indicator, text, today)
    except ValueError as exc:
        raise ValidationError("period", str(exc)) from None


def _value(indicator: Indicator, raw: str | float) -> float:
    try:
        return check_value(indicator, parse_number(raw, indicator))
    except ValueError as exc:
        raise ValidationError("value", str(exc)) from None


EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
SPACES = " \u00a0\u202f"  # a space, the no-break and narrow no-break spaces French Excel writes
_NUMBER = re.compile(
    rf"(?P<sign>[-+])?(?P<whole>\d{{1,3}}(?:[{SPACES}]\d{{3}})+|\d+)(?:[.,](?P<part>\d+))?",
    re.ASCII,
)


def parse_number(raw: object, indicator: Indicator | None = None) -> float:
    """A number as people write it, strictly: ``1234.5``, ``1234,5`` (decimal comma),
    ``1 234,5`` (thousands separated by a space, no-break or narrow no-break space), and
    ``12,5 %`` on an indicator measured in % only; ValueError saying what is wrong.

    Nothing else: no underscores, no digits other than 0-9, no exponent, no thousands
    comma.  A spreadsheet's number is taken as it is; one formatted as a percentage
    (stored as 0.125 for 12.5 %) only on a % indicator.
    """
    percent_unit = indicator is not None and indicator.unit.strip() == "%"
    if isinstance(raw, Percentage):
        if not percent_unit:
            shown = f"{raw.percent:g} %"
            raise ValueError(_not_percent(shown, indicator, "is formatted as a percentage"))
        return raw.percent
    if isinstance(raw, bool):
        raise ValueError(f"{'TRUE' if raw else 'FALSE'} is not a number")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("no value")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise ValueError(f"{raw} is not a number")
        return float(raw)
    if isinstance(raw, datetime | date | time):
        raise ValueError(f"a date or time ({raw}) is not a number: format the cell as a number")
    text = str(raw).strip()
    shown = _shown(text)
    if text.upper() in EXCEL_ERRORS:
        raise ValueError(f"{shown} is an error of the spreadsheet, not a number: fix its formula")
    body, percent = text, text.endswith("%")
    if percent:
        body = text[:-1].rstrip(SPACES)
        if not percent_unit:
            raise ValueError(_not_percent(shown, indicator, "has a percent sign"))
    found = _NUMBER.fullmatch(body)
    if found is None:
        raise ValueError(f"{shown} is not a number{_why_not(body)}")
    whole = re.sub(f"[{SPACES}]", "", found["whole"])
    return float(f"{found['sign'] or ''}{whole}.{found['part'] or '0'}")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _not_percent(shown: str, indicator: Indicator | None, what: str) -> str:
    if indicator is None:
        return f"{shown} {what}: give the number alone"
    unit = f"measured in {indicator.unit.strip()}" if indicator.unit.strip() else "not a percentage"
    return f"{shown} {what}, but '{indicator.code}' is {unit}: give the number alone"


def _why_not(text: str) -> str:
    """Why ``text`` is not a number, when a likely reason can be told."""
    digits = [c for c in text if c.isdigit() and not c.isascii()]
    if digits:
        name = unicodedata.name(digits[0], "a digit").lower()
        return f" (it holds {name} '{digits[0]}': write the digits 0-9)"
    if "_" in text:
        return " (no underscores: write 1000 or 1 000)"
    if re.fullmatch(r"[-+]?[\d.,]+[eE][-+]?\d+", text):
        return " (no exponent: write the number in full, e.g. 1000 for 1e3)"
    if "," in text and "." in text:
        return " (one decimal separator, comma or point; thousands separated by a space: 1 234,5)"
    if re.fullmatch(rf"[-+]?[\d{SPACES}]+([.,]\d+)?", text):
        return " (digits are grouped by three: 1 234 567)"
    if text.count(",") + text.count(".") > 1:
        return " (one decimal separator only; thousands separated by a space: 1 234 567,5)"
    return ""
