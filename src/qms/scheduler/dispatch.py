"""Dispatch: claim outbox rows with a lease, send them, mark them sent; exactly once in effect.

Claiming is one short transaction: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two
dispatchers never claim the same row), ``BEGIN IMMEDIATE`` on SQLite (claims queue).
A claimed row carries ``leased_until``; if its dispatcher dies, the row is claimed
again once the lease has expired.  Right before each send the dispatcher renews the
lease, in the database, only if the row is still its own: a row whose lease ran out
while the batch went on, and that another dispatcher took over, is left to that one
(whatever the clocks of the two machines say).  So each send starts with a whole
lease ahead of it, far longer than the SMTP timeout.  Each message is marked sent in
its own small transaction right after the server accepted it, so a crash can repeat
at most the message in flight, and it carries the same Message-ID.

Claiming a row is not a try: ``attempts`` counts the tries that failed, and each try
(sent or not, with its error) is kept in ``outbox_attempt``.  A failed send stays
pending and is retried with a doubling delay; a message refused for good is kept as
failed (``qms outbox retry ID`` sends it again).  When the server cannot be reached,
the batch waits for its next try and the report names the server.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from qms.clock import Clock
from qms.db import Database
from qms.models import OutboxMessage, OutboxStatus
from qms.models.scheduler import AttemptOutcome, OutboxAttempt
from qms.notify.email import DeliveryError, Transport, compose
from qms.scheduler import outbox
from qms.scheduler.failures import Skip, Undeliverable
from qms.scheduler.messages import Claimed, Composed, Composer, _SkipAll

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
    unreachable: str = ""  # why the mail server could not be reached, naming it
    waiting: outbox.Waiting | None = None  # then: the e-mails that wait for a retry

    def add(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n

    @property
    def sent(self) -> int:
        return self.counts["sent"]

    def trouble(self, zone: ZoneInfo) -> str:
        """What kept e-mails from going out, and how many wait; "" when nothing did."""
        if not self.unreachable:
            return ""
        waiting = self.waiting or outbox.Waiting(0, None)
        told = f"{self.unreachable}; {waiting.count} message{'s' * (waiting.count != 1)}"
        told += " waiting for a retry"
        if waiting.next_try is not None:
            told += f", the next at {waiting.next_try.astimezone(zone):%Y-%m-%d %H:%M}"
        return told

    def __str__(self) -> str:
        order = ("sent", "handled", "retry later", "failed", "failed, unknown topic",
                 "taken over", "events handled")  # fmt: skip
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
        now = self.clock.now()
        with self.database.unit_of_work() as uow:
            report.add("events handled", outbox.mark_transitions_handled(uow.session, now))
            report.add("failed, unknown topic", outbox.fail_unknown_topics(uow.session, now))
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
        if report.unreachable:
            with self.database.reading() as session:
                report.waiting = outbox.waiting_for_retry(session)
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
                    outbox.sendable(),
                )
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
                .limit(self.policy.batch)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:  # a claim, not a try: ``attempts`` counts failed tries
                row.leased_until = now + self.policy.lease
                row.leased_by = self.worker
            uow.commit()
            return [Claimed.of(row) for row in rows]

    # --- delivering -------------------------------------------------------------------------

    def _deliver_batch(
        self, claimed: list[Claimed], report: DispatchReport, should_stop: Callable[[], bool]
    ) -> bool:
        with self.database.reading() as session:
            self.composer.load_institution(session)
        for position, row in enumerate(claimed):
            if should_stop():
                self._release(claimed[position:])  # for the next dispatcher, right away
                return False
            try:
                self._deliver(row, report)
            except DeliveryError as exc:
                if not exc.connection:
                    raise
                for waiting in claimed[position:]:  # they would fail the same way
                    self._retry_later(waiting, str(exc), report, tried=waiting is row)
                report.unreachable = str(exc)  # the caller says it: tick exits 75, run logs it
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
            self._finish(row, OutboxStatus.FAILED, str(why), tried=AttemptOutcome.FAILED)
            report.add("failed")
            log.error("outbox #%d failed for good: %s", row.id, why)
            return
        if not self._renew(row):
            report.add("taken over")
            log.info("outbox #%d: its lease passed to another dispatcher, not sent", row.id)
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
                self._retry_later(row, str(exc), report, tried=True)
            else:
                self._finish(row, OutboxStatus.FAILED, str(exc), tried=AttemptOutcome.FAILED)
                report.add("failed")
            return
        self._finish(
            row,
            OutboxStatus.SENT,
            "",
            tried=AttemptOutcome.SENT,
            done=composed.also_done,
            skipped=composed.skipped,
        )
        report.add("sent")

    def _today(self) -> date:
        return self.zone_today()

    # --- bookkeeping ------------------------------------------------------------------------

    def _renew(self, row: Claimed) -> bool:
        """A whole lease ahead for the send, if the row is still ours; else False."""
        with self.database.unit_of_work() as uow:
            lease: dict[str, object] = {"leased_until": self.clock.now() + self.policy.lease}
            renewed = self._update(uow.session, [row.id], lease, only_mine=True)
            uow.commit()
        return renewed == 1

    def _release(self, rows: list[Claimed]) -> None:
        with self.database.unit_of_work() as uow:
            ids = [r.id for r in rows]
            self._update(uow.session, ids, {"leased_until": None}, only_mine=True)
            uow.commit()

    def _finish(
        self,
        row: Claimed,
        status: OutboxStatus,
        note: str,
        *,
        tried: AttemptOutcome | None = None,
        done: tuple[int, ...] = (),
        skipped: tuple[tuple[int, str], ...] = (),
    ) -> None:
        now = self.clock.now()
        with self.database.unit_of_work() as uow:
            values: dict[str, object] = {"status": status, "leased_until": None, "last_error": note}
            if status in (OutboxStatus.SENT, OutboxStatus.HANDLED):
                values["sent_at"] = now
            if tried == AttemptOutcome.FAILED:
                values["attempts"] = row.attempts + 1
            self._update(uow.session, [row.id], values, only_mine=True)
            if tried is not None:  # it was tried, whoever holds the row now
                self._record(uow.session, row, tried, note, now)
            self._update(uow.session, list(done), {"status": OutboxStatus.SENT, "sent_at": now})
            for item_id, why in skipped:
                self._update(
                    uow.session,
                    [item_id],
                    {"status": OutboxStatus.HANDLED, "sent_at": now, "last_error": why},
                )
            uow.commit()

    def _retry_later(
        self, row: Claimed, error: str, report: DispatchReport, *, tried: bool
    ) -> None:
        failures = row.attempts + 1
        now = self.clock.now()
        with self.database.unit_of_work() as uow:
            values: dict[str, object] = {
                "available_at": now + self.policy.backoff(failures),
                "leased_until": None,
                "attempts": failures,
                "last_error": f"try {failures}: {error}",
            }
            if self._update(uow.session, [row.id], values, only_mine=True) or tried:
                self._record(uow.session, row, AttemptOutcome.RETRY, error, now)
            uow.commit()
        report.add("retry later")

    def _record(
        self, session: Session, row: Claimed, outcome: AttemptOutcome, error: str, now: datetime
    ) -> None:
        session.add(
            OutboxAttempt(
                outbox_id=row.id, attempted_at=now, worker=self.worker, outcome=outcome, error=error
            )
        )

    def _update(
        self, session: Session, ids: list[int], values: dict[str, object], only_mine: bool = False
    ) -> int:
        """Change the pending rows among ``ids`` (only those this dispatcher holds); how many."""
        if not ids:
            return 0
        query = update(OutboxMessage).where(
            OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING
        )
        if only_mine:
            query = query.where(OutboxMessage.leased_by == self.worker)
        result = session.execute(
            query.values(**values).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
