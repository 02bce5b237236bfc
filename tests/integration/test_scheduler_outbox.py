"""Faults found under load: breaches nobody was told of, a lease lost mid-send, tries
counted as claims, a mail server down; each reproduced with an injected clock and transport."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import select, text

from qms.clock import FixedClock
from qms.db import Database
from qms.models import OutboxMessage, OutboxStatus
from qms.notify.email import DeliveryError
from qms.scheduler import outbox, service
from qms.scheduler.dispatch import Dispatcher
from qms.services.indicators import breaches as indicators_breaches
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from tests.factories import ROOT, load_example
from tests.reminders import RecordingTransport, SmtpSink, at, scheduler_for, smtp_settings, text_of

BREACH_DAY = date(2026, 11, 25)
PILOT = "emilie.benoit@valbrune.example"  # pilot of TRN-04, and owner of TRN-04-GRADES


@pytest.fixture
def example(database: Database) -> Database:
    load_example(database)
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    return database


def rows(database: Database, topic: str | None = None) -> list[OutboxMessage]:
    with database.reading() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list(session.scalars(query.where(OutboxMessage.topic == topic) if topic else query))


def tries(database: Database, message_id: int) -> list[tuple[str, str]]:
    with database.reading() as session:
        return [(t.outcome.value, t.error) for t in outbox.one(session, message_id)[1]]


def breach_letters(transport: RecordingTransport) -> list[Message]:
    return [m for m in transport.take() if "Alert threshold crossed" in str(m["Subject"])]


def write(database: Database, now: datetime, *messages: tuple[str, str, dict[str, Any]]) -> None:
    with database.unit_of_work() as uow:
        outbox.write_new(uow.session, [outbox.row(t, k, p, now) for t, k, p in messages])
        uow.commit()


def test_a_breach_reaches_its_pilot_once_and_the_row_is_done(example: Database) -> None:
    clock = FixedClock(at(BREACH_DAY))
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    indicators.record(scheduler.services, "ebenoit", "TRN-04-GRADES", "2026-10", "79")
    scheduler.tick()
    (letter,) = breach_letters(transport)
    assert letter["To"] == PILOT  # the pilot owns the indicator too: one e-mail, not two
    subject = "Alert threshold crossed: TRN-04-GRADES was 79 % in 2026-10"
    assert letter["Subject"] == f"[Valbrune School of Engineering] {subject}"
    with example.reading() as session:
        (breach,) = indicators_breaches.rows(session, ("open",))
    body = text_of(letter)
    for said in (
        "its value for 2026-10 is 79 %, worse than its alert threshold 85 % (target 95 %",
        f"qms indicator accept {breach.id} --as ebenoit --owner HANDLE --due YYYY-MM-DD",
        f'qms indicator dismiss {breach.id} --as ebenoit --reason "why no action"',
        "Émilie Benoit: pilot of TRN-04 and owner of TRN-04-GRADES",
    ):
        assert said in body, body
    (row,) = rows(example, outbox.BREACH)
    assert (row.status, row.sent_at) == (OutboxStatus.SENT, clock.now())
    clock.advance(timedelta(hours=1))
    scheduler.tick()
    assert breach_letters(transport) == []


def test_a_breach_goes_to_the_pilot_and_a_distinct_owner_and_a_decided_one_to_nobody(
    example: Database,
) -> None:
    with example.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE indicator SET owner_id = (SELECT id FROM person WHERE handle = 'grenaud')"
                " WHERE code = 'TRN-04-GRADES'"
            )
        )
    clock = FixedClock(at(BREACH_DAY))
    transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, transport)
    indicators.record(scheduler.services, "ebenoit", "TRN-04-GRADES", "2026-10", "79")
    indicators.record(scheduler.services, "sboyer", "RSC-02-PAYMENT", "2026-10", "50")
    with example.reading() as session:
        payment = next(
            b for b in indicators_breaches.rows(session) if b.indicator == "RSC-02-PAYMENT"
        )
    indicators_breaches.dismiss(scheduler.services, payment.id, "sboyer", "one late supplier")
    scheduler.dispatch()
    (letter,) = breach_letters(transport)
    assert letter["To"] == f"{PILOT}, gaelle.renaud@valbrune.example"
    assert "Gaëlle Renaud: owner of TRN-04-GRADES" in text_of(letter)
    told = {r.payload["indicator"]: (r.status, r.last_error) for r in rows(example, outbox.BREACH)}
    assert told == {
        "TRN-04-GRADES": (OutboxStatus.SENT, ""),
        "RSC-02-PAYMENT": (
            OutboxStatus.HANDLED,
            f"indicator breach #{payment.id} is dismissed: nobody needs telling",
        ),
    }


def test_no_row_waits_unseen_unknown_topics_fail_naming_them(example: Database) -> None:
    clock = FixedClock(at(BREACH_DAY))
    now = clock.now()
    write(
        example,
        now,
        ("audit.slipped", "slipped:1", {"audit": 7}),
        ("trail.seal", "trail-seal:9", {"recipients": ["tbrunet"], "subject": "Trail seal #9"}),
        ("email.audit_report", "audit_report:3:revision:1", {
            "to": [{"handle": "ofaure", "name": "Olivier Faure", "email": "x@y.example"}],
            "subject": "Audit report of STE-02",
        }),
    )  # fmt: skip
    transport = RecordingTransport()
    report = scheduler_for(example, clock, transport).dispatch()
    sent = {str(m["Subject"]).split("] ")[1]: m["To"] for m in transport.take()}
    assert sent == {"Trail seal #9": "thomas.brunet@valbrune.example"}
    by_key = {r.dedupe_key: r for r in rows(example)}
    no_pdf = by_key["audit_report:3:revision:1"]  # it says its PDF is attached: not without it
    assert no_pdf.status == OutboxStatus.FAILED
    assert no_pdf.last_error == (
        "email.audit_report: the payload names no report revision, so no PDF to attach"
    )
    unknown = by_key["slipped:1"]
    assert unknown.status == OutboxStatus.FAILED
    assert unknown.last_error.startswith("no dispatcher handles topic 'audit.slipped'")
    assert report.counts["failed, unknown topic"] == 1 and "1 failed, unknown topic" in str(report)
    assert {r.status for r in by_key.values()} <= {OutboxStatus.SENT, OutboxStatus.FAILED}


class SlowTransport(RecordingTransport):
    """Each send takes the time ``pauses`` says, and may let another dispatcher run meanwhile."""

    def __init__(self, clock: FixedClock, pauses: list[timedelta]) -> None:
        super().__init__()
        self.meanwhile: list[Any] = []
        self.fail = lambda _message: self._pass_time(clock, pauses)

    def _pass_time(self, clock: FixedClock, pauses: list[timedelta]) -> None:
        clock.advance(pauses.pop(0) if pauses else timedelta(0))
        if len(self.sent) == 1 and self.meanwhile:
            self.meanwhile.pop()()


def test_a_lease_running_out_mid_batch_never_sends_a_message_twice(example: Database) -> None:
    clock = FixedClock(at(BREACH_DAY))
    write(example, clock.now(), *[
        ("email.note", f"note:{n}", {"to": [f"person{n}@example.org"], "subject": f"Note {n}"})
        for n in range(3)
    ])  # fmt: skip
    lease = timedelta(seconds=300)
    first_transport = SlowTransport(clock, [lease - timedelta(seconds=1), timedelta(seconds=2)])
    second_transport = RecordingTransport()
    scheduler = scheduler_for(example, clock, second_transport, outbox_lease_seconds=300)
    first: Dispatcher = scheduler.dispatcher()
    second: Dispatcher = scheduler.dispatcher()
    first.transport, second.transport = first_transport, second_transport
    # The first send takes 299 s, so the second starts with 1 s left of the batch's lease
    # and takes 2 s; meanwhile a second dispatcher claims every row whose lease expired.
    first_transport.meanwhile.append(second.run)
    report = first.run()
    copies = [str(m["Subject"]) for m in first_transport.sent + second_transport.sent]
    assert sorted(copies) == [f"[Valbrune School of Engineering] Note {n}" for n in range(3)]
    assert [str(m["Subject"]).endswith("Note 2") for m in second_transport.sent] == [True]
    assert report.counts["taken over"] == 1 and report.sent == 2
    notes = rows(example)
    assert {(r.status, r.attempts) for r in notes} == {(OutboxStatus.SENT, 0)}
    assert [tries(example, r.id) for r in notes] == [[("sent", "")]] * 3


def test_each_failed_try_is_counted_and_kept_and_a_claim_is_not_a_try(example: Database) -> None:
    clock = FixedClock(at(BREACH_DAY))
    write(example, clock.now(), ("email.note", "note:1", {"to": ["a@example.org"], "subject": "N"}))
    answers = [
        DeliveryError("SMTP 451: 'greylisted, try again later'", temporary=True),
        DeliveryError("SMTP 421: 'too busy'", temporary=True),
    ]
    transport = RecordingTransport()

    def refuse(_message: Message) -> None:
        if answers:
            raise answers.pop(0)

    transport.fail = refuse
    scheduler = scheduler_for(example, clock, transport)
    stops = iter([False, True])  # claims the batch, then is told to stop before sending
    assert str(scheduler.dispatcher().run(lambda: next(stops, True))) == "nothing to send"
    (row,) = rows(example)
    assert (row.status, row.attempts, row.leased_until) == (OutboxStatus.PENDING, 0, None)
    for _ in range(3):  # 451, then 421 a minute later, then sent two minutes after that
        scheduler.dispatch()
        clock.advance(timedelta(minutes=2))
    (row,) = rows(example)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert tries(example, row.id) == [
        ("retry", "SMTP 451: 'greylisted, try again later'"),
        ("retry", "SMTP 421: 'too busy'"),
        ("sent", ""),
    ]
    assert len(transport.take()) == 1


def test_an_unreachable_server_is_named_and_the_scheduler_loop_keeps_going(
    example: Database, caplog: pytest.LogCaptureFixture
) -> None:
    server = SmtpSink()  # not started: nothing listens on its port
    clock = FixedClock(at(BREACH_DAY))
    scheduler = scheduler_for(example, clock, **smtp_settings(server.port))
    indicators.record(scheduler.services, "ebenoit", "TRN-04-GRADES", "2026-10", "79")
    zone = scheduler.services.settings.zone
    with caplog.at_level(logging.WARNING, logger="qms.scheduler"):
        service._logged("dispatch", scheduler.dispatch, zone)  # the job `scheduler run` times
    (warning,) = [r.getMessage() for r in caplog.records if "for a retry" in r.getMessage()]
    assert f"SMTP server 127.0.0.1:{server.port} unreachable" in warning
    assert "1 message waiting for a retry, the next at 2026-11-25 10:01" in warning
    (row,) = rows(example, outbox.BREACH)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    server.start()
    try:
        clock.advance(timedelta(minutes=1))
        service._logged("dispatch", scheduler.dispatch, zone)
        assert [m["To"] for m in server.messages()] == [PILOT]
    finally:
        server.stop()
    assert [outcome for outcome, _ in tries(example, row.id)] == ["retry", "sent"]
