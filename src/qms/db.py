"""Engine, sessions and the unit of work, built lazily from Settings.

SQLite (the embedded default) is opened in WAL mode with a 5 s busy timeout and
foreign keys on, and every write transaction starts with ``BEGIN IMMEDIATE`` so that
two writers queue instead of one silently losing a read-then-update.  A read-only
unit of work starts with a plain ``BEGIN`` and never blocks writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from qms.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "qms_read_only"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        # on the driver's connection: exec_driver_sql's events cost more than the BEGIN
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "BEGIN" if read_only else "BEGIN IMMEDIATE"
        )


def build_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with qms's connection settings applied."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class UnitOfWork:
    """One database transaction; rolls back unless :meth:`commit` is called."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it does not
        # expire loaded objects, so results stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class Database:
    """The database of one installation; the engine is created on first use."""

    def __init__(self, settings: Settings | None = None, *, url: str | None = None) -> None:
        if url is None:
            if settings is None:
                raise ValueError("Database needs settings or a url")
            url = settings.database_url
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = build_engine(self.url)
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    def _session_factory(self) -> sessionmaker[Session]:
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        session = self._session_factory()()
        if read_only:
            session.connection(execution_options={READ_ONLY: True})
        return UnitOfWork(session)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; whatever it changes is rolled back."""
        with self.unit_of_work(read_only=True) as uow:
            yield uow.session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._sessions = None
