"""The one YAML reader (qms.yamldoc): bounded in size and depth, no aliases, dates as text,
and schema errors in the words of the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import Field

from qms import yamldoc
from qms.errors import DefinitionError, Problem
from qms.yamldoc import Document, IsoDate, Limits, Spec

LIMITS = Limits(max_bytes=10_000, max_depth=8)


def messages(tmp_path: Path, text: str | bytes, limits: Limits = LIMITS) -> list[str]:
    path = tmp_path / "file.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    with pytest.raises(DefinitionError) as caught:
        yamldoc.load(path, limits=limits)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    # refused at its first anchor, on line 1: nothing was expanded (no timing asserted here;
    # the commit that added this says how long it takes)
    found = messages(tmp_path, BOMB, Limits())
    assert found == [
        "1: anchor '&a': qms files do not use anchors or aliases (write the value out in full)"
    ]


def test_an_alias_alone_is_refused(tmp_path: Path) -> None:
    assert messages(tmp_path, "a: 1\nb: *x\n") == [
        "2: alias '*x': qms files do not use aliases or anchors (write the value out in full)"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "x: " + "[" * 3000 + "]" * 3000 + "\n",
        "x: " + "{a: " * 3000 + "}" * 3000 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "v: 1\n",
        "x:\n" + "".join("  " * i + "-\n" for i in range(3000)) + "  " * 3000 + "- v\n",
    ],
    ids=["flow lists", "flow mappings", "block mappings", "block lists"],
)
def test_3000_levels_of_nesting_fail_fast_with_the_setting_named(tmp_path: Path, text: str) -> None:
    found = messages(tmp_path, text, Limits(max_bytes=100_000_000))
    assert len(found) == 1
    assert found[0].endswith(
        "nested more than 32 levels deep, the most qms reads (the QMS_YAML_MAX_DEPTH setting)"
    )


def test_nesting_within_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: " + "[" * 7 + "1" + "]" * 7 + "\n", encoding="utf-8")
    assert yamldoc.load(path, limits=LIMITS).data["a"][0][0][0][0][0][0][0] == 1


def test_a_file_larger_than_the_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        yamldoc.load(path, limits=LIMITS)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: the file is larger than 10000 bytes, the most qms reads "
        "(the QMS_YAML_MAX_BYTES setting)"
    ]


def test_the_limits_come_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qms.config import get_settings

    monkeypatch.setenv("QMS_YAML_MAX_BYTES", "10")
    monkeypatch.setenv("QMS_YAML_MAX_DEPTH", "3")
    get_settings.cache_clear()
    try:
        assert yamldoc.current_limits() == Limits(10, 3)
        path = tmp_path / "f.yaml"
        path.write_text("a: 1\nb: 2\nc: 3\n", encoding="utf-8")
        with pytest.raises(DefinitionError, match="larger than 10 bytes"):
            yamldoc.load(path)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("since: 2026-02-30\n", "2026-02-30"),
        ("at: 2026-02-30 10:00:00\n", "2026-02-30 10:00:00"),
        ("on: 2026-03-31\n", "2026-03-31"),
    ],
)
def test_dates_and_timestamps_stay_text(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    data = yamldoc.load(path, limits=LIMITS).data
    assert list(yamldoc.plain(data).values()) == [expected]


class Dated(Spec):
    start_on: IsoDate
    version: int = Field(1, ge=1)


def parsed(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        yamldoc.parse(yamldoc.load(path, limits=LIMITS), Dated)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_a_date_field_reads_a_real_date(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("start_on: 2026-03-31\n", encoding="utf-8")
    assert yamldoc.parse(yamldoc.load(path, limits=LIMITS), Dated).start_on == date(2026, 3, 31)


def test_an_impossible_date_is_a_line_and_a_message(tmp_path: Path) -> None:
    assert parsed(tmp_path, "version: 2\nstart_on: 2026-02-30\n") == [
        "2: start_on: '2026-02-30' is not a day of the calendar"
    ]
    assert parsed(tmp_path, "start_on: next week\n") == [
        "1: start_on: should be a date like 2026-03-31, not the text 'next week'"
    ]


def test_an_impossible_date_in_a_number_field_names_the_field(tmp_path: Path) -> None:
    assert parsed(tmp_path, "start_on: 2026-03-01\nversion: 2026-02-30\n") == [
        "2: version: should be a whole number, not the text '2026-02-30'"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", "1: the file is empty"),
        (b"# only a comment\n", "1: the file is empty"),
        (b"a: 1\nb: caf\xe9\n", "2: not UTF-8 text (byte 0xe9 here): save the file as UTF-8"),
        (b"a: 1\n\tb: 2\n", "2: a tab character: indent with spaces, not tabs"),
        (
            b"a: 1\na: 2\n",
            "2: 'a' is given twice in the same mapping "
            "(a state, transition key or setting may appear only once)",
        ),
        (
            b"a: !!python/object/apply:os.system [true]\n",
            "1: explicit tag '!!python/object/apply:os.system': qms files do not use tags "
            "(remove it; quote a value to make it text)",
        ),
        (
            b"a: 1\n---\nb: 2\n",
            "2: the file holds several YAML documents (---): qms reads one per file",
        ),
        (
            b"a: " + b"9" * 5000 + b"\n",
            "1: cannot read the value 9999999999999999999999999999999999999...",
        ),
    ],
    ids=[
        "empty",
        "comments",
        "latin-1",
        "tab",
        "duplicate key",
        "tag",
        "two documents",
        "huge int",
    ],
)
def test_each_unreadable_file_says_why(tmp_path: Path, text: bytes, expected: str) -> None:
    assert messages(tmp_path, text) == [expected]


def test_a_missing_file_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="file not found"):
        yamldoc.load(tmp_path / "nope.yaml", limits=LIMITS)
    with pytest.raises(DefinitionError, match="is a folder, not a file"):
        yamldoc.load(tmp_path, limits=LIMITS)


# --- messages ---------------------------------------------------------------------------


class Item(Spec):
    code: str = Field(pattern=r"^[A-Z]+$")
    size: float | int = 0
    tags: list[str] = []
    since: str | int | None = None


class Box(Spec):
    items: list[Item] = Field(min_length=1)
    names: dict[str, Item] = {}


yamldoc.describe_pattern(r"^[A-Z]+$", "capital letters like ABC")


def box(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "box.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        yamldoc.parse(yamldoc.load(path, limits=LIMITS), Box)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- a\n- b\n",
            "1: the file should be a mapping of keys (lines like 'key: value'), not a list",
        ),
        ("items: 3\n", "1: items: should be a list, not the number 3"),
        ("items: []\n", "1: items: should list at least 1 item (it is empty)"),
        (
            "items:\n  - code: abc\n",
            "2: items[0].code: should be capital letters like ABC, not the text 'abc'",
        ),
        (
            "items:\n  - {code: A, size: big}\n",
            "2: items[0].size: should be a number, not the text 'big'",
        ),
        (
            "items:\n  - {code: A, since: [1]}\n",
            "2: items[0].since: should be text or a whole number, not a list",
        ),
        (
            "items:\n  - {code: A, tags: [1]}\n",
            "2: items[0].tags[0]: should be text, not the number 1",
        ),
        (
            "items:\n  - {code: A, tags: x}\n",
            "2: items[0].tags: should be a list, not the text 'x'",
        ),
        ("items:\n  - {size: 1}\n", "2: missing key 'code' in items[0]"),
        (
            "items:\n  - {code: A, cod: B}\n",
            "2: unknown key 'items[0].cod' (did you mean 'code'? known keys here: code, size, "
            "tags, since)",
        ),
        (
            "items: [{code: A}]\nnames: {x: 3}\n",
            "2: names.x: should be a mapping of keys, not the number 3",
        ),
    ],
)
def test_schema_errors_speak_the_words_of_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    found = box(tmp_path, text)
    assert found == [expected]
    assert not any(m.split(": ", 1)[1].startswith(":") for m in found)
    for word in ("Spec", "float", "int]", "dictionary", "instance of", "Input should"):
        assert word not in found[0]


def check_codes(doc: Document, spec: Box) -> list[Problem]:
    return [
        doc.problem(("items", i, "code"), f"code '{item.code}' is reserved")
        for i, item in enumerate(spec.items)
        if item.code == "BAD"
    ]


def test_schema_and_meaning_are_reported_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "box.yaml"
    path.write_text(
        "items:\n  - {code: A, size: big}\n  - {code: BAD}\n  - {code: B, tags: 3}\n"
        "  - {code: BAD}\n",
        encoding="utf-8",
    )
    doc = yamldoc.load(path, limits=LIMITS)
    with pytest.raises(DefinitionError) as caught:
        yamldoc.parse_checked(doc, Box, check_codes)
    assert [f"{p.line}: {p.message}" for p in caught.value.problems] == [
        "2: items[0].size: should be a number, not the text 'big'",
        "3: code 'BAD' is reserved",
        "4: items[2].tags: should be a list, not the number 3",
        "5: code 'BAD' is reserved",
    ]


# --- the commands -----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_processmap_load_far_ahead_asks_for_force(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.cli import run

    result = run(
        capsys,
        "processmap",
        "load",
        str(ROOT / "workflows" / "process-map.yaml"),
        "--as-of",
        "9999-12-31",
    )
    assert result.code == 2 and "Traceback" not in result.err
    assert "9999-12-31 is more than a year after today" in result.err
    assert "give --force" in result.err


def test_indicator_check_says_what_it_could_not_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli import run

    alone = tmp_path / "indicators.yaml"
    alone.write_bytes((ROOT / "workflows" / "indicators.yaml").read_bytes())
    result = run(capsys, "indicator", "check", str(alone))
    assert result.code == 0
    assert "processes and owners not checked: no process map beside it" in result.out
    beside = run(capsys, "indicator", "check", str(ROOT / "workflows" / "indicators.yaml"))
    assert "processes and owners checked against" in beside.out
