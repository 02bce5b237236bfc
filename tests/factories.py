"""Test data: the example process map loaded into a database, and table snapshots."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from qms.db import Database
from qms.models import Base, Person
from qms.services.processmap import files as processmap_file
from qms.services.processmap import service as processmap

ROOT = Path(__file__).resolve().parents[1]
PROCESS_MAP = ROOT / "workflows" / "process-map.yaml"
LOAD_DAY = date(2026, 1, 5)


def load_example(database: Database, as_of: date = LOAD_DAY) -> processmap.LoadReport:
    spec = processmap_file.read(PROCESS_MAP)
    with database.unit_of_work() as uow:
        report = processmap.load(uow.session, spec, as_of)
        uow.commit()
    return report


def person(database: Database, handle: str) -> Person:
    with database.reading() as session:
        found = session.scalar(select(Person).where(Person.handle == handle))
    assert found is not None, handle
    return found


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every qms table, sorted: equal snapshots mean nothing changed."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            result = conn.execute(text(f"SELECT * FROM {table.name}"))
            rows[table.name] = sorted((tuple(r) for r in result), key=repr)
    return rows


def services_for(database: Database, clock: Any) -> Any:
    """The wired application on this database, with the shipped workflows and a test clock."""
    from qms.bootstrap import bootstrap
    from qms.config import load_settings

    settings = load_settings(database_url=database.url, workflows_dir=ROOT / "workflows")
    return bootstrap(settings, clock, database)
