"""Connection settings and the unit of work, on each backend."""

from __future__ import annotations

import threading

from sqlalchemy import select, text

from qms.db import Database
from qms.models import Person
from tests.factories import load_example


def test_sqlite_connection_settings(tmp_path: object) -> None:
    database = Database(url=f"sqlite:///{tmp_path}/x.sqlite3")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_unit_of_work_rolls_back_unless_committed(database: Database) -> None:
    load_example(database)
    with database.unit_of_work() as uow:
        person = uow.session.scalars(select(Person).where(Person.handle == "sroux")).one()
        person.name = "Changed But Not Committed"
    with database.unit_of_work() as uow:
        person = uow.session.scalars(select(Person).where(Person.handle == "sroux")).one()
        person.name = "Sophie Roux-Durand"
        uow.commit()
    with database.reading() as session:
        name = session.scalars(select(Person.name).where(Person.handle == "sroux")).one()
    assert name == "Sophie Roux-Durand"


def test_concurrent_read_then_update_loses_nothing(database: Database) -> None:
    """Writers queue (BEGIN IMMEDIATE on SQLite, row locks on PostgreSQL): no lost update."""
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter_probe (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO counter_probe VALUES (1, 0)"))
    workers, rounds = 8, 25
    lock_clause = "" if database.is_sqlite else " FOR UPDATE"
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(rounds):
                with database.unit_of_work() as uow:
                    n = uow.session.execute(
                        text(f"SELECT n FROM counter_probe WHERE id = 1{lock_clause}")
                    ).scalar_one()
                    uow.session.execute(
                        text("UPDATE counter_probe SET n = :n WHERE id = 1"), {"n": n + 1}
                    )
                    uow.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter_probe")).scalar_one() == workers * rounds
