"""Benchmarks of qms: each prints a rate against a baseline measured in the same run.

Run them with ``python -m bench`` (``--quick`` for a smoke run of under a minute,
``--only NAME`` for some of them).  What compares across machines is the ratio of
the measured rate to its baseline, never a time: nothing here fails on a slow machine,
it prints BELOW TARGET and the numbers instead.
"""

from __future__ import annotations

import gc
import itertools
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from qms import migrations
from qms.bootstrap import Services, bootstrap
from qms.clock import SystemClock
from qms.config import load_settings
from qms.db import Database
from qms.services.processmap import files as processmap_file
from qms.services.processmap import service as processmap
from qms.testing.postgres import Cluster, find_bin_dir

ROOT = Path(__file__).resolve().parents[1]
LOAD_DAY = date(2026, 1, 5)  # the process map's roles hold from this day on

Work = Callable[[int], object]  # does n operations (its result is ignored)


@dataclass(frozen=True)
class Sizes:
    """How much work a run does; ``--quick`` shrinks every number."""

    fire_records: int = 40
    fires_per_round: int = 500
    fire_rounds: int = 5
    loaded_records: int = 10_000
    load_rounds: int = 9
    writer_records: int = 3  # records of each concurrent writer
    writer_fires: int = 800  # transitions per round, shared out between the writers
    writer_rounds: int = 3
    trail_rows: int = 100_000
    trail_chain: int = 10  # rows per record
    verify_rounds: int = 3


QUICK = Sizes(
    fire_records=8,
    fires_per_round=50,
    fire_rounds=2,
    loaded_records=1_000,
    load_rounds=3,
    writer_records=2,
    writer_fires=160,
    writer_rounds=1,
    trail_rows=5_000,
    verify_rounds=1,
)


@dataclass(frozen=True)
class Result:
    """One benchmark on one database: a baseline, the measured code and the target ratio."""

    name: str
    title: str
    unit: str
    baseline: str
    baseline_rate: float
    measured: str
    measured_rate: float
    target: float
    notes: tuple[str, ...] = field(default=())
    checks: tuple[tuple[str, bool], ...] = field(default=())  # other targets: what, met

    @property
    def ratio(self) -> float:
        return self.measured_rate / self.baseline_rate

    @property
    def extra_us(self) -> float:
        """Microseconds the measured code adds to each operation of the baseline."""
        return 1e6 / self.measured_rate - 1e6 / self.baseline_rate

    @property
    def passed(self) -> bool:
        return self.ratio >= self.target and all(met for _, met in self.checks)

    def lines(self) -> list[str]:
        width = max(len(self.baseline), len(self.measured))
        return [
            f"== {self.name}: {self.title}",
            f"   baseline  {self.baseline:<{width}}  {self.baseline_rate:>10,.0f} {self.unit}/s",
            f"   measured  {self.measured:<{width}}  {self.measured_rate:>10,.0f} {self.unit}/s",
            f"   ratio     {self.ratio:.2f}x   target >= {self.target:.2f}x   "
            f"{'PASS' if self.ratio >= self.target else 'BELOW TARGET'}",
            *(
                f"   target    {what}   {'PASS' if met else 'BELOW TARGET'}"
                for what, met in self.checks
            ),
            f"   cost      {self.extra_us:+,.1f} µs per {self.unit.removesuffix('s')} "
            "over the baseline",
            *(f"   note      {note}" for note in self.notes),
        ]


def rate(work: Work, n: int) -> float:
    """Operations per second of one call ``work(n)``."""
    gc.collect()
    started = time.perf_counter()
    work(n)
    return n / (time.perf_counter() - started)


def best_rates(baseline: Work, measured: Work, n: int, rounds: int) -> tuple[float, float]:
    """The best rate of each over ``rounds`` interleaved runs, after one warm-up run each.

    Interleaving puts both under the same background noise (a checkpoint, another
    process); the best of several runs is the least disturbed one.
    """
    warm_up = max(1, n // 10)
    baseline(warm_up)
    measured(warm_up)
    base_best = meas_best = 0.0
    for round_ in range(rounds):
        first, second = (baseline, measured) if round_ % 2 == 0 else (measured, baseline)
        first_rate, second_rate = rate(first, n), rate(second, n)
        base_rate, meas_rate = (
            (first_rate, second_rate) if first is baseline else (second_rate, first_rate)
        )
        base_best, meas_best = max(base_best, base_rate), max(meas_best, meas_rate)
    return base_best, meas_best


class Unavailable(Exception):
    """A database the benchmark needs cannot be had here (the reason is printed)."""


class Databases:
    """Fresh empty databases: SQLite files on disk, and one durable PostgreSQL cluster."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="qms-bench-"))
        self._names = itertools.count()
        self._cluster: Cluster | None = None
        self._admin: Engine | None = None

    def new(self, backend: str) -> str:
        name = f"bench_{next(self._names)}"
        if backend == "sqlite":
            return f"sqlite:///{self.folder / name}.sqlite3"
        admin = self._postgres()
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        return admin.url.set(database=name).render_as_string(hide_password=False)

    def _postgres(self) -> Engine:
        if self._admin is None:
            if self._cluster is not None:
                raise Unavailable("the PostgreSQL cluster failed to start earlier in this run")
            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise Unavailable("no PostgreSQL server binaries (install them or set QMS_PG_BIN)")
            self._cluster = Cluster(bin_dir, durable=True)  # stored first: close() cleans up
            self._admin = create_engine(self._cluster.start().url(), isolation_level="AUTOCOMMIT")
        return self._admin

    def close(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
        if self._cluster is not None:
            self._cluster.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def application(url: str, files: Path) -> Services:
    """A migrated database with the example institution loaded, and the engine wired to it.

    Its trail key and seals are kept in ``files`` (a folder of this run's own), never in
    the checkout's ``var/`` or wherever ``QMS_TRAIL_KEY_FILE`` points.
    """
    database = Database(url=url)
    migrations.upgrade(database.engine)
    spec = processmap_file.read(ROOT / "workflows" / "process-map.yaml")
    with database.unit_of_work() as uow:
        processmap.load(uow.session, spec, LOAD_DAY)
        uow.commit()
    settings = load_settings(
        database_url=url,
        workflows_dir=ROOT / "workflows",
        trail_key_file=files / "trail.key",
        trail_seals_dir=files / "seals",
    )
    return bootstrap(settings, SystemClock(), database)


def settings_note(app: Services) -> str:
    if app.database.is_sqlite:
        return "SQLite file on disk: WAL, synchronous=NORMAL, BEGIN IMMEDIATE (qms's settings)"
    with app.database.engine.connect() as connection:
        fsync = connection.exec_driver_sql("SHOW fsync").scalar()
        sync = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
    return f"PostgreSQL throwaway cluster: fsync={fsync}, synchronous_commit={sync}"
