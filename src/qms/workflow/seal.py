"""Seals: signed checkpoints of the trail, kept in the database and outside it.

A seal holds how many rows the trail had, and the Merkle root (RFC 6962's tree hash) of
the head of every record's chain; ``trail_seal_head`` keeps the heads of the chains that
changed since the seal before.  Once sealed, a chain can grow but not shrink or change:
``qms trail verify`` checks every chain against the latest seal, and the seal itself
against its copy outside the database (a JSON file in ``QMS_TRAIL_SEALS_DIR``, and the
e-mail the quality managers receive).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from qms.models import GENESIS_HASH, UNKEYED, HistoryEntry, TrailSeal, TrailSealHead
from qms.workflow.keys import Keyring

Chain = tuple[str, int]  # (record_kind, record_id)


@dataclass(frozen=True)
class Head:
    seq: int
    row_id: int
    hash: str


def heads(session: Session) -> dict[Chain, Head]:
    """The last row of every record's chain, as the trail holds them now."""
    h = cast(Table, HistoryEntry.__table__)
    last = (
        select(h.c.record_kind, h.c.record_id, func.max(h.c.seq).label("seq"))
        .group_by(h.c.record_kind, h.c.record_id)
        .subquery()
    )
    query = select(h.c.record_kind, h.c.record_id, h.c.seq, h.c.id, h.c.hash).join(
        last,
        (h.c.record_kind == last.c.record_kind)
        & (h.c.record_id == last.c.record_id)
        & (h.c.seq == last.c.seq),
    )
    return {(r.record_kind, r.record_id): Head(r.seq, r.id, r.hash) for r in session.execute(query)}


def sealed_heads(session: Session, seal_id: int) -> dict[Chain, Head]:
    """Every chain's head as seal ``seal_id`` saw it (its own heads and older ones)."""
    s = cast(Table, TrailSealHead.__table__)
    latest = (
        select(s.c.record_kind, s.c.record_id, func.max(s.c.seal_id).label("seal_id"))
        .where(s.c.seal_id <= seal_id)
        .group_by(s.c.record_kind, s.c.record_id)
        .subquery()
    )
    query = select(s.c.record_kind, s.c.record_id, s.c.seq, s.c.row_id, s.c.hash).join(
        latest,
        (s.c.record_kind == latest.c.record_kind)
        & (s.c.record_id == latest.c.record_id)
        & (s.c.seal_id == latest.c.seal_id),
    )
    return {
        (r.record_kind, r.record_id): Head(r.seq, r.row_id, r.hash) for r in session.execute(query)
    }


def merkle_root(chains: dict[Chain, Head]) -> str:
    """RFC 6962's Merkle tree hash over the chains' heads, in (kind, id) order."""
    leaves = [
        hashlib.sha256(b"\x00" + f"{kind}\x1f{rid}\x1f{h.seq}\x1f{h.hash}".encode()).digest()
        for (kind, rid), h in sorted(chains.items())
    ]
    return _tree(leaves).hex() if leaves else GENESIS_HASH


def _tree(nodes: Sequence[bytes]) -> bytes:
    if len(nodes) == 1:
        return nodes[0]
    split = 1 << ((len(nodes) - 1).bit_length() - 1)  # the largest power of two below n
    return hashlib.sha256(b"\x01" + _tree(nodes[:split]) + _tree(nodes[split:])).digest()


def signed_fields(seal: TrailSeal) -> dict[str, Any]:
    return {
        "sealed_at": seal.sealed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "sealed_by": seal.sealed_by,
        "rows": seal.rows,
        "chains": seal.chains,
        "last_id": seal.last_id,
        "root": seal.root,
        "unkeyed_rows": seal.unkeyed_rows,
        "unkeyed_last_hash": seal.unkeyed_last_hash,
        "key_id": seal.key_id,
    }


def signature(keys: Keyring, seal: TrailSeal) -> str:
    text = json.dumps(signed_fields(seal), sort_keys=True, separators=(",", ":"))
    return keys.sign(text.encode("utf-8"), seal.key_id)


def latest(session: Session) -> TrailSeal | None:
    return session.scalar(select(TrailSeal).order_by(TrailSeal.id.desc()).limit(1))


def unkeyed(session: Session) -> tuple[int, str]:
    """How many rows were written before the trail was keyed, and the last one's hash."""
    h = cast(Table, HistoryEntry.__table__)
    count = session.scalar(select(func.count()).where(h.c.key_id == UNKEYED)) or 0
    last = session.scalar(
        select(h.c.hash).where(h.c.key_id == UNKEYED).order_by(h.c.id.desc()).limit(1)
    )
    return count, last or GENESIS_HASH


def seal(session: Session, keys: Keyring, actor: str, now: datetime) -> TrailSeal:
    """Write a seal of the trail as it is now (in the caller's transaction)."""
    found = heads(session)
    previous = latest(session)
    before = sealed_heads(session, previous.id) if previous is not None else {}
    count, last_hash = unkeyed(session)
    record = TrailSeal(
        sealed_at=now,
        sealed_by=actor,
        rows=sum(h.seq for h in found.values()),
        chains=len(found),
        last_id=max((h.row_id for h in found.values()), default=0),
        root=merkle_root(found),
        unkeyed_rows=count,
        unkeyed_last_hash=last_hash,
        key_id=keys.active_id,
        signature="",
    )
    record.signature = signature(keys, record)
    session.add(record)
    session.flush()
    changed = [
        {"seal_id": record.id, "record_kind": kind, "record_id": rid, "seq": h.seq,
         "row_id": h.row_id, "hash": h.hash}
        for (kind, rid), h in sorted(found.items()) if before.get((kind, rid)) != h
    ]  # fmt: skip
    if changed:
        session.connection().execute(insert(cast(Table, TrailSealHead.__table__)), changed)
    return record


def as_document(record: TrailSeal) -> dict[str, Any]:
    """The seal as it is written outside the database."""
    return {"seal": record.id, **signed_fields(record), "signature": record.signature}


def write_file(folder: Path, record: TrailSeal) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seal-{record.id:06d}.json"
    path.write_text(json.dumps(as_document(record), indent=2) + "\n", encoding="utf-8")
    return path


def newest_file(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    files = sorted(folder.glob("seal-*.json")) if folder.is_dir() else []
    if not files:
        return None
    return files[-1], json.loads(files[-1].read_text(encoding="utf-8"))


def in_force(session: Session) -> str:
    """The latest seal in one line, for the documents frozen now (clause 7.5.3)."""
    record = latest(session)
    return describe(record) if record is not None else "the trail is not sealed yet"


def describe(record: TrailSeal) -> str:
    """The seal in one line, as reports print it."""
    return (
        f"trail seal #{record.id} of {record.sealed_at:%Y-%m-%d %H:%M} UTC: {record.rows} rows, "
        f"root {record.root[:16]}"
    )
