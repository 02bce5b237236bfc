"""The indicator part of a person's worklist (clause 9.1): values due and not recorded, the
latest values off target, the breach proposals waiting for a decision.

The item and the person's scope are defined here, below :mod:`qms.services.worklist` (which
names them in its API), so that both modules build items without importing each other.
A value due is what the measurement reminders follow (``indicators.series.missing``), a
value's status what the indicators capability says (``Series.status``), and the breach
proposals are the capability's own list; all of them in four queries, whatever the number
of indicators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from qms.models import BreachState, Indicator, Measurement, Person, Process, Role
from qms.reporting.words import number
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import series as indicators_series
from qms.services.indicators.vocabulary import Status

# Periods ended this long ago are still followed: the measurement reminders' default
# (``look_back_days`` in workflows/reminders.yaml, which services do not read).
LOOK_BACK = timedelta(days=120)


@dataclass(frozen=True)
class Item:
    """One thing on a worklist: what it is, why it is there, when it is due, where it is."""

    kind: str  # improvement_action, nonconformity, measurement, breach, finding, off_target
    record_id: int | None  # the record's id (None for a measurement not yet recorded)
    title: str  # the record's title, or "<indicator code> <name>, <period>"
    process: str  # process code
    why: str  # why it is here, in a few words ("to analyse", "value due for 2026-10")
    state: str  # workflow state code ("" for a measurement or a value off target)
    due: date | None
    days_late: int  # 0 when not late
    link: str  # "/records/<kind>/<id>" for records, "/indicators/<code>" for indicators


@dataclass(frozen=True)
class Scope:
    """Whose worklist it is: the person, their role on each process that day (pilot or
    correspondent), and the code of every process by id."""

    person_id: int
    roles: dict[int, str]
    codes: dict[int, str]

    def code(self, process_id: int | None) -> str:
        return self.codes.get(process_id or 0, "")

    def process_codes(self) -> list[str]:
        return sorted(self.code(pid) for pid in self.roles)


def days_late(due: date | None, today: date) -> int:
    return max((today - due).days, 0) if due else 0


def items(session: Session, scope: Scope, today: date) -> list[Item]:
    """The indicator items of the person's processes, and the values of indicators they own
    (the owner records them, whoever the pilot is)."""
    rows = session.execute(
        select(Indicator, Process.code, Person.handle)
        .join(Process, Indicator.process_id == Process.id)
        .outerjoin(Person, Indicator.owner_id == Person.id)
        .where(
            Indicator.retired_on.is_(None),
            or_(
                Indicator.process_id.in_(list(scope.roles)),
                Indicator.owner_id == scope.person_id,
            ),
        )
        .order_by(Process.code, Indicator.position)
    ).all()
    by_code = {indicator.code: indicator for indicator, _, _ in rows}
    values = indicators_series.values_of(session, [i.id for i in by_code.values()])
    due = [
        _due(by_code[row.indicator], row)
        for row in indicators_series.missing_of(rows, values, today, today - LOOK_BACK)
    ]
    mine = {i.code: i for i in by_code.values() if i.process_id in scope.roles}
    breaches = [
        (mine[row.indicator], row)
        for row in indicators_breaches.rows(session, (BreachState.OPEN.value,))
        if row.indicator in mine
    ]
    listed = {(row.indicator, row.period) for _, row in breaches}
    return [
        *due,
        *(_breach(scope, indicator, row) for indicator, row in breaches),
        *_off_target(session, scope, list(mine.values()), values, today, listed),
    ]


def _title(indicator: Indicator, period: str) -> str:
    return f"{indicator.code} {indicator.name}, {period}"


def _link(indicator: Indicator) -> str:
    return f"/indicators/{indicator.code}"


def _due(indicator: Indicator, row: indicators_series.MissingRow) -> Item:
    return Item(
        kind="measurement",
        record_id=None,
        title=_title(indicator, row.period),
        process=row.process,
        why=f"value due for {row.period}",
        state="",
        due=row.due_on,
        days_late=max(row.days_late, 0),
        link=_link(indicator),
    )


def _breach(scope: Scope, indicator: Indicator, row: indicators_breaches.BreachRow) -> Item:
    """An open breach proposal: the pilot's to decide, the correspondent's to know of."""
    pilot = scope.roles[indicator.process_id] == Role.PILOT
    return Item(
        kind="breach",
        record_id=row.id,
        title=_title(indicator, row.period),
        process=row.process,
        why="breach proposal to decide" if pilot else "breach proposal for the pilot to decide",
        state=row.state,
        due=None,
        days_late=0,
        link=_link(indicator),
    )


def _off_target(
    session: Session,
    scope: Scope,
    indicators: list[Indicator],
    values: dict[int, dict[str, float]],
    today: date,
    listed: set[tuple[str, str]],
) -> list[Item]:
    """The latest value of each indicator when worse than its target; a value whose breach
    proposal is listed is not listed a second time."""
    latest = []
    for series in indicators_series.series_of(indicators, values, today):
        point, status = series.latest, series.status
        if point is None or point.value is None or status in (None, Status.ON_TARGET):
            continue
        if (series.indicator.code, point.period) not in listed:
            latest.append((series.indicator, point.period, point.value, status))
    ids = _measurement_ids(session, [(indicator.id, period) for indicator, period, _, _ in latest])
    return [
        Item(
            kind="off_target",
            record_id=ids.get((indicator.id, period)),
            title=_title(indicator, period),
            process=scope.code(indicator.process_id),
            why=_reading(indicator, value, status),
            state="",
            due=None,
            days_late=0,
            link=_link(indicator),
        )
        for indicator, period, value, status in latest
    ]


def _measurement_ids(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The id of the measurement of each (indicator id, period)."""
    if not keys:
        return {}
    query = select(Measurement.id, Measurement.indicator_id, Measurement.period).where(
        tuple_(Measurement.indicator_id, Measurement.period).in_(keys)
    )
    return {(indicator_id, period): mid for mid, indicator_id, period in session.execute(query)}


def _reading(indicator: Indicator, value: float, status: Status) -> str:
    """ "past its alert threshold: 10.1 % (alert 8 %)", "off target: 88 % (target 95 %)"."""
    unit = f" {indicator.unit}" if indicator.unit else ""
    if status == Status.BREACH:
        bound = f"alert {number(indicator.alert_threshold)}{unit}"
        return f"past its alert threshold: {number(value)}{unit} ({bound})"
    return f"off target: {number(value)}{unit} (target {number(indicator.target)}{unit})"
