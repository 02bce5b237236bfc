"""`qms scheduler run` as real processes: killed mid-dispatch, and two at once on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from qms.db import Database
from qms.models import OutboxMessage, OutboxStatus
from qms.models.scheduler import OutboxAttempt
from qms.scheduler import outbox
from tests.factories import ROOT, load_example
from tests.reminders import SmtpSink, seed_actions, write_rules

POSTGRES_ONLY = [pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def in_a_week() -> datetime:
    return datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=7)


def start_scheduler(
    database: Database, sink: SmtpSink, folder: Path, name: str, **more: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QMS_DATABASE_URL": database.url,
        "QMS_WORKFLOWS_DIR": str(ROOT / "workflows"),
        "QMS_REPORTS_DIR": str(ROOT / "reports"),
        "QMS_REMINDERS_FILE": str(write_rules(folder)),
        "QMS_SMTP_HOST": "127.0.0.1",
        "QMS_SMTP_PORT": str(sink.port),
        "QMS_SMTP_STARTTLS": "false",
        "QMS_OUTBOX_LEASE_SECONDS": "2",
        "QMS_OUTBOX_BATCH_SIZE": "20",
        **more,
    }
    with (folder / f"{name}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "qms", "scheduler", "run"],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def reminder_rows(database: Database) -> list[OutboxMessage]:
    with database.reading() as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.topic == outbox.REMINDER))
        )


@pytest.mark.slow  # processes killed and restarted for half a minute: make test-slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_scheduler_killed_mid_dispatch_loses_nothing_when_restarted(
    database: Database, sink: SmtpSink, tmp_path: Path
) -> None:
    load_example(database)
    seed_actions(database, 1000, in_a_week().date(), owners=["sroux", "ofaure", "tbrunet"])
    first = start_scheduler(database, sink, tmp_path, "first")
    try:
        assert sink.wait_for(300), (tmp_path / "first.log").read_text()
    finally:
        first.kill()  # SIGKILL: no chance to finish the message in hand
        first.wait(timeout=30)
    assert len(sink.message_ids()) < 1000, "the kill came too late to test anything"
    second = start_scheduler(database, sink, tmp_path, "second")
    try:
        assert sink.wait_for(1000), (tmp_path / "second.log").read_text()
    finally:
        assert stop(second) == 0  # SIGTERM: a clean shutdown
    rows = {row.id: row for row in reminder_rows(database)}
    assert len(rows) == 1000 and {r.status for r in rows.values()} == {OutboxStatus.SENT}
    ids_by_row: dict[int, set[str]] = defaultdict(set)
    copies = defaultdict(int)
    for message in sink.messages():
        ids_by_row[int(message["X-QMS-Outbox"])].add(str(message["Message-ID"]))
        copies[int(message["X-QMS-Outbox"])] += 1
    assert set(ids_by_row) == set(rows)  # every reminder arrived
    assert all(len(ids) == 1 for ids in ids_by_row.values())  # a copy has the same Message-ID
    duplicated = {row_id for row_id, n in copies.items() if n > 1}
    with database.reading() as session:
        tries = session.execute(select(OutboxAttempt.outbox_id, OutboxAttempt.worker)).all()
    assert {row_id for row_id, _ in tries} == set(rows)  # every reminder has its try kept
    by_second = {row_id for row_id, worker in tries if f":{second.pid}:" in worker}
    assert duplicated <= by_second  # a copy is of the message in hand when the first died
    assert len(duplicated) <= 1  # one message in hand at a time


@pytest.mark.slow  # two scheduler processes for forty seconds: make test-slow
@pytest.mark.parametrize("backend", POSTGRES_ONLY, indirect=True)
def test_two_schedulers_on_one_postgresql_database_send_each_reminder_once(
    database: Database, sink: SmtpSink, tmp_path: Path
) -> None:
    load_example(database)
    seed_actions(database, 2000, in_a_week().date(), owners=["sroux", "ofaure", "tbrunet"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    workers = [start_scheduler(database, sink, tmp_path / n, n) for n in ("a", "b")]
    try:
        assert sink.wait_for(2000), (tmp_path / "a" / "a.log").read_text()
    finally:
        codes = [stop(worker) for worker in workers]
    assert codes == [0, 0]
    received = sink.message_ids()
    reminders = [m for m in sink.messages() if "action #" in str(m["Subject"])]
    assert len(reminders) == 2000 and len(received) == len(sink.messages())  # no copies
    rows = reminder_rows(database)
    assert len(rows) == 2000 and {r.status for r in rows} == {OutboxStatus.SENT}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_scheduler_whose_mail_server_is_down_logs_it_and_sends_once_it_is_back(
    database: Database, tmp_path: Path
) -> None:
    load_example(database)
    seed_actions(database, 5, in_a_week().date(), owners=["sroux"])
    server = SmtpSink()  # its port, with nothing listening yet
    log = tmp_path / "down.log"
    running = start_scheduler(
        database, server, tmp_path, "down", QMS_OUTBOX_RETRY_SECONDS="1",
        QMS_OUTBOX_RETRY_MAX_SECONDS="1",
    )  # fmt: skip
    try:
        said = f"SMTP server 127.0.0.1:{server.port} unreachable"
        assert wait_until(lambda: said in log.read_text(), 60), log.read_text()
        assert running.poll() is None  # still running
        server.start()
        assert server.wait_for(5), log.read_text()
    finally:
        code = stop(running)
        server.stop()
    assert code == 0
    assert "messages waiting for a retry" in log.read_text()
    assert {r.status for r in reminder_rows(database)} == {OutboxStatus.SENT}


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Wait for ``condition`` up to ``timeout`` seconds (a bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
