"""The audit calendar of a cycle as iCalendar (RFC 5545) events: each programme entry not yet
scheduled, and each audit, as all-day events that Outlook and Thunderbird import."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlparse

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import InternalAudit, ProgrammeEntry
from qms.services.audits.common import cycle_bounds, programme_of, team

PRODID = "-//qms//internal audits//EN"


def calendar(
    session: Session,
    cycle: int,
    now: datetime,
    base_url: str,
    process_ids: frozenset[int] | None = None,
) -> bytes:
    """The programme of ``cycle`` and its audits, as an .ics file's bytes; only those of
    ``process_ids`` when given (what a person may see)."""
    found = programme_of(session, cycle)
    host = urlparse(base_url).hostname or "qms.invalid"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Internal audits {cycle}")
    entries = session.scalars(
        select(ProgrammeEntry)
        .where(ProgrammeEntry.programme_id == found.id)
        .order_by(ProgrammeEntry.planned_on, ProgrammeEntry.id)
    )
    for entry in entries:
        if entry.audit is None and (process_ids is None or entry.process_id in process_ids):
            cal.add_component(_entry_event(entry, now, host))
    start, end = cycle_bounds(cycle)
    audits = session.scalars(
        select(InternalAudit)
        .where(InternalAudit.planned_start.between(start, end))
        .order_by(InternalAudit.planned_start, InternalAudit.id)
    )
    for record in audits:
        if process_ids is not None and record.process_id not in process_ids:
            continue
        cal.add_component(_audit_event(session, record, now, host, base_url))
    return bytes(cal.to_ical())


def _all_day(event: Event, first: date, last: date) -> None:
    event.add("dtstart", first)
    event.add("dtend", last + timedelta(days=1))  # DTEND of an all-day event is exclusive


def _entry_event(entry: ProgrammeEntry, now: datetime, host: str) -> Event:
    event = Event()
    event.add("uid", f"audit-programme-entry-{entry.id}@{host}")
    event.add("dtstamp", now)
    _all_day(event, entry.planned_on, entry.planned_on)
    event.add("summary", f"Audit of {entry.process.code} (planned in the programme)")
    lead = entry.lead_auditor.name if entry.lead_auditor else "to be assigned"
    event.add(
        "description",
        f"{entry.process.code} {entry.process.name}\nProposed lead auditor: {lead}\n{entry.reason}",
    )
    event.add("status", "TENTATIVE")
    event.add("transp", "TRANSPARENT")
    return event


def _audit_event(
    session: Session, record: InternalAudit, now: datetime, host: str, base_url: str
) -> Event:
    assert record.planned_start is not None and record.process is not None
    event = Event()
    event.add("uid", f"internal-audit-{record.id}@{host}")
    event.add("dtstamp", now)
    event.add("sequence", record.version)
    _all_day(event, record.planned_start, record.planned_end or record.planned_start)
    event.add("summary", f"Audit {record.process.code}: {record.title}")
    event.add("description", _description(record))
    if record.location:
        event.add("location", record.location)
    event.add("status", "CANCELLED" if record.state == "cancelled" else "CONFIRMED")
    event.add("url", f"{base_url}/audits/{record.id}")
    for member in team(session, record):
        attendee = vCalAddress(f"mailto:{member.person.email}")
        attendee.params["cn"] = vText(member.person.name)
        attendee.params["role"] = vText(
            "CHAIR" if member.role == "lead_auditor" else "REQ-PARTICIPANT"
        )
        event.add("attendee", attendee, encode=False)
    return event


def _description(record: InternalAudit) -> str:
    lines = [f"{record.reference} ({record.state.replace('_', ' ')})"]
    if record.scope:
        lines.append(f"Scope: {record.scope}")
    if record.criteria:
        lines.append(f"Criteria: {record.criteria}")
    if record.auditee:
        lines.append(f"Auditee: {record.auditee}")
    return "\n".join(lines)
