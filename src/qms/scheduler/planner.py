"""Planning: the reminders, digests and scheduled reports due now, written to the outbox.

A pass reads, for each rule, only the records whose date falls in the rule's window
(through the (state, date) indexes), works out the latest occurrence due for each,
and writes one outbox row per person with a dedupe key naming the record, the rule,
the deadline, the occurrence and the person.  Running the pass twice, or on two
machines at once, writes each row once.  A record that leaves the rule's states
(closed, cancelled) is no longer read, so its reminders stop.

A rule that fails (a date it cannot compute, a query the database refuses) is skipped
and the others are planned: each rule's reading runs in its own savepoint, and the
failure is logged once per process for that rule and error, not at every pass.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, inspect, select
from sqlalchemy.orm import Session

from qms.models import ManagementReview, Notification, Person, Process
from qms.reporting.words import plural
from qms.scheduler import outbox
from qms.scheduler.people import Directory
from qms.scheduler.rules import Reminders, Rule

log = logging.getLogger("qms.scheduler")

_reported: set[tuple[str, str]] = set()  # (rule, error) already logged by this process
_reported_lock = threading.Lock()


@dataclass(frozen=True)
class PlanReport:
    """New outbox rows written by one pass, by kind."""

    reminders: int = 0
    digests: int = 0
    reports: int = 0
    skipped: tuple[str, ...] = ()  # the rules that failed in this pass, by id

    @property
    def total(self) -> int:
        return self.reminders + self.digests + self.reports


@dataclass(frozen=True)
class Moment:
    """The instant of a pass, in UTC and in the institution's zone."""

    now: datetime
    zone: ZoneInfo
    date_format: str = "%Y-%m-%d"  # how e-mail bodies written at planning time write a date

    @property
    def local(self) -> datetime:
        return self.now.astimezone(self.zone)

    @property
    def today(self) -> date:
        return self.local.date()

    def at(self, day: date, clock_time: Any) -> datetime:
        return datetime.combine(day, clock_time, tzinfo=self.zone).astimezone(UTC)


def plan(session: Session, reminders: Reminders, moment: Moment) -> PlanReport:
    """Write what is due at ``moment``; the caller commits."""
    people = Directory.load(session, moment.today)
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for rule in reminders.rules:
        try:
            with session.begin_nested():  # a refused query must not abort the others
                found = [
                    row
                    for record in due_records(session, rule, moment.today)
                    for row in _reminder_rows(rule, record, people, moment, reminders)
                ]
        except Exception as exc:  # one rule's failure must not stop the pass
            _report_once(rule, exc)
            skipped.append(rule.id)
            continue
        rows.extend(found)
    digests = _digest_rows(rows, moment, reminders)
    reports = _dashboard_rows(session, people, moment, reminders)
    reports += _review_pack_rows(session, people, moment, reminders)
    reports += _measurement_rows(session, people, moment, reminders)
    return PlanReport(
        reminders=outbox.write_new(session, rows),
        digests=outbox.write_new(session, digests),
        reports=outbox.write_new(session, reports),
        skipped=tuple(skipped),
    )


def _report_once(rule: Rule, exc: Exception) -> None:
    """Log a rule's failure the first time this process meets it (one line, no traceback)."""
    first_line = next(iter(str(exc).splitlines()), "")  # a database error goes on with its SQL
    error = f"{type(exc).__name__}: {first_line}"
    with _reported_lock:
        if (rule.id, error) in _reported:
            return
        _reported.add((rule.id, error))
    log.error(
        "reminder rule '%s' skipped, the other rules are planned: %s (logged once; "
        "check the rule with `qms scheduler rules`)",
        rule.id,
        error,
    )


def due_records(session: Session, rule: Rule, today: date) -> list[Row[Any]]:
    """The records of ``rule`` whose date lies in its window today (an index range scan)."""
    column = rule.column(rule.date_field)
    low, high = rule.window(today)
    present = set(inspect(rule.model).columns.keys())
    wanted = ["id", "process_id", "owner_id", "lead_auditor_id", "title"]
    if not present & {"owner_id", "lead_auditor_id"}:
        wanted.append("data")  # a nonconformity names its action owner in its data
    columns = [rule.column(n) for n in wanted if n in present]
    query = select(*columns, column.label("stored_date"))
    query = query.where(column.is_not(None), column <= high)
    if low is not None:
        query = query.where(column >= low)
    if rule.states:
        query = query.where(rule.column("state").in_(rule.states))
    return list(session.execute(query))


def occurrence_of(rule: Rule, stored: date, today: date) -> tuple[date, int] | None:
    """The deadline and the offset of the latest reminder due by ``today``, if any."""
    deadline = rule.deadline(stored)
    offset = rule.occurrence((today - deadline).days)
    return None if offset is None else (deadline, offset)


def reminder_key(rule: Rule, record_id: int, deadline: date, offset: int, handle: str) -> str:
    return f"reminder:{rule.id}:{rule.kind}:{record_id}:{deadline.isoformat()}:{offset:+d}:{handle}"


def _reminder_rows(
    rule: Rule, record: Row[Any], people: Directory, moment: Moment, reminders: Reminders
) -> list[dict[str, Any]]:
    found = occurrence_of(rule, record.stored_date, moment.today)
    if found is None:
        return []
    deadline, offset = found
    rows = []
    for person, role in people.recipients(rule.recipients_at(offset), record):
        payload = {
            "rule": rule.id,
            "record_kind": rule.kind,
            "record_id": record.id,
            "deadline": deadline.isoformat(),
            "offset": offset,
            "handle": person.handle,
            "as": role,
        }
        key = reminder_key(rule, record.id, deadline, offset, person.handle)
        rows.append(_for_person(person, key, payload, moment, reminders))
    return rows


def _for_person(
    person: Person, key: str, payload: dict[str, Any], moment: Moment, reminders: Reminders
) -> dict[str, Any]:
    if person.notification == Notification.DAILY:
        when = next_digest(moment, reminders)
        return outbox.row(
            outbox.DIGEST_ITEM, key, payload, moment.now, recipient=person.handle, available_at=when
        )
    return outbox.row(outbox.REMINDER, key, payload, moment.now, recipient=person.handle)


def next_digest(moment: Moment, reminders: Reminders) -> datetime:
    """The next digest time at or after now (today's, or tomorrow's once it has passed)."""
    today = moment.at(moment.today, reminders.schedules.digest_at)
    if today >= moment.now:
        return today
    return moment.at(moment.today + timedelta(days=1), reminders.schedules.digest_at)


def _digest_rows(
    rows: list[dict[str, Any]], moment: Moment, reminders: Reminders
) -> list[dict[str, Any]]:
    """One digest per person and digest time that has reminders waiting for it."""
    digests: dict[str, dict[str, Any]] = {}
    for item in rows:
        if item["topic"] != outbox.DIGEST_ITEM:
            continue
        when: datetime = item["available_at"]
        day = when.astimezone(moment.zone).date().isoformat()
        key = f"digest:{item['recipient']}:{day}"
        payload = {"handle": item["recipient"], "day": day}
        digests[key] = outbox.row(
            outbox.DIGEST, key, payload, moment.now, recipient=item["recipient"], available_at=when
        )
    return list(digests.values())


def _dashboard_rows(
    session: Session, people: Directory, moment: Moment, reminders: Reminders
) -> list[dict[str, Any]]:
    """Each pilot's monthly dashboard, once the month's dashboard day and time are reached."""
    schedules = reminders.schedules
    today = moment.today
    start = moment.at(today.replace(day=schedules.dashboard_day), schedules.dashboard_at)
    if not schedules.dashboard_enabled or moment.now < start:
        return []
    live = set(session.scalars(select(Process.id).where(Process.retired_on.is_(None))))
    processes: dict[str, list[int]] = {}
    for process_id, pilot in sorted(people.pilots.items()):
        if process_id in live:
            processes.setdefault(pilot.handle, []).append(process_id)
    month = today.strftime("%Y-%m")
    return [
        outbox.row(
            outbox.DASHBOARD,
            f"dashboard:{handle}:{month}",
            {"handle": handle, "month": month, "process_ids": ids},
            moment.now,
            recipient=handle,
        )
        for handle, ids in processes.items()
    ]


def _review_pack_rows(
    session: Session, people: Directory, moment: Moment, reminders: Reminders
) -> list[dict[str, Any]]:
    """The review pack for each director, ``days_before`` a planned management review."""
    schedules = reminders.schedules
    if not schedules.review_pack_enabled:
        return []
    today = moment.today
    horizon = today + timedelta(days=schedules.review_pack_days_before)
    reviews = session.scalars(
        select(ManagementReview).where(
            ManagementReview.state == "planned",
            ManagementReview.planned_on >= today,
            ManagementReview.planned_on <= horizon,
        )
    )
    rows = []
    for review in reviews:
        day = review.planned_on.isoformat() if review.planned_on else ""
        for director in people.directors:
            key = f"review-pack:{review.id}:{day}:{director.handle}"
            payload = {"review_id": review.id, "planned_on": day, "handle": director.handle}
            rows.append(
                outbox.row(outbox.REVIEW_PACK, key, payload, moment.now, recipient=director.handle)
            )
    return rows


def _measurement_rows(
    session: Session, people: Directory, moment: Moment, reminders: Reminders
) -> list[dict[str, Any]]:
    """Indicator values past their due date (clause 9.1): the owner the day after, then every
    ``every_days``; the process's pilot in copy after ``escalate_after_days``."""
    policy = reminders.schedules.measurements
    if not policy.enabled:
        return []
    try:
        from qms.services.indicators import series as indicators_series
    except ImportError:  # an installation without the indicators capability
        return []
    since = moment.today - timedelta(days=policy.look_back_days)
    process_ids = {row.code: row.id for row in session.execute(select(Process.code, Process.id))}
    rows = []
    for late in indicators_series.missing(session, moment.today, since):
        if late.owner is None or late.days_late < 1:
            continue
        week = (late.days_late - 1) // policy.every_days
        pilot = people.pilots.get(process_ids.get(late.process, 0))
        copy = [pilot.handle] if pilot and late.days_late > policy.escalate_after_days else []
        key = f"measurement:{late.indicator}:{late.period}:{week}:{late.owner}"
        payload = {
            "to": [late.owner],
            "cc": [h for h in copy if h != late.owner],
            "subject": f"Value of {late.indicator} for {late.period} is "
            f"{plural(late.days_late, 'day')} late",
            "reference": f"indicator {late.indicator} ({late.process})",
            "body": (
                f"The value of indicator {late.indicator} for {late.period} was due on "
                f"{late.due_on.strftime(moment.date_format)} and is not recorded yet. "
                "Record it with: "
                f"qms indicator record {late.indicator} {late.period} VALUE"
            ),
        }
        rows.append(
            outbox.row(outbox.MEASUREMENT_DUE, key, payload, moment.now, recipient=late.owner)
        )
    return rows
