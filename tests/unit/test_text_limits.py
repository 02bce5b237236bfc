"""Text limits come from the models' own columns; control and bidi characters are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from qms.errors import DefinitionError, ValidationError
from qms.models import Indicator, MacroProcess, Nonconformity, Person, Process
from qms.models.text import rule_for
from qms.services import shared
from qms.services.indicators import files as indicators_file
from qms.services.processmap import files as processmap_file

MAP = """organisation: {{code: VAL, name: Valbrune}}
people:
  - {{id: {handle}, name: {name}, email: h.marchal@valbrune.example}}
roles:
  directors: [{handle}]
  quality_managers: [{handle}]
macro_processes:
  - code: STE
    name: Steering
    processes:
      - code: {code}
        name: Strategy
        purpose: {purpose}
        pilot: {handle}
"""


def _map(tmp_path: Path, **change: str) -> Path:
    values = {"handle": "hmarchal", "name": "Hélène Marchal", "code": "STE-01", "purpose": "x"}
    path = tmp_path / "process-map.yaml"
    path.write_text(MAP.format(**{**values, **change}), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        processmap_file.read(path)
    return [str(p) for p in caught.value.problems]


def test_the_rules_read_the_columns_lengths() -> None:
    assert rule_for(Person, "name").length == Person.__table__.c.name.type.length
    assert rule_for(Person, "handle").length == Person.__table__.c.handle.type.length
    assert rule_for(Process, "code").length == Process.__table__.c.code.type.length
    assert rule_for(Nonconformity, "title").length == Nonconformity.__table__.c.title.type.length
    assert rule_for(Indicator, "unit").length == Indicator.__table__.c.unit.type.length
    text = rule_for(Nonconformity, "description")  # a Text column: any length, several lines
    assert text.length is None and text.multiline
    assert rule_for(Person, "name").identifier and not rule_for(Nonconformity, "title").identifier
    with pytest.raises(KeyError):
        rule_for(Person, "nickname")


@pytest.mark.parametrize(
    ("column", "key", "change"),
    [
        ("name", "people[0].name", lambda n: {"name": "N" * n}),
        ("handle", "people[0].id", lambda n: {"handle": "h" * n}),
    ],
)
def test_a_person_one_character_over_the_column_is_refused_at_the_limit_accepted(
    tmp_path: Path, column: str, key: str, change: object
) -> None:
    limit = Person.__table__.c[column].type.length
    assert callable(change)
    problems = _problems(_map(tmp_path, **change(limit + 1)))
    assert any(f"{key}: {limit + 1} characters, at most {limit}" in p for p in problems), problems
    processmap_file.read(_map(tmp_path, **change(limit)))


def test_a_process_code_over_its_column_is_refused_with_file_and_line(tmp_path: Path) -> None:
    limit = Process.__table__.c.code.type.length
    assert MacroProcess.__table__.c.code.type.length == limit
    path = _map(tmp_path, code="STE-" + "0" * (limit - 3))
    with pytest.raises(DefinitionError) as caught:
        processmap_file.read(path)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 11)
    assert problem.message.endswith(f"code: {limit + 1} characters, at most {limit}")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"name": '"Hélène\\0Marchal"'},
            "people[0].name: contains a control character (U+0000) at position 7",
        ),
        ({"name": '"Hélène\\tMarchal"'}, "people[0].name: contains a control character (U+0009)"),
        (
            {"name": '"\\u202EHélène"'},
            "people[0].name: contains a bidirectional control character (U+202E) at position 1",
        ),
        (
            {"code": '"STE-\\u2069"'},
            "processes[0].code: contains a bidirectional control character (U+2069) at position 5",
        ),
        ({"purpose": '"x\\0"'}, "processes[0].purpose: contains a control character (U+0000)"),
    ],
)
def test_refused_characters_are_named_with_their_place(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    problems = _problems(_map(tmp_path, **change))
    assert any(expected in p for p in problems), problems


def test_multi_line_text_keeps_its_tabs_and_newlines(tmp_path: Path) -> None:
    spec = processmap_file.read(_map(tmp_path, purpose='"Set the direction\\n\\tand keep it"'))
    assert spec.macro_processes[0].processes[0].purpose == "Set the direction\n\tand keep it"


def test_an_indicator_unit_over_its_column_is_refused(tmp_path: Path) -> None:
    limit = Indicator.__table__.c.unit.type.length
    path = tmp_path / "indicators.yaml"
    path.write_text(
        "indicators:\n  - code: STE-01-OBJ\n    process: STE-01\n    name: On track\n"
        f"    measures: Share\n    unit: {'u' * (limit + 1)}\n    direction: higher\n"
        "    target: 85\n    alert_threshold: 70\n    frequency: quarterly\n"
        "    data_source: Dashboard\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as caught:
        indicators_file.read(path, {"STE-01"}, set())
    assert [p.message for p in caught.value.problems] == [
        f"indicators[0].unit: {limit + 1} characters, at most {limit}"
    ]


def test_text_for_names_the_field_and_uses_the_column() -> None:
    limit = Nonconformity.__table__.c.title.type.length
    assert shared.text_for(Nonconformity, "title", "  " + "t" * limit + " ") == "t" * limit
    with pytest.raises(ValidationError) as caught:
        shared.text_for(Nonconformity, "title", "t" * 600)
    assert str(caught.value) == f"title: 600 characters, at most {limit}"
    assert caught.value.field == "title"
    with pytest.raises(
        ValidationError,
        match=r"^title: contains a control character \(U\+0000\) "
        r"at position 12$",
    ):
        shared.text_for(Nonconformity, "title", "Grades late\0")
    with pytest.raises(ValidationError, match=r"^title: contains a control character \(U\+000A\)"):
        shared.text_for(Nonconformity, "title", "two\nlines")
    assert shared.text_for(Nonconformity, "description", "two\n\tlines") == "two\n\tlines"
    with pytest.raises(ValidationError, match=r"^description: contains a control character"):
        shared.text_for(Nonconformity, "description", "bell\a")
    with pytest.raises(ValidationError, match=r"invalid character \(U\+DCFF\)"):
        shared.text_for(Nonconformity, "title", "bad byte \udcff")  # undecodable argv byte


def test_required_text_checks_its_column() -> None:
    with pytest.raises(ValidationError, match=r"^title: is required$"):
        shared.required_text("title", "  ", (Nonconformity, "title"))
    with pytest.raises(ValidationError, match=r"^title: 301 characters, at most 300$"):
        shared.required_text("title", "t" * 301, (Nonconformity, "title"))


def test_a_looked_up_handle_with_a_nul_is_refused_before_the_query() -> None:
    with pytest.raises(ValidationError, match=r"^owner: contains a control character \(U\+0000\)"):
        shared.person(None, "hm\0", "owner")  # type: ignore[arg-type] # no session needed
    with pytest.raises(ValidationError, match=r"bidirectional control character \(U\+202E\)"):
        shared.process(None, "TRN\u202e-04")  # type: ignore[arg-type]
