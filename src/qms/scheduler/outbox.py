"""The outbox, as the scheduler uses it: write once by dedupe key, list, retry.

Topics the scheduler writes and sends::

    email.reminder      one reminder for one person (immediate)
    digest.item         one reminder for a person who gets a daily digest: never sent alone
    email.digest        that person's digest of the day: the pending digest.item rows
    email.dashboard     a pilot's monthly process dashboard
    email.review_pack   the review pack, to each director, before a management review
    email.*             anything else other capabilities write (payload: recipients, subject,
                        reference; optional template, context, body, record_kind/record_id)
    workflow.transition the engine's events: marked handled, nothing is sent
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qms.errors import NotFound, ValidationError
from qms.models import OutboxMessage, OutboxStatus

REMINDER = "email.reminder"
DIGEST_ITEM = "digest.item"
DIGEST = "email.digest"
DASHBOARD = "email.dashboard"
REVIEW_PACK = "email.review_pack"
MEASUREMENT_DUE = "email.measurement_due"
TRANSITION = "workflow.transition"
EMAIL_PREFIX = "email."
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
    limit: int = 50


def listing(session: Session, filters: Filters) -> list[OutboxMessage]:
    """Outbox rows, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(filters.limit)
    if filters.status:
        if filters.status not in set(OutboxStatus):
            known = ", ".join(s.value for s in OutboxStatus)
            raise ValidationError("status", f"{filters.status!r} is not one of {known}")
        query = query.where(OutboxMessage.status == filters.status)
    if filters.topic:
        query = query.where(OutboxMessage.topic.startswith(filters.topic, autoescape=True))
    return list(session.scalars(query))


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
