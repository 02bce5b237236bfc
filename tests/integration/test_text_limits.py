"""Text over its column, or holding a NUL, is refused before the database sees it: the same
clear error on SQLite (which would store it) and PostgreSQL (which would raise a driver
error), and nothing written."""

from __future__ import annotations

import gc
import warnings
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import ValidationError
from qms.models import Nonconformity
from qms.services.capa import nonconformities
from qms.services.capa.nonconformities import NewNonconformity
from tests.cli import run
from tests.factories import load_example, services_for, snapshot

TITLE_LIMIT = Nonconformity.__table__.c.title.type.length
NC = NewNonconformity(
    title="Grades published late", process="TRN-04", source="complaint", reference="CPL-3"
)


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    return services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))  # type: ignore[no-any-return]


def _nc_new(capsys: pytest.CaptureFixture[str], title: str) -> tuple[int, str]:
    result = run(
        capsys,
        "nc",
        "new",
        "--as",
        "ebenoit",
        "--process",
        "TRN-04",
        "--title",
        title,
        "--source",
        "complaint",
        "--reference",
        "Complaint CPL-2026-003",
        "--detected-on",
        "2026-01-06",
    )
    # The command's own engine is not disposed when it exits: on PostgreSQL its connection
    # is closed by the garbage collector, here rather than in whichever test runs next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return result.code, result.out + result.err


def test_nc_new_with_a_600_character_title_is_refused_and_writes_nothing(
    app: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    before = snapshot(app.database)
    code, output = _nc_new(capsys, "t" * 600)
    assert code == 1, output
    assert "Traceback" not in output
    assert f"title: 600 characters, at most {TITLE_LIMIT}" in output
    assert snapshot(app.database) == before


def test_nc_new_with_a_title_of_the_column_s_length_is_stored_whole(
    app: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    code, output = _nc_new(capsys, "t" * TITLE_LIMIT)
    assert code == 0, output
    with app.database.reading() as session:
        [stored] = session.query(Nonconformity).all()
        assert stored.title == "t" * TITLE_LIMIT


def test_nc_new_with_a_nul_in_its_title_is_refused(
    app: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    before = snapshot(app.database)
    code, output = _nc_new(capsys, "Grades late\0")
    assert code == 1, output
    assert "Traceback" not in output
    assert "title: contains a control character (U+0000) at position 12" in output
    assert snapshot(app.database) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"description": "a\0b"}, r"^description: contains a control character \(U\+0000\)"),
        ({"process": "TRN-04\0"}, r"^process: contains a control character \(U\+0000\)"),
        ({"detected_by": "eb\u202eenoit"}, r"^detected_by: contains a bidirectional control"),
    ],
)
def test_other_nonconformity_text_is_checked_before_the_query(
    app: Services, change: dict[str, str], message: str
) -> None:
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=message):
        nonconformities.new(app, "ebenoit", replace(NC, **change))  # type: ignore[arg-type]
    assert snapshot(app.database) == before


def test_a_transition_s_text_input_or_comment_with_a_nul_is_refused(app: Services) -> None:
    nc = nonconformities.new(app, "ebenoit", NC)
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=r"^containment: contains a control character"):
        nonconformities.fire(app, nc.id, "contain", "ebenoit", {"containment": "done\0"})
    with pytest.raises(ValidationError, match=r"^comment: contains a control character"):
        nonconformities.fire(app, nc.id, "contain", "ebenoit", {"containment": "ok"}, "c\0")
    assert snapshot(app.database) == before
    nonconformities.fire(app, nc.id, "contain", "ebenoit", {"containment": "done\n\tby hand"})
