"""The audit trail (clause 7.5): one signed chain of history rows per record.

Each row names the row before it in its record's chain (``prev_id``, ``prev_hash``), its
position (``seq``, from 1) and the key that signed it (``key_id``); its ``hash`` is the
HMAC-SHA-256 of its content under that key, which lives outside the database
(:mod:`qms.workflow.keys`).  So a row cannot be forged, changed or removed without the
key, and writers on different records never wait for each other: two writers on the same
record race for the same ``seq``, which is unique, and one of them gets a ConflictError.

Rows written before the trail was keyed (``key_id`` empty) keep their plain SHA-256 and
their place in the one chain they were written in.  :mod:`qms.workflow.seal` writes the
signed checkpoints, :mod:`qms.workflow.verify` checks everything against them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qms.errors import ConflictError, TrailError
from qms.models import GENESIS_HASH, UNKEYED, HistoryEntry
from qms.workflow.keys import Keyring

# What a row written before the trail was keyed hashed, in that order.
UNKEYED_FIELDS = (
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
SIGNED_FIELDS = (*UNKEYED_FIELDS, "seq", "prev_id", "key_id")
COLUMNS = ("id", *SIGNED_FIELDS, "hash")


def unkeyed_hash(row: Mapping[Any, Any]) -> str:
    """The plain SHA-256 of a row written before the trail was keyed."""
    fields = {name: row[name] for name in UNKEYED_FIELDS}
    fields["at"] = row["at"].isoformat(timespec="microseconds")
    return hashlib.sha256(_canonical(fields)).hexdigest()


def signed_content(row: Mapping[Any, Any]) -> bytes:
    """The bytes a keyed row's signature covers."""
    fields = {name: row[name] for name in SIGNED_FIELDS}
    fields["at"] = row["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return _canonical(fields)


def _canonical(fields: dict[str, Any]) -> bytes:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def append(keys: Keyring, session: Session, entry: HistoryEntry) -> HistoryEntry:
    """Chain ``entry`` after the last row of its record, sign it and insert it.

    The row is written with one INSERT ... RETURNING rather than through the unit of
    work's flush: history rows are never changed afterwards, so they need no tracking.
    """
    connection = session.connection()  # Core statements: no ORM bookkeeping needed
    head = connection.execute(_HEAD, {"kind": entry.record_kind, "id": entry.record_id}).first()
    if head is not None and entry.at < head.at:
        raise TrailError(
            f"{entry.record_kind} #{entry.record_id}: a trail row dated {entry.at.isoformat()} "
            f"cannot follow one dated {head.at.isoformat()} (clause 7.5.3: the trail is kept "
            "in time order); check the clock of this server"
        )
    entry.seq = head.seq + 1 if head is not None else 1
    entry.prev_id = head.id if head is not None else None
    entry.prev_hash = head.hash if head is not None else GENESIS_HASH
    entry.key_id = keys.active_id
    values = {name: getattr(entry, name) for name in SIGNED_FIELDS}
    entry.hash = values["hash"] = keys.sign(signed_content(values))
    try:
        entry.id = connection.execute(_INSERT, values).scalar_one()
    except IntegrityError as exc:
        raise ConflictError(
            f"{entry.record_kind} #{entry.record_id} was changed by someone else at the same "
            "time; nothing was saved, reload it"
        ) from exc
    return entry


# Built once: SQLAlchemy then reuses their compiled form on every append.
_TABLE = cast(Table, HistoryEntry.__table__)
_HEAD = (
    select(_TABLE.c.id, _TABLE.c.seq, _TABLE.c.hash, _TABLE.c.at)
    .where(_TABLE.c.record_kind == bindparam("kind"), _TABLE.c.record_id == bindparam("id"))
    .order_by(_TABLE.c.seq.desc())
    .limit(1)
)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)


def signed_by(session: Session) -> str | None:
    """The key id of one signed row of the trail, if it holds any."""
    return session.scalar(select(_TABLE.c.key_id).where(_TABLE.c.key_id != UNKEYED).limit(1))


def history_of(session: Session, record_kind: str, record_id: int) -> list[HistoryEntry]:
    return list(
        session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.record_kind == record_kind, HistoryEntry.record_id == record_id)
            .order_by(HistoryEntry.seq)
        )
    )


def size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(HistoryEntry)) or 0
