"""The shipped workflow definitions: each is valid, and a definition keeps its identity
(content hash) through its stored form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qms.workflow.definition import (
    InputType,
    WorkflowDefinition,
    check_paths,
    load_all,
    load_definition,
)
from qms.workflow.kinds import RecordKind

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"


@pytest.fixture(scope="module")
def shipped() -> dict[str, WorkflowDefinition]:
    return load_all(WORKFLOWS)


def test_one_shipped_workflow_per_record_kind(shipped: dict[str, WorkflowDefinition]) -> None:
    assert sorted(d.record_kind for d in shipped.values()) == sorted(k.value for k in RecordKind)


def test_the_shipped_folder_has_no_problems() -> None:
    assert check_paths([WORKFLOWS]) == []


def test_nonconformity_closes_only_with_a_confirmed_effectiveness_result(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    nc = shipped["nonconformity"]
    close = nc.transition("effectiveness_verified", "close")
    assert close is not None
    assert close.guards == ("effectiveness_confirmed",)
    assert nc.states["closed"].requires == ("effectiveness_result",)
    assert nc.transition("implemented", "close") is None


def test_nonconformity_can_be_cancelled_from_every_open_state(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    nc = shipped["nonconformity"]
    for state in nc.states.values():
        cancel = nc.transition(state.name, "cancel")
        assert (cancel is None) == state.terminal, state.name


def test_internal_audit_plan_needs_scope_criteria_and_team(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    issue = shipped["internal_audit"].transition("planned", "issue_plan")
    assert issue is not None
    assert set(issue.guards) == {"scope_and_criteria_set", "audit_team_assigned"}


def test_transitions_from_lists_the_steps_open_in_a_state_in_file_order(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    action = shipped["improvement_action"]
    assert [t.trigger for t in action.transitions_from("proposed")] == ["approve", "reject"]
    assert [t.trigger for t in action.transitions_from("effectiveness_check")] == [
        "close",
        "close_ineffective",
        "reopen",
    ]
    assert action.transitions_from("closed") == []


def test_transition_knows_its_roles_guards_and_inputs(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    close = shipped["improvement_action"].transition("effectiveness_check", "close")
    assert close is not None
    assert close.dest == "closed"
    assert close.roles == frozenset({"pilot", "quality_manager"})
    result = close.inputs[0]
    assert (result.name, result.type, result.required) == (
        "effectiveness_result",
        InputType.CHOICE,
        True,
    )
    assert result.choices == ("effective", "ineffective")


def test_a_trigger_from_the_wrong_state_is_not_a_transition(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    action = shipped["improvement_action"]
    assert action.transition("proposed", "close") is None
    assert action.transition("proposed", "no_such_trigger") is None


def test_states_keep_file_order(shipped: dict[str, WorkflowDefinition]) -> None:
    assert list(shipped["process_review"].states) == [
        "planned",
        "inputs_gathered",
        "held",
        "closed",
    ]


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.workflow.yaml")), ids=lambda p: p.name)
def test_stored_form_rebuilds_the_same_definition(path: Path) -> None:
    definition = load_definition(path)
    stored = json.loads(json.dumps(definition.to_dict()))
    rebuilt = WorkflowDefinition.from_dict(stored, source="stored version")
    assert rebuilt.content_hash == definition.content_hash
    assert rebuilt == definition
    assert rebuilt.source == "stored version"


def test_the_hash_does_not_depend_on_where_the_file_is(tmp_path: Path) -> None:
    original = WORKFLOWS / "process-review.workflow.yaml"
    copy = tmp_path / "copy.workflow.yaml"
    copy.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_definition(copy).content_hash == load_definition(original).content_hash


def test_editing_the_workflow_changes_its_hash(tmp_path: Path) -> None:
    original = WORKFLOWS / "process-review.workflow.yaml"
    text = original.read_text(encoding="utf-8")
    edited = tmp_path / "edited.workflow.yaml"
    edited.write_text(text.replace("roles: [pilot]", "roles: [pilot, correspondent]", 1))
    assert edited.read_text() != text
    assert load_definition(edited).content_hash != load_definition(original).content_hash


def test_comments_and_layout_do_not_change_the_hash(tmp_path: Path) -> None:
    original = WORKFLOWS / "process-review.workflow.yaml"
    reformatted = tmp_path / "reformatted.workflow.yaml"
    reformatted.write_text("# a new comment\n" + original.read_text(encoding="utf-8"))
    assert load_definition(reformatted).content_hash == load_definition(original).content_hash


def test_load_all_keys_definitions_by_workflow_name(
    shipped: dict[str, WorkflowDefinition],
) -> None:
    assert set(shipped) == {
        "audit_finding",
        "audit_programme",
        "improvement_action",
        "internal_audit",
        "management_review",
        "nonconformity",
        "process_review",
    }
    assert all(name == d.name for name, d in shipped.items())
