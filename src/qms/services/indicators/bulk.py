"""Several indicator values at once (the API's ``POST /indicator-values``): all of them, or
nothing.

Every value is checked as one recorded alone is (:func:`qms.services.indicators.service.
record_period`): the indicator in force and the person allowed to record it, a period of
its frequency that is over, a number within its possible values, a comment and a reason
within their columns, a reason for a correction; and no period given twice. Every bad
value is named by its position in the list and its field, all of them at once; then
nothing is written. A value the person may not record refuses the whole list as a
permission (:class:`ValuesNotAllowed`), the others as input (:class:`ValuesRefused`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.models import Indicator, Measurement, MeasurementRevision
from qms.services.indicators import queries as indicators_queries
from qms.services.indicators import service as indicators
from qms.services.indicators.service import Entry
from qms.services.indicators.vocabulary import Outcome
from qms.services.shared import text_for
from qms.workflow.permissions import ActorRoles

MOST = 5000  # values in one request


@dataclass(frozen=True)
class Value:
    indicator: str
    period: str
    value: str | float
    comment: str = ""
    reason: str = ""  # why a stored value is corrected


@dataclass(frozen=True)
class Wrong:
    index: int  # the value's position in the list, from 0
    field: str
    message: str


class ValuesRefused(ValidationError):
    """Values that are wrong; ``wrong`` names each (position and field)."""

    def __init__(self, wrong: list[Wrong]) -> None:
        first = wrong[0]
        super().__init__(first.field, first.message)
        self.wrong = wrong
        self.args = (_summary(wrong),)


class ValuesNotAllowed(PermissionDenied):
    """Values of indicators the person may not record; ``wrong`` names each."""

    def __init__(self, wrong: list[Wrong]) -> None:
        super().__init__(_summary(wrong))
        self.wrong = wrong


def _summary(wrong: list[Wrong]) -> str:
    rows = len({w.index for w in wrong})
    first = wrong[0]
    return (
        f"{rows} value{'s' if rows != 1 else ''} refused, nothing recorded; the first: "
        f"value {first.index} ({first.field}): {first.message}"
    )


def record_values(
    app: Services, actor: str, values: list[Value], source: str
) -> list[tuple[Value, Outcome, str]]:
    """Check every value, then store them all in one transaction; each with what storing
    it did and its period as stored (``2026-3`` is ``2026-03``)."""
    if not values:
        raise ValidationError("values", "send at least one value")
    if len(values) > MOST:
        raise ValidationError("values", f"{len(values)} values: at most {MOST} in one request")
    today, now = app.engine.today(), app.engine.clock.now()
    with app.database.unit_of_work() as uow:
        session = uow.session
        roles = ActorRoles.for_handle(session, actor, today)
        entries, wrong, refused = _checked(session, values, roles, today)
        stored = _stored(session, [e for e in entries if e is not None])
        for index, (value, entry) in enumerate(zip(values, entries, strict=True)):
            if entry is None:
                continue
            found = stored.get((entry.indicator.id, entry.period.label))
            if found is not None and found.value != entry.value and not value.reason.strip():
                message = indicators.correction_needs_reason(entry, found)
                wrong.append(Wrong(index, "reason", message))
        if refused:
            raise ValuesNotAllowed(sorted(refused, key=lambda w: w.index))
        if wrong:
            raise ValuesRefused(sorted(wrong, key=lambda w: (w.index, w.field)))
        done = []
        for value, entry in zip(values, entries, strict=True):
            assert entry is not None
            found = stored.get((entry.indicator.id, entry.period.label))
            reason = value.reason.strip()
            outcome = indicators.store_over(session, entry, found, actor, now, source, reason)
            done.append((value, outcome, entry.period.label))
        try:
            uow.commit()
        except IntegrityError as exc:  # a period stored by someone else meanwhile
            raise ConflictError(
                "a period of these values was recorded by someone else meanwhile: check them "
                "and send them again"
            ) from exc
        return done


def counts(done: list[tuple[Value, Outcome, str]]) -> Counter[str]:
    return Counter(str(outcome) for _, outcome, _ in done)


def _checked(
    session: Session, values: list[Value], roles: ActorRoles, today: date
) -> tuple[list[Entry | None], list[Wrong], list[Wrong]]:
    known = {i.code: i for i in session.scalars(select(Indicator))}
    entries: list[Entry | None] = []
    wrong: list[Wrong] = []
    refused: list[Wrong] = []
    first: dict[tuple[str, str], int] = {}
    for index, value in enumerate(values):
        problems: list[Wrong] = []
        entry = _entry(index, value, known, roles, today, problems, refused)
        if entry is not None:
            key = (entry.indicator.code, entry.period.label)
            if key in first:
                problems.append(
                    Wrong(
                        index,
                        "period",
                        f"{key[1]} of {key[0]} is given twice (first at value {first[key]})",
                    )
                )
                entry = None
            else:
                first[key] = index
        wrong += problems
        entries.append(None if problems else entry)
    return entries, wrong, refused


def _entry(
    index: int,
    value: Value,
    known: dict[str, Indicator],
    roles: ActorRoles,
    today: date,
    problems: list[Wrong],
    refused: list[Wrong],
) -> Entry | None:
    indicator = known.get(value.indicator.strip().upper())
    if indicator is None:
        problems.append(Wrong(index, "indicator", f"unknown indicator '{value.indicator[:40]}'"))
        return None
    if indicator.retired_on is not None:
        problems.append(
            Wrong(index, "indicator", f"'{indicator.code}' was retired on {indicator.retired_on}")
        )
        return None
    if not indicators_queries.may_record(roles, indicator):
        refused.append(Wrong(index, "indicator", indicators_queries.refusal(roles, indicator)))
        return None
    period = number = None
    try:
        period = indicators.check_period(indicator, value.period, today)
    except ValueError as exc:
        problems.append(Wrong(index, "period", str(exc)))
    try:
        number = indicators.check_value(indicator, indicators.parse_number(value.value, indicator))
    except ValueError as exc:
        problems.append(Wrong(index, "value", str(exc)))
    for field, model in (("comment", Measurement), ("reason", MeasurementRevision)):
        try:
            text_for(model, field, getattr(value, field))
        except ValidationError as exc:
            problems.append(Wrong(index, field, str(exc).removeprefix(f"{field}: ")))
    if period is None or number is None or problems:
        return None
    return Entry(indicator, period, number, value.comment.strip())


def _stored(session: Session, entries: list[Entry]) -> dict[tuple[int, str], Measurement]:
    """The measurements already stored for the values' periods, in one query."""
    if not entries:
        return {}
    ids = sorted({e.indicator.id for e in entries})
    wanted = {(e.indicator.id, e.period.label) for e in entries}
    query = select(Measurement).where(Measurement.indicator_id.in_(ids))
    return {
        (m.indicator_id, m.period): m
        for m in session.scalars(query)
        if (m.indicator_id, m.period) in wanted
    }
