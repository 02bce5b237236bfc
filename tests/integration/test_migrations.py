"""The schema exists only through Alembic; models and migrations never drift."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, inspect, text

from qms import migrations
from qms.db import Database, build_engine
from qms.errors import MigrationError
from qms.models import Base
from tests.factories import load_example, snapshot


def test_upgrade_head_matches_models(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision(engine)
    assert migrations.drift(engine) == []
    assert migrations.check(engine) == []
    engine.dispose()


def test_a_model_change_without_migration_is_drift(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    migrations.upgrade(engine)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        copy = table.to_metadata(changed)
        if table.name == "person":
            copy.append_column(Column("phone_extension", Integer))
    found = migrations.drift(engine, changed)
    assert any("add_column" in line and "phone_extension" in line for line in found), found
    engine.dispose()


def test_round_trip_with_data_present(empty_database_url: str) -> None:
    database = Database(url=empty_database_url)
    migrations.upgrade(database.engine)
    load_example(database)
    before = snapshot(database)
    assert len(before["process"]) == 18
    migrations.downgrade(database.engine, "base")
    tables = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    migrations.upgrade(database.engine)
    load_example(database)
    assert snapshot(database) == before
    database.dispose()


def test_working_on_an_unmigrated_database_is_refused(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    with pytest.raises(MigrationError, match=r"run `qms db upgrade`"):
        migrations.require_current(engine)
    engine.dispose()


def test_schema_changed_behind_alembic_is_reported(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
    problems = migrations.check(database.engine)
    assert problems and "stray_table" in problems[0]
