"""The outbox, as the scheduler uses it: write once by dedupe key, list, retry.

Topics the scheduler writes and sends::

    email.reminder      one reminder for one person (immediate)
    digest.item         one reminder for a person who gets a daily digest: never sent alone
    email.digest        that person's digest of the day: the pending digest.item rows
    email.dashboard     a pilot's monthly process dashboard
    email.review_pack   the review pack, to each director, before a management review
    email.*             anything else other capabilities write (payload: recipients, subject,
                        reference; optional template, context, body, record_kind/record_id)
    indicator.breach    a value worse than its alert threshold: told to the process's pilot
                        and the indicator's owner (written by services/indicators/breaches.py)
    trail.seal          the nightly trail seal, to the quality managers (like email.*)
    workflow.transition the engine's events: marked handled, nothing is sent

Any other topic is marked failed at the next dispatch, with an error naming it: no row
waits unseen for a dispatcher that will never come.  Every try at sending a message is
kept in ``outbox_attempt``; ``attempts`` counts the tries that failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qms.errors import NotFound, ValidationError
from qms.models import OutboxMessage, OutboxStatus
from qms.models.scheduler import OutboxAttempt

REMINDER = "email.reminder"
DIGEST_ITEM = "digest.item"
DIGEST = "email.digest"
DASHBOARD = "email.dashboard"
REVIEW_PACK = "email.review_pack"
MEASUREMENT_DUE = "email.measurement_due"
BREACH = "indicator.breach"
SEAL = "trail.seal"
TRANSITION = "workflow.transition"
EMAIL_PREFIX = "email."
SENT_TOPICS = (BREACH, SEAL)  # sent as e-mails, though their names do not say so
CHUNK = 500

TABLE = cast(Table, OutboxMessage.__table__)


def row(
    topic: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    recipient: str | None = None,
    available_at: datetime | None = None,
) -> dict[str, Any]:
    """The values of one outbox row, ready to insert."""
    return {
        "topic": topic,
        "dedupe_key": key,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "available_at": available_at or now,
        "last_error": "",
        "recipient": recipient,
    }


def write_new(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose dedupe key is not stored yet; returns how many were new.

    The keys already stored are read first (through the unique index) so a repeated
    pass costs one lookup per row; ``ON CONFLICT DO NOTHING`` covers a concurrent pass.
    """
    wanted = {r["dedupe_key"]: r for r in rows}
    stored: set[str] = set()
    keys = list(wanted)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        stored.update(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))
            )
        )
    new = [r for key, r in wanted.items() if key not in stored]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(new), CHUNK):
        statement = insert(TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"])
        session.execute(statement, new[start : start + CHUNK])
    return len(new)


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    topic: str | None = None  # a prefix: "email." matches every e-mail
    limit: int = 50  # 0: all of them


@dataclass(frozen=True)
class Listing:
    rows: list[OutboxMessage]
    total: int  # how many rows the filters match, shown or not

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.total


def listing(session: Session, filters: Filters) -> Listing:
    """Outbox rows, newest first, and how many match in all."""
    where: list[ColumnElement[bool]] = []
    if filters.status:
        if filters.status not in set(OutboxStatus):
            known = ", ".join(s.value for s in OutboxStatus)
            raise ValidationError("status", f"{filters.status!r} is not one of {known}")
        where.append(OutboxMessage.status == filters.status)
    if filters.topic:
        where.append(OutboxMessage.topic.startswith(filters.topic, autoescape=True))
    if filters.limit < 0:
        raise ValidationError("limit", f"{filters.limit} is negative (0 lists every row)")
    query = select(OutboxMessage).where(*where).order_by(OutboxMessage.id.desc())
    rows = list(session.scalars(query.limit(filters.limit) if filters.limit else query))
    total = len(rows)
    if filters.limit and total == filters.limit:
        total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
    return Listing(rows, total)


def one(session: Session, message_id: int) -> tuple[OutboxMessage, list[OutboxAttempt]]:
    """One message and every try at sending it, oldest first."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message #{message_id}")
    tries = session.scalars(
        select(OutboxAttempt)
        .where(OutboxAttempt.outbox_id == message_id)
        .order_by(OutboxAttempt.attempted_at, OutboxAttempt.id)
    )
    return message, list(tries)


def counts(session: Session) -> dict[str, int]:
    """How many rows per status."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {str(status): int(n) for status, n in session.execute(query)}


def retry(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Make a failed (or waiting) message due now; a sent one is refused."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message #{message_id}")
    if message.status in (OutboxStatus.SENT, OutboxStatus.HANDLED):
        raise ValidationError(
            "id", f"outbox message #{message_id} is {message.status.value}: nothing to retry"
        )
    message.status = OutboxStatus.PENDING
    message.available_at = now
    message.leased_until = None
    message.leased_by = None
    return message


def mark_transitions_handled(session: Session, now: datetime) -> int:
    """The engine's transition events need no e-mail: mark them handled in one statement."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.topic == TRANSITION, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.HANDLED, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sendable() -> ColumnElement[bool]:
    """The topics the dispatcher turns into e-mails."""
    return or_(OutboxMessage.topic.startswith(EMAIL_PREFIX), OutboxMessage.topic.in_(SENT_TOPICS))


def fail_unknown_topics(session: Session, now: datetime) -> int:
    """Mark failed, naming their topic, the pending rows no dispatcher handles."""
    known = (*SENT_TOPICS, TRANSITION, DIGEST_ITEM)
    unknown = (
        OutboxMessage.status == OutboxStatus.PENDING,
        ~OutboxMessage.topic.startswith(EMAIL_PREFIX),
        OutboxMessage.topic.not_in(known),
    )
    failed = 0
    for topic in list(session.scalars(select(OutboxMessage.topic).where(*unknown).distinct())):
        error = (
            f"no dispatcher handles topic '{topic}' (it sends email.*, "
            f"{', '.join(SENT_TOPICS)}; marks {TRANSITION} handled)"
        )
        result = session.execute(
            update(OutboxMessage)
            .where(*unknown, OutboxMessage.topic == topic)
            .values(status=OutboxStatus.FAILED, last_error=error, leased_until=None)
            .execution_options(synchronize_session=False)
        )
        failed += int(getattr(result, "rowcount", 0) or 0)
    return failed


@dataclass(frozen=True)
class Waiting:
    """The e-mails that failed for now and wait for their next try."""

    count: int
    next_try: datetime | None


def waiting_for_retry(session: Session) -> Waiting:
    query = select(func.count(), func.min(OutboxMessage.available_at)).where(
        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.attempts > 0, sendable()
    )
    count, next_try = session.execute(query).one()
    return Waiting(int(count or 0), next_try)
