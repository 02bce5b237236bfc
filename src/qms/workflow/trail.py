"""The hash-chained audit trail (clause 7.5).

Each history row stores the hash of the row before it and a hash of its own content,
so changing or removing any row breaks the chain at that row.  Appends are serialised
(``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL),
and ``prev_hash`` is unique, so the chain can never fork.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from qms.errors import TrailError
from qms.models import GENESIS_HASH, HistoryEntry

TRAIL_LOCK_KEY = 0x716D7301  # any constant; names the trail's advisory lock on PostgreSQL
HASHED = (
    "record_kind",
    "record_id",
    "trigger",
    "from_state",
    "to_state",
    "actor",
    "at",
    "inputs",
    "comment",
    "workflow_name",
    "workflow_version",
    "workflow_hash",
    "prev_hash",
)


def content_hash(entry: HistoryEntry) -> str:
    fields: dict[str, Any] = {name: getattr(entry, name) for name in HASHED}
    at: datetime = fields["at"]
    fields["at"] = at.isoformat(timespec="microseconds")
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, entry: HistoryEntry) -> HistoryEntry:
    """Chain ``entry`` after the last row and insert it; ``entry`` gets its id.

    The row is written with one INSERT ... RETURNING rather than through the unit of
    work's flush: history rows are never changed afterwards, so they need no tracking.
    """
    connection = session.connection()  # Core statements: no ORM bookkeeping needed
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": TRAIL_LOCK_KEY})
    entry.prev_hash = connection.execute(_LAST_HASH).scalar() or GENESIS_HASH
    entry.hash = content_hash(entry)
    values = {name: getattr(entry, name) for name in (*HASHED, "hash")}
    entry.id = connection.execute(_INSERT, values).scalar_one()
    return entry


# Built once: SQLAlchemy then reuses their compiled form on every append.
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_LAST_HASH = select(HistoryEntry.hash).order_by(HistoryEntry.id.desc()).limit(1)
_INSERT = insert(cast(Table, HistoryEntry.__table__)).returning(
    cast(Table, HistoryEntry.__table__).c.id
)


@dataclass(frozen=True)
class Verified:
    rows: int
    last_hash: str


def verify(session: Session) -> Verified:
    """Recompute the chain; raise TrailError naming the first row that does not verify."""
    expected_prev, count = GENESIS_HASH, 0
    with closing(_in_order(session)) as rows:
        for entry in rows:
            _check(entry, expected_prev)
            expected_prev, count = entry.hash, count + 1
    return Verified(count, expected_prev)


def _check(entry: HistoryEntry, expected_prev: str) -> None:
    where = (
        f"trail row {entry.id} ({entry.record_kind} #{entry.record_id}, "
        f"'{entry.trigger}' by {entry.actor} at {entry.at.isoformat()})"
    )
    if entry.prev_hash != expected_prev:
        raise TrailError(
            f"{where}: does not follow the row before it; a row before it was removed or changed"
        )
    if content_hash(entry) != entry.hash:
        raise TrailError(f"{where}: its content was changed after it was written")


def _in_order(session: Session) -> Generator[HistoryEntry, None, None]:
    query = select(HistoryEntry).order_by(HistoryEntry.id).execution_options(yield_per=1000)
    result = session.scalars(query)
    try:
        for entry in result:
            yield entry
            session.expunge(entry)
    finally:
        result.close()  # a server-side cursor on PostgreSQL, even when verify stops early


def history_of(session: Session, record_kind: str, record_id: int) -> list[HistoryEntry]:
    return list(
        session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.record_kind == record_kind, HistoryEntry.record_id == record_id)
            .order_by(HistoryEntry.id)
        )
    )


def size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(HistoryEntry)) or 0
