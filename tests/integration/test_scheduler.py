"""Planning and dispatch in-process, time injected: a year of deadlines without sleeping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from qms.clock import FixedClock
from qms.db import Database
from qms.models import ImprovementAction, ManagementReview, OutboxMessage, OutboxStatus
from qms.scheduler import outbox, preferences
from tests.factories import load_example
from tests.reminders import (
    RecordingTransport,
    SmtpSink,
    at,
    html_of,
    scheduler_for,
    seed_actions,
    smtp_settings,
    text_of,
)

START = date(2026, 2, 2)


@pytest.fixture
def example(database: Database) -> Database:
    load_example(database)
    return database


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def outbox_rows(database: Database, topic: str | None = None) -> list[OutboxMessage]:
    with database.reading() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic:
            query = query.where(OutboxMessage.topic == topic)
        return list(session.scalars(query))


def test_a_year_of_deadlines_reminds_then_escalates_then_stops(example: Database) -> None:
    due = START + timedelta(days=30)
    (action_id,) = seed_actions(example, 1, due, owners=["sroux"])
    clock = FixedClock(at(START))
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    received: dict[date, list[str]] = {}
    for _ in range(365):
        scheduler.tick()
        reminders = [m for m in transport.take() if "action #" in str(m["Subject"])]
        if reminders:
            received[scheduler.today] = sorted(str(m["To"]) for m in reminders)
        if scheduler.today == due + timedelta(days=45):
            with example.unit_of_work() as uow:
                uow.session.get_one(ImprovementAction, action_id).state = "done"
                uow.commit()
        clock.advance(timedelta(days=1))
    sophie, pilot = "sophie.roux@valbrune.example", "thomas.brunet@valbrune.example"
    directors = [
        "helene.marchal@valbrune.example",
        "nadia.garnier@valbrune.example",
        "pascal.delorme@valbrune.example",
    ]
    assert {day - due: to for day, to in received.items()} == {
        timedelta(days=-7): [sophie],
        timedelta(days=-1): [sophie],
        timedelta(days=0): [sophie],
        timedelta(days=7): [sophie],
        timedelta(days=14): sorted([sophie, pilot]),
        timedelta(days=21): sorted([sophie, pilot]),
        timedelta(days=28): sorted([sophie, pilot]),
        timedelta(days=30): sorted([sophie, pilot, *directors]),
        timedelta(days=35): sorted([sophie, pilot, *directors]),
        timedelta(days=42): sorted([sophie, pilot, *directors]),
    }  # and nothing once the action is done


def test_planning_twice_or_at_once_writes_each_reminder_once(example: Database) -> None:
    seed_actions(example, 40, START + timedelta(days=7), owners=["sroux", "ofaure"])
    clock = FixedClock(at(START))
    first = scheduler_for(example, clock, RecordingTransport())
    assert first.plan().reminders == 40
    assert first.plan().reminders == 0
    planners = [scheduler_for(example, clock, RecordingTransport()) for _ in range(3)]
    clock.advance(timedelta(days=6))  # the "1 day before" occurrence, planned by three at once
    threads = [threading.Thread(target=p.plan) for p in planners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outbox_rows(example, outbox.REMINDER)) == 80


def test_reminders_arrive_by_smtp_with_text_html_link_and_stable_message_id(
    example: Database, sink: SmtpSink
) -> None:
    (action_id,) = seed_actions(example, 1, START + timedelta(days=7), owners=["ofaure"])
    clock = FixedClock(at(START))
    scheduler = scheduler_for(example, clock, **smtp_settings(sink.port))
    _, dispatched = scheduler.tick()
    reminders = [m for m in sink.messages() if "action #" in str(m["Subject"])]
    assert dispatched.sent >= 1 and len(reminders) == 1
    message = reminders[0]
    assert message["To"] == "olivier.faure@valbrune.example"
    assert str(message["Subject"]).endswith(
        f"Due in 7 days: Improvement action due — Improvement action #{action_id} Action 0"
    )  # the record as its reader cites it, not its kind's code
    assert "improvement_action" not in str(message["Subject"])
    assert f"Improvement action #{action_id} — Action 0" in text_of(message)
    assert message["X-QMS-Reference"] == f"improvement_action #{action_id}"  # an identifier
    assert "Where it stands: In progress." in text_of(message)  # the state's label
    link = f"https://qms.valbrune.example/records/improvement_action/{action_id}"
    assert link in text_of(message) and f'href="{link}"' in html_of(message)
    row = next(r for r in outbox_rows(example, outbox.REMINDER))
    assert row.status == OutboxStatus.SENT and row.sent_at == clock.now()
    assert row.dedupe_key == (
        f"reminder:action-due:improvement_action:{action_id}:"
        f"{(START + timedelta(days=7)).isoformat()}:-7:ofaure"
    )
    from qms.notify.email import message_id

    assert message["Message-ID"] == message_id(row.dedupe_key, "qms@localhost")


def test_smtp_down_reminders_wait_are_retried_and_all_arrive_once_back(
    example: Database,
) -> None:
    seed_actions(example, 30, START + timedelta(days=7), owners=["sroux", "ofaure", "tbrunet"])
    server = SmtpSink()  # not started yet: nothing listens on its port
    clock = FixedClock(at(START))
    scheduler = scheduler_for(example, clock, **smtp_settings(server.port))
    scheduler.tick()
    pending = outbox_rows(example, outbox.REMINDER)
    assert {r.status for r in pending} == {OutboxStatus.PENDING}
    assert all("unreachable" in r.last_error for r in pending)
    first_try = {r.id: r.available_at for r in pending}
    assert all(when == clock.now() + timedelta(minutes=1) for when in first_try.values())
    clock.advance(timedelta(seconds=30))
    assert scheduler.dispatch().counts["retry later"] == 0  # not due again yet
    clock.advance(timedelta(seconds=31))
    scheduler.dispatch()  # still down: the wait doubles
    assert {r.available_at - clock.now() for r in outbox_rows(example, outbox.REMINDER)} == {
        timedelta(minutes=2)
    }
    server.start()
    try:
        clock.advance(timedelta(minutes=2))
        scheduler.dispatch()
        assert len(server.message_ids()) == len(server.messages())
        arrived = [m for m in server.messages() if "action #" in str(m["Subject"])]
    finally:
        server.stop()
    assert len(arrived) == 30
    assert {r.status for r in outbox_rows(example, outbox.REMINDER)} == {OutboxStatus.SENT}


def test_a_record_closed_after_planning_gets_no_reminder(example: Database) -> None:
    (action_id,) = seed_actions(example, 1, START + timedelta(days=7))
    clock = FixedClock(at(START))
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    scheduler.plan()
    with example.unit_of_work() as uow:
        uow.session.get_one(ImprovementAction, action_id).state = "rejected"
        uow.commit()
    scheduler.dispatch()
    assert not [m for m in transport.take() if "action #" in str(m["Subject"])]
    (row,) = outbox_rows(example, outbox.REMINDER)
    assert row.status == OutboxStatus.HANDLED and "is now rejected" in row.last_error


def test_a_daily_digest_groups_the_days_reminders_into_one_email(example: Database) -> None:
    with example.unit_of_work() as uow:
        preferences.set_notification(uow.session, "sroux", "daily")
        uow.commit()
    seed_actions(example, 3, START + timedelta(days=7), owners=["sroux"])
    seed_actions(example, 2, START, owners=["sroux", "ofaure"])
    clock = FixedClock(at(START, hour=5))  # 06:00 in Paris, before the 07:30 digest
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    scheduler.tick()
    first = transport.take()
    assert [m["To"] for m in first if "action #" in str(m["Subject"])] == [
        "olivier.faure@valbrune.example"
    ]  # immediate people get theirs now; sroux waits for her digest
    clock.advance(timedelta(hours=1, minutes=30))
    scheduler.tick()
    (digest,) = [m for m in transport.take() if "reminders of" in str(m["Subject"])]
    assert digest["To"] == "sophie.roux@valbrune.example"
    assert str(digest["Subject"]).endswith(f"Your reminders of {START:%-d %b %Y} (4)")
    assert text_of(digest).count("Improvement action due") == 4
    items = outbox_rows(example, outbox.DIGEST_ITEM)
    assert len(items) == 4 and {r.status for r in items} == {OutboxStatus.SENT}
    clock.advance(timedelta(hours=1))
    scheduler.tick()
    assert not [m for m in transport.take() if "reminders of" in str(m["Subject"])]


def test_pilots_get_a_monthly_dashboard_and_directors_the_review_pack(example: Database) -> None:
    seed_actions(example, 2, START - timedelta(days=10), owners=["ofaure"])  # overdue, STE-02
    with example.unit_of_work() as uow:
        hash_ = uow.session.scalar(select(ImprovementAction.workflow_hash))
        uow.session.add(
            ManagementReview(
                title="Management review 2026",
                state="planned",
                workflow_name="management_review",
                workflow_hash=hash_ or "",
                planned_on=START + timedelta(days=10),
                created_at=at(START),
                updated_at=at(START),
                data={},
            )
        )
        uow.commit()
    clock = FixedClock(at(START))
    transport = RecordingTransport()
    scheduler_for(example, clock, transport).tick()
    sent = transport.take()
    boards = [m for m in sent if "Process dashboard, February 2026" in str(m["Subject"])]
    pilots = {str(m["To"]) for m in boards}
    assert "thomas.brunet@valbrune.example" in pilots and len(boards) == len(pilots)
    brunet = next(m for m in boards if m["To"] == "thomas.brunet@valbrune.example")
    assert "Actions: 2 open, 2 overdue" in text_of(brunet)
    assert "Improvement action #1 Action 0 (In progress): due" in text_of(brunet)
    assert "10 days late" in text_of(brunet)
    packs = [m for m in sent if "Management review on" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in packs) == [
        "helene.marchal@valbrune.example",
        "nadia.garnier@valbrune.example",
        "pascal.delorme@valbrune.example",
    ]
    assert "improvement actions: 2 open, 2 overdue" in text_of(packs[0])
    (attached,) = list(packs[0].iter_attachments())
    assert attached.get_filename().endswith("-pack-draft.html")
    pack = attached.get_content()
    assert "9.3.2" in pack and "Management review 2026" in pack


def test_other_capabilities_emails_are_sent_and_engine_events_handled(example: Database) -> None:
    clock = FixedClock(at(START))
    now = clock.now()
    with example.unit_of_work() as uow:
        outbox.write_new(
            uow.session,
            [
                outbox.row(
                    "email.audit_report_issued",
                    "audit-report:7:v1",
                    {
                        "recipients": ["ofaure", "external.auditor@example.org"],
                        "subject": "Audit report issued",
                        "reference": "internal_audit #7",
                        "body": "The report of the audit of STE-02 is issued.",
                        "record_kind": "internal_audit",
                        "record_id": 7,
                    },
                    now,
                ),
                outbox.row("email.broken", "broken:1", {"subject": "No one to send to"}, now),
                outbox.row(outbox.TRANSITION, "transition:abc", {"record_id": 1}, now),
            ],
        )
        uow.commit()
    transport = RecordingTransport()
    scheduler = scheduler_for(
        example,
        clock,
        transport,
    )
    report = scheduler.dispatch()
    (sent,) = [m for m in transport.take() if "Audit report issued" in str(m["Subject"])]
    assert sent["To"] == "olivier.faure@valbrune.example, external.auditor@example.org"
    assert "https://qms.valbrune.example/records/internal_audit/7" in text_of(sent)
    assert report.counts["events handled"] == 1
    statuses = {r.dedupe_key: (r.status, r.last_error) for r in outbox_rows(example)}
    assert statuses["transition:abc"][0] == OutboxStatus.HANDLED
    assert statuses["broken:1"] == (
        OutboxStatus.FAILED,
        "email.broken: the payload names no recipient",
    )
    with example.unit_of_work() as uow:
        failed = uow.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "broken:1")
        )
        assert failed is not None
        outbox.retry(uow.session, failed, clock.now())
        uow.commit()
    with example.reading() as session:
        count = session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    assert count == 1


def test_a_rule_that_cannot_run_is_logged_once_and_the_others_are_planned(
    example: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule the planner cannot compute (a date out of range), or whose query the database
    refuses, is skipped with one log line per process; every other rule is planned."""
    import dataclasses
    import logging

    from sqlalchemy import text

    from qms.scheduler import planner

    monkeypatch.setattr(planner, "_reported", set())
    seed_actions(example, 3, START + timedelta(days=7), owners=["sroux"])
    scheduler = scheduler_for(example, FixedClock(at(START)), RecordingTransport())
    good = scheduler.reminders.rule("action-due")
    assert good is not None
    overflowing = dataclasses.replace(good, id="overflowing", date_plus_days=100_000_000)
    refused = dataclasses.replace(good, id="refused")
    scheduler.reminders = dataclasses.replace(
        scheduler.reminders, rules=(overflowing, refused, good)
    )
    real = planner.due_records

    def due_records(session, rule, today):  # type: ignore[no-untyped-def]
        if rule.id == "refused":  # aborts the transaction on PostgreSQL without a savepoint
            session.execute(text("SELECT * FROM no_such_table"))
        return real(session, rule, today)

    monkeypatch.setattr(planner, "due_records", due_records)
    with caplog.at_level(logging.ERROR, logger="qms.scheduler"):
        first = scheduler.plan()
        second = scheduler.plan()
    assert first.reminders == 3 and first.skipped == ("overflowing", "refused")
    assert second.reminders == 0 and second.skipped == ("overflowing", "refused")
    logged = [r.getMessage() for r in caplog.records if r.name == "qms.scheduler"]
    assert len(logged) == 2, logged  # once per rule, not at every pass
    assert "'overflowing' skipped" in logged[0] and "OverflowError" in logged[0]
    assert "'refused' skipped" in logged[1]
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback
    assert len(outbox_rows(example, outbox.REMINDER)) == 3
