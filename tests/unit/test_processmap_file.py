"""The process map file: the shipped one is valid; each mistake gets one line with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qms.errors import DefinitionError
from qms.services.processmap import files as processmap_file

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
organisation: {code: TST, name: Test school}
people:
  - {id: alice, name: Alice Martin, email: alice@test.example}
  - {id: bob, name: Bob Petit, email: bob@test.example}
roles:
  directors: [alice]
  quality_managers: [bob]
  auditors: [bob]
macro_processes:
  - code: TRN
    name: Training
    processes:
      - code: TRN-01
        name: Initial training
        pilot: alice
        correspondents: [bob]
      - code: TRN-02
        name: Apprenticeship
        pilot: bob
        interfaces: [TRN-01]
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        processmap_file.read(path)
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in caught.value.problems]


def test_shipped_process_map_has_five_macro_processes_each_with_processes() -> None:
    spec = processmap_file.read(ROOT / "workflows" / "process-map.yaml")
    names = [m.name for m in spec.macro_processes]
    assert names == [
        "Steering the school",
        "Training",
        "Research",
        "Economic development",
        "Resources",
    ]
    assert all(len(m.processes) >= 2 for m in spec.macro_processes)
    assert spec.roles.directors and spec.roles.quality_managers and spec.roles.auditors


def test_valid_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(VALID)
    spec = processmap_file.read(path)
    assert [p.code for p in spec.macro_processes[0].processes] == ["TRN-01", "TRN-02"]


def test_unknown_pilot_names_process_and_line(tmp_path: Path) -> None:
    text = VALID.replace("pilot: bob", "pilot: jdoe")
    assert problems(tmp_path, text) == ["map.yaml:19: process 'TRN-02' names unknown pilot 'jdoe'"]


def test_unknown_correspondent_and_director(tmp_path: Path) -> None:
    text = VALID.replace("correspondents: [bob]", "correspondents: [zed]").replace(
        "directors: [alice]", "directors: [ghost]"
    )
    assert problems(tmp_path, text) == [
        "map.yaml:6: roles.directors names unknown person 'ghost'",
        "map.yaml:16: process 'TRN-01' names unknown correspondent 'zed'",
    ]


def test_duplicate_process_code_points_at_the_first(tmp_path: Path) -> None:
    text = VALID.replace("code: TRN-02", "code: TRN-01")
    assert problems(tmp_path, text) == [
        "map.yaml:17: duplicate process 'TRN-01' (first at line 13)",
        "map.yaml:20: process 'TRN-01' names itself as an interface",
    ]


def test_missing_name(tmp_path: Path) -> None:
    text = VALID.replace("        name: Apprenticeship\n", "")
    assert problems(tmp_path, text) == [
        "map.yaml:17: missing key 'name' in macro_processes[0].processes[1]"
    ]


def test_bad_yaml_gives_its_line(tmp_path: Path) -> None:
    text = VALID.replace("name: Initial training", "name: [Initial training")
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert found[0].startswith("map.yaml:1") and "bad YAML" in found[0]


def test_unknown_key_is_reported(tmp_path: Path) -> None:
    text = VALID.replace("pilot: alice", "pilot: alice\n        pilote: alice")
    assert problems(tmp_path, text) == [
        "map.yaml:16: unknown key 'macro_processes[0].processes[0].pilote' (did you mean "
        "'pilot'? known keys here: code, name, purpose, pilot, correspondents, contributors, "
        "inputs, outputs, interfaces, resources, risks)"
    ]


def test_unknown_interface_and_duplicate_person_and_bad_email(tmp_path: Path) -> None:
    text = VALID.replace("interfaces: [TRN-01]", "interfaces: [RES-09]").replace(
        "{id: bob, name: Bob Petit, email: bob@test.example}",
        "{id: alice, name: Bob Petit, email: not-an-address}",
    )
    assert problems(tmp_path, text) == [
        "map.yaml:4: duplicate person 'alice' (first at line 3)",
        "map.yaml:4: person 'alice' has an invalid e-mail address 'not-an-address'",
        "map.yaml:7: roles.quality_managers names unknown person 'bob'",
        "map.yaml:8: roles.auditors names unknown person 'bob'",
        "map.yaml:16: process 'TRN-01' names unknown correspondent 'bob'",
        "map.yaml:19: process 'TRN-02' names unknown pilot 'bob'",
        "map.yaml:20: process 'TRN-02' names unknown interface process 'RES-09'",
    ]


def test_inactive_pilot_is_refused_citing_the_clause(tmp_path: Path) -> None:
    text = VALID.replace("email: bob@test.example}", "email: bob@test.example, active: false}")
    assert problems(tmp_path, text) == [
        "map.yaml:19: process 'TRN-02' names inactive person 'bob' as pilot "
        "(clause 4.4 e: every process needs a pilot in post)"
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="file not found"):
        processmap_file.read(tmp_path / "nope.yaml")


def test_empty_file(tmp_path: Path) -> None:
    assert problems(tmp_path, "# nothing\n") == ["map.yaml:1: the file is empty"]


def test_missing_file_is_named_without_a_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        processmap_file.read(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: file not found"
