"""Malformed workflow definitions: each mistake is reported with its file, its line and a
message that says what is wrong and what is allowed, and every mistake is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from qms.errors import WorkflowDefinitionError
from qms.workflow.definition import check_paths, load_all, load_definition
from qms.workflow.guards import GUARDS

# The line numbers in the comments are what the expectations below refer to.
VALID = """\
workflow: demo
version: 1
record_kind: nonconformity
label: Demo
description: A small workflow.
initial: open
fields: [title]
states:
  open: {label: Open}
  done: {label: Done, terminal: true, requires: [result]}
transitions:
  - trigger: finish
    label: Finish
    from: open
    to: done
    roles: [pilot]
    guards: [root_cause_recorded]
    inputs:
      - {name: result, type: text}
"""
#  1 workflow   6 initial   9 open        12 trigger   16 roles
#  2 version    7 fields   10 done        14 from      17 guards
#  3 record_kind 8 states  11 transitions 15 to        19 first input

REOPEN = """\
  - trigger: reopen
    label: Reopen
    from: done
    to: open
    roles: [pilot]
"""  # appended: lines 20-24, its from: on line 22

KNOWN_GUARDS = ", ".join(sorted(GUARDS))  # the message lists every guard qms knows
STATE_KEYS = "label, terminal, requires, editable"
KNOWN_ROLES = (
    "auditor, contributor, correspondent, director, lead_auditor, owner, pilot, quality_manager"
)


def edit(*changes: tuple[str, str], append: str = "") -> str:
    text = VALID
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text + append


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "demo.workflow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_definition(path)
    assert all(p.file == str(path) for p in caught.value.problems)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


CASES = {
    "missing key": (
        edit(("version: 1\n", "")),
        ["1: missing key 'version'"],
    ),
    "unknown key in a state": (
        edit(("open: {label: Open}", "open: {label: Open, colour: red}")),
        [f"9: unknown key 'states.open.colour' (known keys here: {STATE_KEYS})"],
    ),
    "version not a number": (
        edit(("version: 1", "version: one")),
        ["2: version: should be a whole number, not the text 'one'"],
    ),
    "version below 1": (
        edit(("version: 1", "version: 0")),
        ["2: version: should be 1 or more, not the number 0"],
    ),
    "missing key in a transition": (
        edit(("    to: done\n", "")),
        ["12: missing key 'to' in transitions[0]"],
    ),
    "unknown input type": (
        edit(("type: text}", "type: txt}")),
        [
            "19: transitions[0].inputs[0].type: should be one of 'text', 'date', 'bool', "
            "'int', 'choice' or 'person', not the text 'txt'"
        ],
    ),
    "no roles": (
        edit(("roles: [pilot]", "roles: []")),
        ["16: transitions[0].roles: should list at least 1 item (it is empty)"],
    ),
    "duplicate state": (
        edit(("  done: {label", "  open: {label: Again}\n  done: {label")),
        [
            "10: 'open' is given twice in the same mapping "
            "(a state, transition key or setting may appear only once)"
        ],
    ),
    "unknown record kind": (
        edit(("record_kind: nonconformity", "record_kind: complaint")),
        [
            "3: unknown record_kind 'complaint' (known: audit_finding, audit_programme, "
            "improvement_action, internal_audit, management_review, nonconformity, "
            "process_review)"
        ],
    ),
    "workflow name not lower_snake": (
        edit(("workflow: demo", "workflow: Demo-Flow")),
        [
            "1: workflow name 'Demo-Flow' must be lower_snake_case "
            "(a lowercase letter, then lowercase letters, digits or '_')"
        ],
    ),
    "initial state not declared": (
        edit(("initial: open", "initial: start")),
        ["6: initial state 'start' is not declared under states (declared: open, done)"],
    ),
    "transition from an unknown state": (
        edit(("from: open", "from: [open, shut]")),
        ["14: transition 'finish' starts from unknown state 'shut' (declared: open, done)"],
    ),
    "transition to an unknown state": (
        edit(("to: done", "to: finished")),
        [
            "10: state 'done' cannot be reached from the initial state 'open' "
            "(no chain of transitions leads to it)",
            "15: transition 'finish' goes to unknown state 'finished' (declared: open, done)",
        ],
    ),
    "same trigger twice from one state": (
        edit(append=REOPEN.replace("reopen", "finish").replace("from: done", "from: open")),
        [
            "20: trigger 'finish' is declared twice from state 'open' (first at line 12); "
            "a person firing it could not tell which transition runs"
        ],
    ),
    "unreachable state": (
        edit(("  done: {label", "  limbo: {label: Limbo, terminal: true}\n  done: {label")),
        [
            "10: state 'limbo' cannot be reached from the initial state 'open' "
            "(no chain of transitions leads to it)"
        ],
    ),
    "dead-end state": (
        edit(
            ("  done: {label", "  stuck: {label: Stuck}\n  done: {label"),
            append=REOPEN.replace("reopen", "park")
            .replace("from: done", "from: open")
            .replace("to: open", "to: stuck"),
        ),
        [
            "10: state 'stuck' is a dead end: it is not terminal and no transition leaves it "
            "(add one, or mark it terminal: true)",
        ],
    ),
    "no terminal state": (
        edit(("terminal: true", "terminal: false"), append=REOPEN),
        [
            "8: no state is terminal: a record could never be closed "
            "(mark the final states with terminal: true)"
        ],
    ),
    "transition out of a terminal state": (
        edit(append=REOPEN),
        [
            "22: transition 'reopen' leaves terminal state 'done': a terminal state ends the "
            "record's life (remove terminal: true or the transition)"
        ],
    ),
    "unknown guard": (
        edit(("guards: [root_cause_recorded]", "guards: [root_cause_known]")),
        [
            f"17: transition 'finish' names unknown guard 'root_cause_known' "
            f"(known guards: {KNOWN_GUARDS})"
        ],
    ),
    "unknown role": (
        edit(("roles: [pilot]", "roles: [pilot, auditee]")),
        [f"16: transition 'finish' names unknown role 'auditee' (known roles: {KNOWN_ROLES})"],
    ),
    "required field nobody provides": (
        edit(("requires: [result]", "requires: [outcome]")),
        [
            "10: state 'done' requires field 'outcome', but neither fields: nor any "
            "transition's inputs provide it, so the state could never be entered"
        ],
    ),
    "input asked twice": (
        edit(append="      - {name: result, type: date}\n"),
        ["20: transition 'finish' asks for input 'result' twice (first at line 19)"],
    ),
    "choice input without choices": (
        edit(("{name: result, type: text}", "{name: result, type: choice}")),
        ["19: transition 'finish': choice input 'result' needs a non-empty choices: list"],
    ),
    "choices on an input that is not a choice": (
        edit(("{name: result, type: text}", "{name: result, type: text, choices: [a, b]}")),
        ["19: transition 'finish': input 'result' has choices but its type is text, not choice"],
    ),
    "trigger not lower_snake": (
        edit(("trigger: finish", "trigger: Finish")),
        [
            "12: trigger 'Finish' must be lower_snake_case "
            "(a lowercase letter, then lowercase letters, digits or '_')"
        ],
    ),
}


def test_the_valid_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "demo.workflow.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_definition(path).name == "demo"


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_each_mistake_is_reported_with_its_line(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    assert problems(tmp_path, text) == expected


def test_a_file_with_several_mistakes_reports_them_all_in_line_order(tmp_path: Path) -> None:
    text = edit(
        ("record_kind: nonconformity", "record_kind: complaint"),
        ("initial: open", "initial: start"),
        ("roles: [pilot]", "roles: [pilot, auditee]"),
        ("guards: [root_cause_recorded]", "guards: [root_cause_known]"),
        ("requires: [result]", "requires: [outcome]"),
        ("{name: result, type: text}", "{name: result, type: choice}"),
    )
    found = problems(tmp_path, text)
    assert [line.split(":")[0] for line in found] == ["3", "6", "10", "16", "17", "19"]
    assert "unknown record_kind 'complaint'" in found[0]
    assert "initial state 'start' is not declared" in found[1]
    assert "requires field 'outcome'" in found[2]
    assert "unknown role 'auditee'" in found[3]
    assert "unknown guard 'root_cause_known'" in found[4]
    assert "choice input 'result' needs a non-empty choices" in found[5]


def test_every_schema_mistake_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = edit(("version: 1", "version: one"), ("label: Finish", "label: Finish\n    colour: red"))
    assert problems(tmp_path, text) == [
        "2: version: should be a whole number, not the text 'one'",
        "14: unknown key 'transitions[0].colour' (known keys here: trigger, label, from, to, "
        "roles, guards, inputs, not_by)",
    ]


def test_bad_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, edit(("label: Finish", "label: [Finish")))
    assert len(found) == 1
    assert found[0].startswith("14: bad YAML:")


def test_two_files_with_one_workflow_name_are_both_named(tmp_path: Path) -> None:
    (tmp_path / "a.workflow.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.workflow.yaml").write_text("# a copy\n" + VALID, encoding="utf-8")
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_all(tmp_path)
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("b.workflow.yaml", 2)
    assert problem.message == (
        f"workflow 'demo' is also defined in {tmp_path / 'a.workflow.yaml'}:1; "
        "workflow names must be unique"
    )


def test_load_all_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.workflow.yaml").write_text(edit(("version: 1", "version: 0")))
    (tmp_path / "b.workflow.yaml").write_text(edit(("initial: open", "initial: start")))
    (tmp_path / "notes.yaml").write_text("not: a workflow\n")
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_all(tmp_path)
    assert [(Path(p.file).name, p.line) for p in caught.value.problems] == [
        ("a.workflow.yaml", 2),
        ("b.workflow.yaml", 6),
    ]


def test_check_paths_takes_files_and_folders(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "demo.workflow.yaml").write_text(VALID)
    bad = tmp_path / "bad.workflow.yaml"
    bad.write_text(edit(("to: done", "to: finished")))
    assert check_paths([good]) == []
    assert [p.line for p in check_paths([good, bad])] == [10, 15]


def test_check_paths_says_when_a_folder_holds_no_workflow(tmp_path: Path) -> None:
    [problem] = check_paths([tmp_path])
    assert problem.message == "no workflow definitions (*.workflow.yaml) here"


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    [problem] = check_paths([tmp_path / "gone.workflow.yaml"])
    assert problem.message == "file not found"
