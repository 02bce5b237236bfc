"""Demo data: a believable year of the example institution's quality system.

Each capability contributes one step (a module listed in STEPS with a ``run(ctx)``
function returning the lines it reports).  A step moves the injected clock through
the year as it works, so the trail shows when each thing happened, and skips itself
when its records already exist, so `qms demo` can be run again safely.

The story names the example institution's processes and people, so it is played only on
the example's process map (``workflows/process-map.yaml``, organisation ``VSE``); on any
other institution's map :func:`run` refuses before it writes anything.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import select

from qms.bootstrap import Services, bootstrap
from qms.clock import FixedClock
from qms.config import Settings
from qms.db import Database
from qms.errors import QmsError
from qms.models import Organisation

SEED = 9001
EXAMPLE_ORGANISATION = "VSE"  # the organisation code of workflows/process-map.yaml
STEPS: list[str] = [
    # one module per capability, in the order they build on each other
    "qms.demo.capa",
    "qms.demo.audits",
    "qms.demo.reviews",
]


@dataclass
class DemoContext:
    app: Services  # its engine runs on ``clock``
    clock: FixedClock
    rng: random.Random
    today: date

    @property
    def start(self) -> date:
        return self.today - timedelta(days=365)

    def at(self, day: date, hour: int = 10) -> None:
        """Move the clock to ``day`` at ``hour`` in the institution's time zone."""
        local = datetime.combine(day, time(hour), tzinfo=self.app.settings.zone)
        self.clock.at = local.astimezone(UTC)


class NotTheExample(QmsError):
    """The loaded process map is another institution's: the demo's story does not fit it."""


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
    def run(self, ctx: DemoContext) -> list[str]: ...


def run(settings: Settings, database: Database, today: date) -> list[str]:
    """Play the year that ends the day before ``today``: no step is later than now, and the
    trail refuses a row dated in the future.  Nothing is played on an empty database, and
    another institution's map is refused (:class:`NotTheExample`)."""
    if not check_example(database):
        return []
    last_day = today - timedelta(days=1)
    clock = FixedClock(datetime.combine(last_day, time(9), tzinfo=UTC))
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    ctx = DemoContext(bootstrap(settings, clock, database), clock, rng, last_day)
    lines: list[str] = []
    for name in STEPS:
        step: Step = importlib.import_module(name)
        lines.extend(step.run(ctx))
    return lines
