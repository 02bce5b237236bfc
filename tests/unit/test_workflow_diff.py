"""qms workflow diff: what changed between two versions of a definition."""

from __future__ import annotations

from typing import Any

from qms.workflow.definition import WorkflowDefinition, load_definition
from qms.workflow.diff import diff
from tests.factories import ROOT


def _edited(change: Any) -> tuple[WorkflowDefinition, WorkflowDefinition]:
    old = load_definition(ROOT / "workflows" / "nonconformity.workflow.yaml")
    data = old.to_dict()
    change(data)
    return old, WorkflowDefinition.from_dict(data, "edited")


def test_same_definition_has_no_difference() -> None:
    old, new = _edited(lambda data: None)
    assert diff(old, new) == []


def test_added_state_and_transition() -> None:
    def change(data: dict[str, Any]) -> None:
        data["version"] = 3
        data["states"].append(
            {"name": "on_hold", "label": "On hold", "terminal": False, "requires": []}
        )
        data["transitions"].append(
            {
                "trigger": "hold",
                "label": "Hold",
                "from": ["detected"],
                "to": "on_hold",
                "roles": ["quality_manager"],
                "guards": [],
                "inputs": [],
            }
        )

    old, new = _edited(change)
    assert diff(old, new) == [
        "~ version: 2 -> 3",
        "+ state 'on_hold' (On hold)",
        "+ transition 'hold' (detected -> on_hold)",
    ]


def test_changed_requirements_guards_and_removed_transition() -> None:
    def change(data: dict[str, Any]) -> None:
        for state in data["states"]:
            if state["name"] == "contained":
                state["requires"] = ["containment", "consequences"]
        for transition in data["transitions"]:
            if transition["trigger"] == "analyse":
                transition["guards"] = []
        data["transitions"] = [t for t in data["transitions"] if t["trigger"] != "reanalyse"]

    old, new = _edited(change)
    assert diff(old, new) == [
        "~ state 'contained' requires: [containment] -> [containment, consequences]",
        "- transition 'reanalyse' (effectiveness_verified -> analysed)",
        "~ transition 'analyse' (contained -> analysed) guards: [root_cause_recorded] -> []",
    ]
