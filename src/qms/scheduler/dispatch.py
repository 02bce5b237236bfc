"""Dispatch: claim outbox rows with a lease, send them, mark them sent; exactly once in effect.

Claiming is one short transaction: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two
dispatchers never claim the same row), ``BEGIN IMMEDIATE`` on SQLite (claims queue).
A claimed row carries ``leased_until``; if its dispatcher dies, the row is claimed
again once the lease has expired.  Each message is marked sent in its own small
transaction right after the server accepted it, so a crash can repeat at most the
message in flight, and it carries the same Message-ID.  A failed send stays pending
and is retried with a doubling delay; a message refused for good is kept as failed
(``qms outbox retry ID`` sends it again).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from qms.clock import Clock
from qms.db import Database
from qms.models import OutboxMessage, OutboxStatus
from qms.notify.email import DeliveryError, Transport, compose
from qms.scheduler import outbox
from qms.scheduler.messages import Claimed, Composed, Composer, Skip, Undeliverable, _SkipAll

log = logging.getLogger("qms.scheduler")


def worker_name() -> str:
    """Who holds a lease: host, process and a random tag (two dispatchers in one process)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Policy:
    lease: timedelta = timedelta(minutes=5)
    batch: int = 50
    retry_first: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(hours=1)

    def backoff(self, attempts: int) -> timedelta:
        """The wait before the next try, after ``attempts`` tries (1, 2, 4... times the first)."""
        wait: timedelta = self.retry_first * 2 ** max(0, attempts - 1)
        return min(wait, self.retry_max)


@dataclass
class DispatchReport:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n

    @property
    def sent(self) -> int:
        return self.counts["sent"]

    def __str__(self) -> str:
        order = ("sent", "handled", "retry later", "failed", "events handled")
        return (
            ", ".join(f"{self.counts[k]} {k}" for k in order if self.counts[k]) or "nothing to send"
        )


class Dispatcher:
    def __init__(
        self,
        database: Database,
        composer: Composer,
        transport: Transport,
        clock: Clock,
        policy: Policy,
        sender: str,
        zone_today: Callable[[], date],
        worker: str | None = None,
    ) -> None:
        self.database = database
        self.composer = composer
        self.transport = transport
        self.clock = clock
        self.policy = policy
        self.sender = sender
        self.zone_today = zone_today
        self.worker = worker or worker_name()

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> DispatchReport:
        """Send everything due now, batch after batch, until nothing is left or told to stop."""
        report = DispatchReport()
        with self.database.unit_of_work() as uow:
            report.add(
                "events handled", outbox.mark_transitions_handled(uow.session, self.clock.now())
            )
            uow.commit()
        try:
            while not should_stop():
                claimed = self.claim()
                if not claimed:
                    break
                if not self._deliver_batch(claimed, report, should_stop):
                    break  # the server is unreachable: the rest waits for the next pass
        finally:
            self.transport.close()
        return report

    # --- claiming ---------------------------------------------------------------------------

    def claim(self) -> list[Claimed]:
        now = self.clock.now()
        with self.database.unit_of_work() as uow:
            session = uow.session
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.available_at <= now,
                    or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until < now),
                    OutboxMessage.topic.startswith(outbox.EMAIL_PREFIX),
                )
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
                .limit(self.policy.batch)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                row.leased_until = now + self.policy.lease
                row.leased_by = self.worker
                row.attempts += 1
            uow.commit()
            return [Claimed.of(row) for row in rows]

    # --- delivering -------------------------------------------------------------------------

    def _deliver_batch(
        self, claimed: list[Claimed], report: DispatchReport, should_stop: Callable[[], bool]
    ) -> bool:
        with self.database.reading() as session:
            self.composer.load_institution(session)
        for position, row in enumerate(claimed):
            if should_stop() or self.clock.now() >= row.leased_until:
                return False  # not ours any more (or stopping): left for the next claim
            try:
                self._deliver(row, report)
            except DeliveryError as exc:
                if not exc.connection:
                    raise
                for waiting in claimed[position:]:
                    self._retry_later(waiting, str(exc), report)
                log.warning("%s; %d messages wait for the next try", exc, len(claimed) - position)
                return False
        return True

    def _deliver(self, row: Claimed, report: DispatchReport) -> None:
        try:
            with self.database.reading() as session:
                composed = self.composer.compose(session, row, self._today())
        except _SkipAll as why:
            self._finish(row, OutboxStatus.HANDLED, str(why), skipped=why.skipped)
            report.add("handled")
            return
        except Skip as why:
            self._finish(row, OutboxStatus.HANDLED, str(why))
            report.add("handled")
            return
        except Undeliverable as why:
            self._finish(row, OutboxStatus.FAILED, str(why))
            report.add("failed")
            log.error("outbox #%d failed for good: %s", row.id, why)
            return
        self._send(row, composed, report)

    def _send(self, row: Claimed, composed: Composed, report: DispatchReport) -> None:
        message = compose(composed.letter, self.sender, self.clock.now())
        message["X-QMS-Outbox"] = str(row.id)
        try:
            self.transport.send(message)
        except DeliveryError as exc:
            if exc.connection:
                raise
            if exc.temporary:
                self._retry_later(row, str(exc), report)
            else:
                self._finish(row, OutboxStatus.FAILED, str(exc))
                report.add("failed")
            return
        self._finish(row, OutboxStatus.SENT, "", done=composed.also_done, skipped=composed.skipped)
        report.add("sent")

    def _today(self) -> date:
        return self.zone_today()

    # --- bookkeeping ------------------------------------------------------------------------

    def _finish(
        self,
        row: Claimed,
        status: OutboxStatus,
        note: str,
        *,
        done: tuple[int, ...] = (),
        skipped: tuple[tuple[int, str], ...] = (),
    ) -> None:
        now = self.clock.now()
        with self.database.unit_of_work() as uow:
            values: dict[str, object] = {"status": status, "leased_until": None, "last_error": note}
            if status in (OutboxStatus.SENT, OutboxStatus.HANDLED):
                values["sent_at"] = now
            self._update(uow.session, [row.id], values, only_mine=True)
            self._update(uow.session, list(done), {"status": OutboxStatus.SENT, "sent_at": now})
            for item_id, why in skipped:
                self._update(
                    uow.session,
                    [item_id],
                    {"status": OutboxStatus.HANDLED, "sent_at": now, "last_error": why},
                )
            uow.commit()

    def _retry_later(self, row: Claimed, error: str, report: DispatchReport) -> None:
        wait = self.policy.backoff(row.attempts)
        with self.database.unit_of_work() as uow:
            values: dict[str, object] = {
                "available_at": self.clock.now() + wait,
                "leased_until": None,
                "last_error": f"try {row.attempts}: {error}",
            }
            self._update(uow.session, [row.id], values, only_mine=True)
            uow.commit()
        report.add("retry later")

    def _update(
        self, session: Session, ids: list[int], values: dict[str, object], only_mine: bool = False
    ) -> None:
        if not ids:
            return
        query = update(OutboxMessage).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING
        )
        if only_mine:
            query = query.where(OutboxMessage.leased_by == self.worker)
        session.execute(query.values(**values).execution_options(synchronize_session=False))
