"""The demo's one timeline: every step of every capability, played once in time order.

A step module adds events (a moment and a callable); :meth:`Timeline.play` runs them
sorted by moment on the injected clock.  An event may add later events while it runs
(what an audit finding raised is followed up once it exists), never earlier ones.  Every
moment falls on a working day (Monday to Friday, outside the school's closed periods) in
office hours in the institution's time zone, minutes spread, and never after the demo's
last day.  An event refused by the engine is a bug of the story: it is kept, and
:func:`qms.demo.run` refuses to report a year that has any.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from qms.audit_policy import ClosedPeriod, is_closed
from qms.clock import FixedClock
from qms.errors import QmsError

FIRST_MINUTE, LAST_MINUTE = 8 * 60 + 35, 17 * 60 + 40  # a step takes a few minutes
MORNING = (8 * 60 + 50, 10 * 60 + 20)  # e.g. an audit opened after its opening meeting
Window = tuple[int, int]  # first and last minute of the day


class Unset:
    """No event to follow (``Timeline.add`` without ``after``)."""


UNSET = Unset()


@dataclass(order=True)
class Event:
    at: datetime  # in the institution's zone
    seq: int
    action: Callable[[], object] = field(compare=False)
    what: str = field(compare=False, default="")


@dataclass(frozen=True)
class Occurrence:
    """A problem that happened: a nonconformity detected or an indicator breached."""

    process: str
    cause: str | None  # None for a breach: any cause
    day: date
    what: str


@dataclass
class Timeline:
    clock: FixedClock
    rng: random.Random
    zone: ZoneInfo
    closed: list[ClosedPeriod]
    first: date
    last: date
    events: list[Event] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    played: int = 0
    now: datetime | None = None  # the moment of the event being played

    def open_day(self, day: date) -> date:
        """``day``, or the first working day after it."""
        day = max(day, self.first)
        while is_closed(day, self.closed):
            day += timedelta(days=1)
        return day

    def moment(
        self, day: date, after: datetime | None = None, window: Window | None = None
    ) -> datetime | None:
        """A moment on the first working day from ``day``, later than ``after`` (and than
        the event being played), in ``window`` if given (minutes of the day, e.g. the
        morning); None when it would fall after the last day."""
        floor = max((m for m in (after, self.now) if m is not None), default=None)
        day = self.open_day(day)
        if floor is not None and day <= floor.date():
            if window is None:
                return self._after(floor)
            day = self.open_day(floor.date() + timedelta(days=1))
        return self._on(day, window)

    def _on(self, day: date, window: Window | None = None) -> datetime | None:
        if day > self.last:
            return None
        minutes = self.rng.randint(*(window or (FIRST_MINUTE, LAST_MINUTE)))
        minutes += 1 if minutes % 60 == 0 else 0
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone)

    def _after(self, floor: datetime) -> datetime | None:
        later = floor + timedelta(minutes=self.rng.randint(4, 35))
        if later.time() > time(LAST_MINUTE // 60, LAST_MINUTE % 60):
            return self._on(self.open_day(floor.date() + timedelta(days=1)))
        return later + timedelta(minutes=1) if later.minute == 0 else later

    def add(
        self,
        day: date,
        action: Callable[[], object],
        what: str = "",
        after: datetime | Unset | None = UNSET,
        window: Window | None = None,
    ) -> datetime | None:
        """Plan ``action`` on the first working day from ``day``, after the event ``after``
        (a moment :meth:`add` gave); the moment given, or None when it falls after the
        demo's year (it is not played).  ``after=None`` is an event that never happens:
        what follows it is not planned either."""
        if after is None:
            return None
        at = self.moment(day, None if isinstance(after, Unset) else after, window)
        if at is not None:
            heapq.heappush(self.events, Event(at, len(self.events) + self.played, action, what))
        return at

    def play(self) -> None:
        """Run the events in time order, and those they add; keep each refusal."""
        while self.events:
            event = heapq.heappop(self.events)
            self.played += 1
            self.now = event.at
            self.clock.at = event.at.astimezone(UTC)
            try:
                event.action()
            except QmsError as exc:
                self.refusals.append(f"{event.at:%Y-%m-%d %H:%M} {event.what}: {exc}")

    def recurred(
        self, process: str, cause: str | None, start: date, end: date
    ) -> Occurrence | None:
        """The first problem of ``process`` (same cause, or a breach) in ``start``..``end``."""
        for seen in sorted(self.occurrences, key=lambda o: o.day):
            alike = seen.cause is None or cause is None or seen.cause == cause
            if seen.process == process and alike and start < seen.day <= end:
                return seen
        return None
