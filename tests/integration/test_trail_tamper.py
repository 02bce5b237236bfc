"""The trail against an insider with write access to the database (clause 7.5.3), on SQLite
and PostgreSQL: each attack is detected, and the report names exactly what was changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, insert, select, text
from sqlalchemy.exc import DBAPIError

from qms import migrations
from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import ConfigError
from qms.models import GENESIS_HASH, HistoryEntry
from qms.services import shared
from qms.services import trail as trail_service
from qms.workflow import keys as trail_keys
from qms.workflow import trail
from tests.factories import load_example, services_for

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
HISTORY = HistoryEntry.__table__


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    return services_for(database, FixedClock(NOW))  # type: ignore[no-any-return]


def new_nc(app: Services) -> int:
    record = shared.start(
        app.database, app.engine, "nonconformity", "ebenoit", process="TRN-04", title="Late"
    )
    return record.id


def contain(app: Services, nc: int) -> None:
    shared.fire(
        app.database, app.engine, "nonconformity", nc, "contain", "ebenoit", {"containment": "x"}
    )


def rows_of(app: Services, nc: int) -> list[HistoryEntry]:
    with app.database.reading() as session:
        return trail.history_of(session, "nonconformity", nc)


def problems(app: Services) -> list[str]:
    return trail_service.verify(app).problems


def behind_qms(database: Database, *statements: str, values: dict[str, Any] | None = None) -> None:
    """Run SQL with the append-only triggers out of the way, as an administrator could."""
    with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in ("no_update", "no_delete", "no_overwrite", "in_time_order"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS workflow_history_{name}"))
        else:
            conn.execute(text("ALTER TABLE workflow_history DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement), values or {})
        if not database.is_sqlite:
            conn.execute(text("ALTER TABLE workflow_history ENABLE TRIGGER USER"))


def next_row(app: Services, nc: int, **changes: Any) -> dict[str, Any]:
    """The values of a plausible next row of ``nc``'s chain (a second 'contain')."""
    last = rows_of(app, nc)[-1]
    values = {name: getattr(last, name) for name in trail.SIGNED_FIELDS}
    values.update(
        seq=last.seq + 1,
        prev_id=last.id,
        prev_hash=last.hash,
        trigger="contain",
        at=last.at + timedelta(minutes=5),
        inputs={"containment": "forged"},
    )
    values.update(changes)
    return values


def insert_row(database: Database, values: dict[str, Any]) -> int:
    with database.engine.begin() as conn:
        return int(conn.execute(insert(HISTORY).returning(HISTORY.c.id), values).scalar_one())


def test_an_untouched_trail_verifies(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    trail_service.seal(app)
    report = trail_service.verify(app)
    assert report.problems == []
    assert (report.rows, report.chains, report.records) == (2, 1, 1)
    assert report.seal is not None and report.seal.rows == 2


def test_a_forged_row_with_a_correct_unkeyed_hash_is_named(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    values = next_row(app, nc, key_id="")
    values["hash"] = trail.unkeyed_hash(values)
    forged = insert_row(app.database, values)
    found = problems(app)
    assert any(
        p.startswith(f"trail row {forged}: has no signature but comes after trail row")
        for p in found
    ), found


def test_a_row_signed_with_another_key_is_named(app: Services, tmp_path: Path) -> None:
    nc = new_nc(app)
    contain(app, nc)
    other = trail_keys.load(tmp_path / "other.key")
    values = next_row(app, nc, key_id=other.active_id)
    values["hash"] = other.sign(trail.signed_content(values))
    forged = insert_row(app.database, values)
    found = problems(app)
    assert any(
        p.startswith(f"trail row {forged} (nonconformity #{nc}, 'contain' by ebenoit")
        and f"signed with the key {other.active_id!r}, which the trail key file does not hold" in p
        for p in found
    ), found


def test_cutting_the_tail_after_a_seal_is_named(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    sealed = trail_service.seal(app).seal
    last = rows_of(app, nc)[-1]
    behind_qms(app.database, f"DELETE FROM workflow_history WHERE id = {last.id}")
    found = problems(app)
    assert (
        f"nonconformity #{nc}: rows 2 to 2 of its chain, the last of them trail row {last.id}, "
        f"were sealed by seal #{sealed.id} of {sealed.sealed_at:%Y-%m-%d %H:%M} UTC and are "
        "missing: the trail was cut"
    ) in found


def test_a_removed_middle_row_is_named_by_its_id(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    shared.fire(app.database, app.engine, "nonconformity", nc, "analyse", "ebenoit", {
        "root_cause": "r", "cause_category": "method", "similar_nonconformities": "none",
        "corrective_action_needed": "no"})  # fmt: skip
    rows = rows_of(app, nc)
    behind_qms(app.database, f"DELETE FROM workflow_history WHERE id = {rows[1].id}")
    found = problems(app)
    assert found[0].startswith(
        f"nonconformity #{nc}: trail row {rows[1].id} (row 2 of its chain) is missing; "
        f"trail row {rows[2].id} (nonconformity #{nc}, 'analyse'"
    ), found


def test_a_record_edited_in_its_table_is_named_field_by_field(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    forged = '{"containment": "x", "effectiveness_result": "effective"}'
    with app.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE nonconformity SET state = 'closed', data = :data WHERE id = :id"),
            {"data": forged, "id": nc},
        )
    found = problems(app)
    last = rows_of(app, nc)[-1]
    assert (
        f"nonconformity #{nc}: state is 'closed' in its table, 'contained' in its trail "
        f"(trail row {last.id})"
    ) in found
    assert (
        f"nonconformity #{nc}: effectiveness_result is 'effective' in its table, but no trail "
        "row set it"
    ) in found


def test_insert_or_replace_is_refused(app: Services, database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("INSERT OR REPLACE is SQLite's")
    nc = new_nc(app)
    contain(app, nc)
    first = rows_of(app, nc)[0]
    with database.engine.connect() as conn:  # the row as stored, its time as SQLite keeps it
        stored = conn.execute(text(f"SELECT * FROM workflow_history WHERE id = {first.id}"))
        values = dict(stored.mappings().one())
    values["actor"] = "tbrunet"
    names = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    statement = text(f"INSERT OR REPLACE INTO workflow_history ({names}) VALUES ({params})")
    with (
        pytest.raises(DBAPIError, match="cannot be written over an existing one"),
        database.engine.begin() as conn,
    ):
        conn.execute(statement, values)
    assert rows_of(app, nc)[0].actor == "ebenoit"
    assert problems(app) == []


def test_a_dropped_trigger_is_named_by_db_check(app: Services, database: Database) -> None:
    assert migrations.check(database.engine) == []
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER workflow_history_no_delete"))
            name = "workflow_history_no_delete"
        else:
            conn.execute(text("DROP TRIGGER workflow_history_no_change ON workflow_history"))
            name = "workflow_history_no_change"
    found = migrations.check(database.engine)
    assert len(found) == 1
    assert found[0].startswith(f"the append-only trigger {name} is missing or disabled")


def test_a_disabled_trigger_is_named_on_postgresql(app: Services, database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite triggers cannot be disabled, only dropped")
    with database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE trail_seal DISABLE TRIGGER trail_seal_no_change"))
    assert [p.split(" is ")[0] for p in migrations.check(database.engine)] == [
        "the append-only trigger trail_seal_no_change"
    ]


def test_a_back_dated_row_is_refused_and_named(app: Services, database: Database) -> None:
    nc = new_nc(app)
    contain(app, nc)
    values = next_row(app, nc, at=NOW - timedelta(days=3))
    values["hash"] = app.engine.keys.sign(trail.signed_content(values))
    with pytest.raises(DBAPIError, match="cannot be dated before the last row of its record"):
        insert_row(database, values)
    names, params = ", ".join(values), ", ".join(f":{name}" for name in values)
    behind_qms(
        database,
        f"INSERT INTO workflow_history ({names}) VALUES ({params})",
        values={**values, "inputs": '{"containment": "forged"}'},
    )
    last = rows_of(app, nc)[-2]
    found = problems(app)
    assert any(
        "dated before trail row" in p
        and f"trail row {last.id} (" in p
        and p.startswith("trail row")
        for p in found
    ), found


def test_a_row_dated_in_the_future_is_named(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    values = next_row(app, nc, at=NOW + timedelta(days=2))
    values["hash"] = app.engine.keys.sign(trail.signed_content(values))
    forged = insert_row(app.database, values)
    found = problems(app)
    assert any(
        p.startswith(f"trail row {forged} (") and "dated in the future" in p for p in found
    ), found


def test_a_sealed_row_rewritten_with_its_chain_signed_again_is_named(app: Services) -> None:
    nc = new_nc(app)
    contain(app, nc)
    sealed = trail_service.seal(app).seal
    last = rows_of(app, nc)[-1]
    values = {name: getattr(last, name) for name in trail.SIGNED_FIELDS}
    values["inputs"] = {"containment": "rewritten"}
    values["hash"] = app.engine.keys.sign(trail.signed_content(values))  # the key was stolen
    behind_qms(
        app.database,
        "UPDATE workflow_history SET inputs = :inputs, hash = :hash WHERE id = :id",
        values={"inputs": '{"containment": "rewritten"}', "hash": values["hash"], "id": last.id},
    )
    found = problems(app)
    assert (
        f"trail row {last.id} (nonconformity #{nc}, row 2 of its chain): differs from trail row "
        f"{last.id} that seal #{sealed.id} of {sealed.sealed_at:%Y-%m-%d %H:%M} UTC saw there: "
        "it was rewritten"
    ) in found


def test_a_removed_seal_is_named_from_its_file(app: Services, database: Database) -> None:
    new_nc(app)
    sealed = trail_service.seal(app)
    assert sealed.file.is_file()
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER trail_seal_head_no_delete"))
            conn.execute(text("DROP TRIGGER trail_seal_no_delete"))
        else:
            conn.execute(text("ALTER TABLE trail_seal DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE trail_seal_head DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM trail_seal_head"))
        conn.execute(text("DELETE FROM trail_seal"))
    found = problems(app)
    assert (
        f"{sealed.file.name}: seal #{sealed.seal.id} is outside the database but not in it: "
        "seals were removed from the database"
    ) in found


def test_rows_under_an_old_and_a_new_key_verify_after_rotation(app: Services) -> None:
    nc = new_nc(app)
    before = app.engine.keys.active_id
    trail_service.rotate_key(app)
    contain(app, nc)
    rows = rows_of(app, nc)
    assert [r.key_id for r in rows] == [before, app.engine.keys.active_id]
    assert rows[0].key_id != rows[1].key_id
    assert problems(app) == []


def test_a_lost_key_file_is_named(app: Services, tmp_path: Path) -> None:
    contain(app, new_nc(app))
    key_file = app.settings.trail_key_file
    moved = tmp_path / "moved.key"
    key_file.rename(moved)
    try:
        found = problems(app)
    finally:
        moved.rename(key_file)
    assert found == [
        f"the trail key file {key_file} does not exist: the signatures of 2 trail rows cannot "
        "be checked"
    ]


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trail.key"
    trail_keys.load(path)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    with pytest.raises(Exception, match=r"can be read by others \(mode 644\): run `chmod 600"):
        trail_keys.load(path)


def test_history_rows_need_their_chain_position(app: Services) -> None:
    nc = new_nc(app)
    with app.database.reading() as session:
        row = session.execute(select(HISTORY).where(HISTORY.c.record_id == nc)).one()
    assert (row.seq, row.prev_id, row.key_id) == (1, None, app.engine.keys.active_id)
    assert isinstance(HISTORY, Table)


def test_a_wrong_key_file_never_starts_a_second_key(app: Services, tmp_path: Path) -> None:
    nc = new_nc(app)
    signed = rows_of(app, nc)[0].key_id
    app.engine.key_file = tmp_path / "elsewhere" / "trail.key"
    with pytest.raises(ConfigError, match=rf"holds rows signed with the key '{signed}'"):
        contain(app, nc)
    assert not app.engine.key_file.exists()
    assert len(rows_of(app, nc)) == 1


def test_rows_from_before_the_keyed_trail_verify_and_the_first_seal_covers_them(
    app: Services, database: Database
) -> None:
    nc = new_nc(app)
    contain(app, nc)
    old = rows_of(app, nc)
    migrations.downgrade(database.engine, "0006")
    # Rewrite the rows as revision 0006 wrote them: one global chain of plain SHA-256.
    previous = GENESIS_HASH
    updates = []
    for row in old:
        values = {name: getattr(row, name) for name in trail.UNKEYED_FIELDS}
        values["prev_hash"] = previous
        previous = trail.unkeyed_hash(values)
        updates.append({"id": row.id, "prev_hash": values["prev_hash"], "hash": previous})
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER workflow_history_no_update"))
        else:
            conn.execute(text("ALTER TABLE workflow_history DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE workflow_history SET hash = 'x' || id"))
        for update in updates:
            conn.execute(
                text("UPDATE workflow_history SET prev_hash = :prev_hash, hash = :hash "
                     "WHERE id = :id"), update)  # fmt: skip
        if database.is_sqlite:
            conn.execute(text(
                "CREATE TRIGGER workflow_history_no_update BEFORE UPDATE ON workflow_history "
                "BEGIN SELECT RAISE(ABORT, 'append-only'); END"))  # fmt: skip
        else:
            conn.execute(text("ALTER TABLE workflow_history ENABLE TRIGGER USER"))
    migrations.upgrade(database.engine)
    assert migrations.check(database.engine) == []

    report = trail_service.verify(app)
    assert report.problems == []
    assert report.notes == [
        "2 rows written before the trail was keyed are not covered by a seal yet: run "
        "`qms trail seal`"
    ]
    assert [(r.seq, r.prev_id, r.key_id) for r in rows_of(app, nc)] == [
        (1, None, ""),
        (2, old[0].id, ""),
    ]
    trail_service.seal(app)
    shared.fire(app.database, app.engine, "nonconformity", nc, "analyse", "ebenoit", {
        "root_cause": "r", "cause_category": "method", "similar_nonconformities": "none",
        "corrective_action_needed": "no"})  # fmt: skip
    after = trail_service.verify(app)
    assert (after.problems, after.notes, after.rows) == ([], [], 3)
    assert rows_of(app, nc)[-1].prev_hash == previous
