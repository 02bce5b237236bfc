"""Test helpers for the scheduler: a real SMTP server on loopback, records with due dates."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

from qms.clock import FixedClock
from qms.db import Database
from qms.models import ImprovementAction, Person, Process
from qms.notify.email import Transport
from qms.scheduler import service
from tests.factories import ROOT, services_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Message] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append(message)
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Message]:
        with self._lock:
            return list(self.received)

    def message_ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for m in self.messages())

    def wait_for(self, unique: int, timeout: float = 120.0) -> bool:
        """Wait until ``unique`` distinct Message-IDs arrived (a bound, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.message_ids()) >= unique:
                return True
            time.sleep(0.05)
        return False


def smtp_settings(port: int) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}


def app_for(database: Database, clock: FixedClock, **settings: Any) -> Any:
    from qms.bootstrap import bootstrap
    from qms.config import load_settings

    values = {
        "database_url": database.url,
        "workflows_dir": ROOT / "workflows",
        "reports_dir": ROOT / "reports",
        "base_url": "https://qms.valbrune.example",
        **settings,
    }
    return bootstrap(load_settings(**values), clock, database)


def scheduler_for(
    database: Database, clock: FixedClock, transport: Transport | None = None, **settings: Any
) -> service.Scheduler:
    return service.build(app_for(database, clock, **settings), clock, transport)


def at(day: date, hour: int = 9) -> datetime:
    """``day`` at ``hour`` o'clock UTC (10:00 in Paris in winter)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed_actions(
    database: Database,
    count: int,
    due: date,
    *,
    owners: list[str] | None = None,
    state: str = "in_progress",
    process: str = "STE-02",
    effectiveness_check: date | None = None,
) -> list[int]:
    """``count`` improvement actions inserted in bulk (owners taken in turn)."""
    app = services_for(database, FixedClock(at(date(2026, 1, 5))))
    with database.unit_of_work() as uow:
        session = uow.session
        defn = app.registry.for_kind(ImprovementAction.record_kind)
        app.registry.remember(session, defn, app.engine.clock)
        process_id = session.scalar(select(Process.id).where(Process.code == process))
        people = {p.handle: p.id for p in session.scalars(select(Person))}
        chosen = owners or ["tbrunet"]
        now = app.engine.clock.now()
        rows = [
            {
                "state": state,
                "workflow_name": defn.name,
                "workflow_hash": defn.content_hash,
                "title": f"Action {n}",
                "process_id": process_id,
                "owner_id": people[chosen[n % len(chosen)]],
                "due_date": due,
                "effectiveness_check_date": effectiveness_check,
                "created_at": now,
                "updated_at": now,
                "data": {},
            }
            for n in range(count)
        ]
        ids = list(session.scalars(insert(ImprovementAction).returning(ImprovementAction.id), rows))
        uow.commit()
    return ids


class RecordingTransport:
    """Keeps what would have been sent; can be told to fail like a server that is down."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.fail: Callable[[Message], None] | None = None

    def send(self, message: Message) -> None:
        if self.fail is not None:
            self.fail(message)
        self.sent.append(message)

    def close(self) -> None:
        """Nothing to close."""

    def take(self) -> list[Message]:
        taken, self.sent = self.sent, []
        return taken


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError("no text part")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError("no HTML part")


RULES_FOR_SUBPROCESSES = """
schedules:
  plan_every_minutes: 1
  dispatch_every_seconds: 1
  dashboard: {enabled: false}
  review_pack: {enabled: false}
rules:
  - id: action-due
    label: Improvement action due
    record: improvement_action
    date: due_date
    to: [owner]
    before: [7]
"""


def write_rules(folder: Path, text: str = RULES_FOR_SUBPROCESSES) -> Path:
    path = folder / "reminders.yaml"
    path.write_text(text, encoding="utf-8")
    return path
