"""Fixtures: a migrated database per test, on SQLite and on a throwaway PostgreSQL cluster."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qms import migrations
from qms.db import Database, build_engine
from qms.testing.postgres import Cluster, find_bin_dir

ROOT = Path(__file__).resolve().parents[1]
PROCESS_MAP = ROOT / "workflows" / "process-map.yaml"
_names = itertools.count()


class PostgresServer:
    """Creates databases on one server: empty ones, or copies of a migrated template."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.template: str | None = None

    def url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"qms_test_{os.getpid()}_{next(_names)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}{clause}"))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def migrated_template(self) -> str:
        if self.template is None:
            name = self.create()
            engine = build_engine(self.url(name))
            migrations.upgrade(engine)
            engine.dispose()
            self.template = name
        return self.template


@pytest.fixture(scope="session")
def trail_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One trail key for the session, outside the checkout (created on first use)."""
    return tmp_path_factory.mktemp("trail") / "trail.key"


@pytest.fixture(autouse=True)
def _trail_files(trail_key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test signs with the session's key and keeps its seals in its own folder."""
    monkeypatch.setenv("QMS_TRAIL_KEY_FILE", str(trail_key_file))
    monkeypatch.setenv("QMS_TRAIL_SEALS_DIR", str(tmp_path / "seals"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    given = os.environ.get("QMS_TEST_POSTGRES_URL")
    if given:
        server = PostgresServer(given)
        yield server
        if server.template:
            server.drop(server.template)
        server.admin.dispose()
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = "no PostgreSQL server binaries (set QMS_PG_BIN or QMS_TEST_POSTGRES_URL)"
        if os.environ.get("QMS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"QMS_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    cluster = Cluster(bin_dir).start()
    server = PostgresServer(cluster.url())
    try:
        yield server
    finally:
        server.admin.dispose()
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "qms.sqlite3"
    engine = build_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    engine.dispose()
    return path


BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A URL of an empty database (no tables), on each backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create()
    yield server.url(name)
    server.drop(name)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at the latest migration, of its own, on each backend."""
    if backend == "sqlite":
        path = tmp_path / "qms.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(url=f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create(template=server.migrated_template())
    db = Database(url=server.url(name))
    yield db
    db.dispose()
    server.drop(name)
