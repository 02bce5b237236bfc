"""The scheduler service: one planning + dispatch pass (``tick``), or the long-running timer.

APScheduler 3.11 is only the timer: an in-memory job store, two jobs with fixed ids,
``coalesce=True`` and ``max_instances=1``.  Everything that must not be lost or
doubled lives in the database (the outbox), so any number of scheduler processes
may run against one PostgreSQL database, and a killed one loses nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from qms.bootstrap import Services
from qms.clock import Clock, local_today
from qms.notify.email import Transport, sender_address, transport_for
from qms.scheduler import rules
from qms.scheduler.dispatch import Dispatcher, DispatchReport, Policy
from qms.scheduler.messages import Composer
from qms.scheduler.planner import Moment, PlanReport, plan

log = logging.getLogger("qms.scheduler")
PLAN_JOB, DISPATCH_JOB = "qms-plan", "qms-dispatch"


def rules_path(services: Services) -> Path:
    settings = services.settings
    return settings.reminders_file or Path(settings.workflows_dir) / "reminders.yaml"


def load_rules(services: Services) -> rules.Reminders:
    definitions = [services.registry.current(n) for n in services.registry.names]
    return rules.read(rules_path(services), rules.workflow_states(definitions))


@dataclass
class Scheduler:
    services: Services
    reminders: rules.Reminders
    clock: Clock
    transport: Transport
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def today(self) -> date:
        return local_today(self.clock, self.services.settings.zone)

    def plan(self) -> PlanReport:
        settings = self.services.settings
        moment = Moment(self.clock.now(), settings.zone, settings.date_format)
        with self.services.database.unit_of_work() as uow:
            report = plan(uow.session, self.reminders, moment)
            uow.commit()
        self.seal_if_due()
        return report

    def seal_if_due(self) -> bool:
        """Seal the trail once a day, from the rules file's ``trail_seal.at`` on."""
        every = self.reminders.schedules
        local = self.clock.now().astimezone(self.services.settings.zone)
        if not every.trail_seal_enabled or local.time() < every.trail_seal_at:
            return False
        from qms.services import trail as trail_service

        if trail_service.sealed_on(self.services, local.date()):
            return False
        sealed = trail_service.seal(self.services, "qms-scheduler")
        log.info("trail sealed: seal #%d, %d rows", sealed.seal.id, sealed.seal.rows)
        return True

    def dispatcher(self) -> Dispatcher:
        settings = self.services.settings
        policy = Policy(
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            batch=settings.outbox_batch_size,
            retry_first=timedelta(seconds=settings.outbox_retry_seconds),
            retry_max=timedelta(seconds=settings.outbox_retry_max_seconds),
        )
        return Dispatcher(
            self.services.database,
            Composer(settings, self.reminders, self.pack_renderer()),
            self.transport,
            self.clock,
            policy,
            sender_address(settings),
            lambda: self.today,
        )

    def pack_renderer(self) -> Callable[[int], str] | None:
        """The draft review pack (HTML) the directors get before a management review."""
        try:
            from qms.services.reviews import report as reviews_pack
        except ImportError:  # an installation without the reviews capability
            return None
        services = self.services
        return lambda review_id: reviews_pack.render_html(services, review_id)

    def dispatch(self) -> DispatchReport:
        return self.dispatcher().run(self.stop.is_set)

    def tick(self) -> tuple[PlanReport, DispatchReport]:
        """One planning pass, then one dispatch pass: for cron, and for tests."""
        return self.plan(), self.dispatch()


def build(services: Services, clock: Clock, transport: Transport | None = None) -> Scheduler:
    """The scheduler of an installation; reads and checks the rules file first."""
    reminders = load_rules(services)
    return Scheduler(services, reminders, clock, transport or transport_for(services.settings))


def _logged(name: str, job: Callable[[], object], zone: ZoneInfo) -> None:
    try:
        report = job()
    except Exception:  # one failed pass must not stop the timer; the next one retries
        log.exception("%s pass failed", name)
        return
    log.info("%s: %s", name, _describe(report))
    if isinstance(report, DispatchReport) and report.unreachable:  # retried at the next pass
        log.warning("%s: %s", name, report.trouble(zone))


def _describe(report: object) -> str:
    if isinstance(report, PlanReport):
        return (
            f"{report.reminders} reminders, {report.digests} digests, "
            f"{report.reports} reports planned"
        )
    return str(report)


def run(scheduler: Scheduler) -> None:
    """Plan and dispatch on the schedules of the rules file until SIGTERM or SIGINT."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    every = scheduler.reminders.schedules
    timer = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=scheduler.services.settings.timezone,
    )
    start = scheduler.clock.now()  # first passes right away
    zone = scheduler.services.settings.zone

    def plan_then_wake_dispatch() -> PlanReport:
        report = scheduler.plan()
        if report.total:  # send what was just planned without waiting for the next turn
            timer.modify_job(DISPATCH_JOB, next_run_time=scheduler.clock.now())
        return report

    timer.add_job(
        _logged, "interval", args=("plan", plan_then_wake_dispatch, zone), id=PLAN_JOB,
        minutes=every.plan_every_minutes, next_run_time=start, replace_existing=True,
    )  # fmt: skip
    timer.add_job(
        _logged, "interval", args=("dispatch", scheduler.dispatch, zone), id=DISPATCH_JOB,
        seconds=every.dispatch_every_seconds, next_run_time=start, replace_existing=True,
    )  # fmt: skip
    _stop_on_signals(scheduler.stop)
    timer.start()
    log.info(
        "scheduler running: plan every %d min, dispatch every %d s (SIGTERM stops it)",
        every.plan_every_minutes,
        every.dispatch_every_seconds,
    )
    scheduler.stop.wait()
    log.info("stopping: finishing the message in hand")
    timer.shutdown(wait=True)
    log.info("scheduler stopped")


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
