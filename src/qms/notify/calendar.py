"""A person's calendar feed (ICS): their due dates, audits and reviews, as all-day events.

Each event's UID is stable (record, date field), so a calendar that subscribes to the
feed updates an event when its date moves instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from qms.models import Person

Link = Callable[[str, int], str]


@dataclass(frozen=True)
class Entry:
    """One all-day event: a record's dated field."""

    kind: str
    record_id: int
    field: str
    day: date
    summary: str


def feed(found: list[Entry], person: Person, link: Link, stamp: datetime, domain: str) -> bytes:
    """The ICS text of ``found``."""
    calendar = Calendar()
    calendar.add("prodid", "-//qms//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"qms: {person.name}")
    for entry in found:
        event = Event()
        event.add("uid", f"{entry.kind}-{entry.record_id}-{entry.field}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + timedelta(days=1))
        event.add("summary", entry.summary)
        event.add("url", link(entry.kind, entry.record_id))
        event.add(
            "description", f"{entry.kind} #{entry.record_id}: {link(entry.kind, entry.record_id)}"
        )
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
