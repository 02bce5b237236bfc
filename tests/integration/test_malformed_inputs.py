"""The malformed-input corpus (tests/malformed/): every file a person could get wrong gets a
clear message naming what is wrong and where, never a traceback, and changes nothing
stored, on SQLite and on PostgreSQL.

Each case is a file ``tests/malformed/<kind>/<case>.<ext>`` with ``<case>.expected`` beside
it: the lines the error output must contain (``{file}`` stands for the case's path).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qms.db import Database
from tests.cli import run
from tests.conftest import PostgresServer
from tests.factories import load_example, snapshot

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "malformed"
INDICATORS = ROOT / "workflows" / "indicators.yaml"

Command = Callable[[Path, pytest.MonkeyPatch], list[str]]


def _reminders(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("QMS_REMINDERS_FILE", str(path))
    return ["scheduler", "rules"]


COMMANDS: dict[str, Command] = {
    "processmap": lambda p, _: ["processmap", "load", str(p), "--as-of", "2026-01-05"],
    "workflows": lambda p, _: ["workflow", "check", str(p)],
    "indicators": lambda p, _: ["indicator", "load", str(p)],
    "measurements": lambda p, _: ["indicator", "import", str(p), "--as", "tbrunet"],
    "reminders": _reminders,
}


def cases() -> list[Path]:
    return sorted(
        p for kind in COMMANDS for p in (CORPUS / kind).glob("*") if p.suffix != ".expected"
    )


# The corpus on PostgreSQL takes minutes: it is marked slow, so `make test` runs it on
# SQLite and `.ci/run` on both (`pytest -m slow`).
BACKENDS = [
    pytest.param("sqlite"),
    pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.slow]),
]


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One database per backend for the whole corpus: nothing may be written to it."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("corpus") / "qms.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(url=f"sqlite:///{path}")
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = server.create(template=server.migrated_template())
        database = Database(url=server.url(name))
    load_example(database)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def loaded(corpus_database: Database) -> Database:
    """The example institution with its indicators, as `make run` leaves it."""
    from datetime import date

    from qms.services.indicators import files, service

    with corpus_database.reading() as session:
        processes, people = service.known_codes(session)
    spec = files.read(INDICATORS, processes, people)
    with corpus_database.unit_of_work() as uow:
        service.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    return corpus_database


def test_the_corpus_covers_every_kind_of_input() -> None:
    found = {kind: len([p for p in cases() if p.parent.name == kind]) for kind in COMMANDS}
    assert all(count > 0 for count in found.values()), found
    for case in cases():
        assert case.with_suffix(".expected").is_file(), f"{case} has no .expected beside it"


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_malformed_file_is_named_and_changes_nothing(
    case: Path,
    loaded: Database,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QMS_DATABASE_URL", loaded.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    before = snapshot(loaded)
    result = run(capsys, *COMMANDS[case.parent.name](case, monkeypatch))
    output = result.out + result.err
    assert "Traceback" not in output, output
    assert result.code == 1, output
    expected = case.with_suffix(".expected").read_text(encoding="utf-8")
    for line in filter(None, (raw.strip() for raw in expected.splitlines())):
        assert line.replace("{file}", str(case)) in result.err, result.err
    assert snapshot(loaded) == before
