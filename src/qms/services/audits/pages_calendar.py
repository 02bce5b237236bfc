"""The audit calendars a page offers for download (RFC 5545): the cycle's, as
``qms audit calendar`` writes it (:func:`qms.services.audits.calendar.calendar`), with only
the processes the person sees; and one audit's, with the same event."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from icalendar import Calendar

from qms.bootstrap import Services
from qms.models import InternalAudit
from qms.services import record_view, shared, visibility
from qms.services.audits import calendar as audits_calendar
from qms.services.audits.calendar import PRODID, _audit_event
from qms.services.audits.service import KIND


def cycle_calendar(app: Services, handle: str, cycle: int) -> bytes:
    """The cycle's programme and audits, of the processes the person sees."""
    with app.database.reading() as session:
        person = shared.person(session, handle, "actor")
        scope = visibility.scope(session, person, app.engine.today())
        seen = None if scope.everything else scope.process_ids
        now = app.engine.clock.now()
        return audits_calendar.calendar(session, cycle, now, app.settings.base_url, seen)


def audit_calendar(app: Services, handle: str, audit_id: int, now: datetime | None = None) -> bytes:
    """One audit as an .ics file: the event the cycle's calendar has for it."""
    base = app.settings.base_url
    with app.database.reading() as session:
        record, _scope = record_view.seen(session, KIND, audit_id, handle, app.engine.today())
        assert isinstance(record, InternalAudit)
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("x-wr-calname", record.title)
        if record.planned_start is not None and record.process is not None:
            host = urlparse(base).hostname or "qms.invalid"
            when = now or app.engine.clock.now()
            cal.add_component(_audit_event(session, record, when, host, base))
        return bytes(cal.to_ical())
