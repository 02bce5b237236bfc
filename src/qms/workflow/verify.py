"""``qms trail verify``: the trail checked row by row, against its latest seal, and every
record against the replay of its own trail.

Every problem found is named, not only the first: the row (its id, record, trigger,
actor and time) and what is wrong with it, a missing row by its id where the trail still
knows it (the next row of its chain names it), a record by the field whose value in its
table differs from the one its trail set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from qms.models import (
    GENESIS_HASH,
    UNKEYED,
    HistoryEntry,
    TrailSeal,
)
from qms.workflow import seal as seals
from qms.workflow import trail
from qms.workflow.keys import Keyring
from qms.workflow.replay import ChainState, Replay, check_records, replay_row

CLOCK_SKEW = timedelta(minutes=5)  # a row this far after "now" is in the future


@dataclass
class Report:
    rows: int = 0
    chains: int = 0
    records: int = 0
    seal: TrailSeal | None = None
    unchecked: int = 0  # signed rows whose signature could not be checked (no key file)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(
    session: Session, keys: Keyring | None, now: datetime, seals_dir: Path | None = None
) -> Report:
    report = Report()
    replay = Replay.load(session)
    chains = _rows(session, keys, now, replay, report)
    report.chains = len(chains)
    report.seal = seals.latest(session)
    _against_seal(session, keys, chains, report, seals_dir)
    check_records(session, chains, replay, report)
    return report


def where(row: Row[Any]) -> str:
    return (
        f"trail row {row.id} ({row.record_kind} #{row.record_id}, '{row.trigger}' by "
        f"{row.actor} at {row.at.isoformat()})"
    )


# --- row by row ----------------------------------------------------------------------------


def _rows(
    session: Session, keys: Keyring | None, now: datetime, replay: Replay, report: Report
) -> dict[tuple[str, int], ChainState]:
    chains: dict[tuple[str, int], ChainState] = {}
    unkeyed: list[tuple[int, str, str]] = []
    first_keyed: int | None = None
    for row in _in_chain_order(session):
        report.rows += 1
        state = chains.setdefault((row.record_kind, row.record_id), ChainState())
        if row.key_id == UNKEYED:
            unkeyed.append((row.id, row.prev_hash, row.hash))
            if trail.unkeyed_hash(row._mapping) != row.hash:
                report.problems.append(
                    f"{where(row)}: its content was changed after it was written"
                )
        else:
            first_keyed = row.id if first_keyed is None else min(first_keyed, row.id)
            _check_keyed(row, state.last, keys, report)
        _check_order(row, state.last, now, report)
        state.rows[row.seq] = (row.id, row.hash)
        replay_row(row, state, replay)
        state.last = row
    _check_unkeyed(unkeyed, first_keyed, report)
    return chains


def _in_chain_order(session: Session) -> Iterator[Row[Any]]:
    h = cast(Table, HistoryEntry.__table__)
    query = select(*(h.c[name] for name in trail.COLUMNS)).order_by(
        h.c.record_kind, h.c.record_id, h.c.seq
    )
    result = session.execute(query.execution_options(yield_per=2000))
    try:
        yield from result
    finally:
        result.close()  # a server-side cursor on PostgreSQL, even when the caller stops early


def _check_keyed(
    row: Row[Any], before: Row[Any] | None, keys: Keyring | None, report: Report
) -> None:
    if keys is None:
        report.unchecked += 1
    elif not keys.knows(row.key_id):
        report.problems.append(
            f"{where(row)}: signed with the key {row.key_id!r}, which the trail key file "
            "does not hold: it was not written by this qms, or its key is lost"
        )
    elif keys.sign(trail.signed_content(row._mapping), row.key_id) != row.hash:
        report.problems.append(
            f"{where(row)}: its signature does not match its content: the row was changed "
            "after it was written, or written by something other than qms"
        )
    expected_seq = before.seq + 1 if before is not None else 1
    if row.seq != expected_seq:
        report.problems.append(_missing(row, expected_seq))
    elif before is None and (row.prev_hash != GENESIS_HASH or row.prev_id is not None):
        report.problems.append(f"{where(row)}: claims a row before it that the trail does not hold")
    elif before is not None and (row.prev_hash != before.hash or row.prev_id != before.id):
        report.problems.append(
            f"{where(row)}: does not follow trail row {before.id}, the row before it in the "
            f"chain of {row.record_kind} #{row.record_id}"
        )


def _missing(row: Row[Any], expected_seq: int) -> str:
    gap = row.seq - expected_seq
    if gap < 0:
        return f"{where(row)}: repeats position {row.seq} of its chain"
    last = f"trail row {row.prev_id}" if row.prev_id is not None else "a row"
    which = (
        f"{last} (row {expected_seq} of its chain) is missing"
        if gap == 1
        else f"rows {expected_seq} to {row.seq - 1} of its chain, the last of them "
        f"{last}, are missing"
    )
    return f"{row.record_kind} #{row.record_id}: {which}; {where(row)} follows it"


def _check_order(row: Row[Any], before: Row[Any] | None, now: datetime, report: Report) -> None:
    if before is not None and row.at < before.at:
        report.problems.append(
            f"{where(row)}: dated before trail row {before.id} ({before.at.isoformat()}), "
            "the row before it in its chain"
        )
    if row.at > now + CLOCK_SKEW:
        report.problems.append(f"{where(row)}: dated in the future (now is {now.isoformat()})")


def _check_unkeyed(
    unkeyed: list[tuple[int, str, str]], first_keyed: int | None, report: Report
) -> None:
    expected = GENESIS_HASH
    for row_id, prev_hash, row_hash in sorted(unkeyed):
        if first_keyed is not None and row_id > first_keyed:
            report.problems.append(
                f"trail row {row_id}: has no signature but comes after trail row {first_keyed}, "
                "the first signed one: rows are signed since the trail was keyed, so this one "
                "was not written by qms"
            )
        elif prev_hash != expected:
            report.problems.append(
                f"trail row {row_id}: does not follow the row before it in the unsigned trail "
                "kept from before the trail was keyed; a row before it was removed or changed"
            )
        expected = row_hash


# --- against the latest seal ---------------------------------------------------------------


def _against_seal(
    session: Session,
    keys: Keyring | None,
    chains: dict[tuple[str, int], ChainState],
    report: Report,
    seals_dir: Path | None,
) -> None:
    record = report.seal
    count, last_hash = seals.unkeyed(session)
    if seals_dir is not None:
        _against_file(record, seals_dir, report)
    if record is None:
        if count:
            report.notes.append(
                f"{count} rows written before the trail was keyed are not covered by a seal "
                "yet: run `qms trail seal`"
            )
        return
    name = f"seal #{record.id} of {record.sealed_at:%Y-%m-%d %H:%M} UTC"
    if keys is None or not keys.knows(record.key_id):
        report.problems.append(f"{name}: signed with the key {record.key_id!r}, which is unknown")
    elif seals.signature(keys, record) != record.signature:
        report.problems.append(f"{name}: its signature does not match: the seal was changed")
    sealed = seals.sealed_heads(session, record.id)
    if seals.merkle_root(sealed) != record.root or len(sealed) != record.chains:
        report.problems.append(
            f"{name}: the chain heads kept for it no longer give its root {record.root[:16]}: "
            "the seal's heads were changed in the database"
        )
    for (kind, rid), head in sorted(sealed.items()):
        _against_head(name, kind, rid, head, chains.get((kind, rid)), report)
    if count != record.unkeyed_rows or (count and last_hash != record.unkeyed_last_hash):
        report.problems.append(
            f"{name}: it covered {record.unkeyed_rows} rows from before the trail was keyed, "
            f"the trail now holds {count}"
        )


def _against_head(
    name: str, kind: str, rid: int, head: seals.Head, chain: ChainState | None, report: Report
) -> None:
    rows = chain.rows if chain is not None else {}
    held = rows.get(head.seq)
    if held is not None and held == (head.row_id, head.hash):
        return
    if held is not None:
        report.problems.append(
            f"trail row {held[0]} ({kind} #{rid}, row {head.seq} of its chain): differs from "
            f"trail row {head.row_id} that {name} saw there: it was rewritten"
        )
        return
    have = max(rows, default=0)
    report.problems.append(
        f"{kind} #{rid}: rows {have + 1} to {head.seq} of its chain, the last of them trail row "
        f"{head.row_id}, were sealed by {name} and are missing: the trail was cut"
    )


def _against_file(record: TrailSeal | None, folder: Path, report: Report) -> None:
    newest = seals.newest_file(folder)
    if newest is None:
        if record is not None:
            report.notes.append(f"no seal file in {folder}: the seals are only in the database")
        return
    path, document = newest
    if record is None or document.get("seal", 0) > record.id:
        report.problems.append(
            f"{path.name}: seal #{document.get('seal')} is outside the database but not in it: "
            "seals were removed from the database"
        )
    elif document.get("seal") == record.id and document != seals.as_document(record):
        report.problems.append(
            f"{path.name}: seal #{record.id} in the database differs from its copy outside it"
        )
