"""Demo data: a believable year of the example institution's quality system.

Each capability contributes one step (a module listed in STEPS): its ``plan(ctx)`` adds
the events of its year to the one timeline the context holds (or notes that its records
are already there, so `qms demo` can be run again safely), and once the whole timeline is
played in time order its ``report(ctx)`` says what is stored.  An event that the engine
refuses is a bug of the story: :func:`run` raises :class:`StoryRefused` naming them.

The story names the example institution's processes and people, so it is played only on
the example's process map (``workflows/process-map.yaml``, organisation ``VSE``); on any
other institution's map :func:`run` refuses before it writes anything.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func, select

from qms.audit_policy import parse_closed_periods
from qms.bootstrap import Services, bootstrap
from qms.clock import FixedClock
from qms.config import Settings
from qms.db import Database
from qms.demo.timeline import Timeline
from qms.errors import QmsError
from qms.models import Organisation, RoleAssignment

if TYPE_CHECKING:
    from qms.demo.cases import Case

SEED = 9001
EXAMPLE_ORGANISATION = "VSE"  # the organisation code of workflows/process-map.yaml
LATE_MAP_DAYS = 60  # roles may begin this long after the demo's year does, no later
STEPS: list[str] = [
    # one module per capability; the audit programme is planned first (in December)
    "qms.demo.audits",
    "qms.demo.reviews",
    "qms.demo.capa",
]


@dataclass
class DemoContext:
    app: Services  # its engine runs on ``clock``
    clock: FixedClock
    rng: random.Random
    today: date  # the demo's last day: the day before the real today
    timeline: Timeline
    skipped: set[str] = field(default_factory=set)  # steps whose records were there
    titles: set[tuple[str, str]] = field(default_factory=set)  # (process, action title)
    audit_cases: list[Case] = field(default_factory=list)  # raised by audit findings
    breaches: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # code: when, period
    reviews: dict[str, int] = field(default_factory=dict)  # the management review being played
    notes: dict[str, str] = field(default_factory=dict)  # what a step reports

    @property
    def start(self) -> date:
        return self.today - timedelta(days=365)

    def unique_title(self, process: str, *candidates: str) -> str:
        """The first candidate not yet an action title on ``process`` (no action twice)."""
        for title in candidates:
            if (process, title) not in self.titles:
                self.titles.add((process, title))
                return title
        raise ValueError(f"every title is taken on {process}: {candidates}")


class NotTheExample(QmsError):
    """The loaded process map is another institution's: the demo's story does not fit it."""


class ShortYear(QmsError):
    """The process map's roles begin too late in the demo's year for its story to be told."""


class StoryRefused(QmsError):
    """The engine refused steps of the demo's story: the story is wrong, not the engine."""


def check_example(database: Database) -> bool:
    """True when the example's map is loaded, False when none is; refuses any other map."""
    with database.reading() as session:
        found = session.execute(select(Organisation.code, Organisation.name)).first()
    if found is None:
        return False
    code, name = found
    if code != EXAMPLE_ORGANISATION:
        raise NotTheExample(
            "qms demo builds the example institution's year; the loaded process map is "
            f"{name}'s ({code}): load workflows/process-map.yaml into an empty database "
            "to try it"
        )
    return True


class Step(Protocol):
    def plan(self, ctx: DemoContext) -> None: ...

    def report(self, ctx: DemoContext) -> list[str]: ...


def context(settings: Settings, database: Database, today: date) -> DemoContext:
    last_day = today - timedelta(days=1)
    clock = FixedClock(datetime.combine(last_day, time(9), tzinfo=UTC))
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    closed = parse_closed_periods(settings.audit_closed_periods)
    start = last_day - timedelta(days=365)
    with database.reading() as session:
        roles_from = session.scalar(select(func.min(RoleAssignment.valid_from)))
    # Nobody acts before the process map's roles begin: a map loaded with a later --as-of
    # gets a shorter year (its steps move to the first day someone holds a role).
    first = max(start, roles_from) if roles_from else start
    if first > start + timedelta(days=LATE_MAP_DAYS):
        raise ShortYear(
            f"qms demo plays the year from {start}; the process map's roles begin on {first}: "
            "load the map with an --as-of at least a year ago (make run uses 400 days)"
        )
    timeline = Timeline(clock, rng, settings.zone, closed, first, last_day)
    return DemoContext(bootstrap(settings, clock, database), clock, rng, last_day, timeline)


def _seals(ctx: DemoContext) -> None:
    """The trail sealed every fourth Friday evening (the scheduler seals it daily in
    production): the reports issued during the year print the seal then in force."""
    from qms.services import trail

    day = ctx.timeline.first + timedelta(days=(4 - ctx.timeline.first.weekday()) % 7)
    while day <= ctx.today:
        ctx.timeline.add(
            day,
            lambda: trail.seal(ctx.app, "qms-scheduler"),
            "seal the trail",
            window=(17 * 60 + 20, 17 * 60 + 38),
        )
        day += timedelta(days=28)


def run(settings: Settings, database: Database, today: date) -> list[str]:
    """Play the year that ends the day before ``today``: no step is later than now, and the
    trail refuses a row dated in the future.  Nothing is played on an empty database, and
    another institution's map is refused (:class:`NotTheExample`)."""
    if not check_example(database):
        return []
    ctx = context(settings, database, today)
    steps: list[Step] = [importlib.import_module(name) for name in STEPS]
    for step in steps:
        step.plan(ctx)
    if len(ctx.skipped) < len(steps):  # a second run adds nothing, not even seals
        _seals(ctx)
    ctx.timeline.play()
    refused = ctx.timeline.refusals
    if refused:
        listed = "\n  ".join(refused)
        raise StoryRefused(f"the engine refused {len(refused)} steps of the demo:\n  {listed}")
    return [line for step in steps for line in step.report(ctx)]
