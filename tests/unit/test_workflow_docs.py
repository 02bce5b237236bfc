"""docs/workflows.md and the diagrams are generated from the shipped definitions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qms.workflow.definition import WorkflowDefinition, load_all
from qms.workflow.diagram import docs_markdown, mermaid

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_all(ROOT / "workflows")


def test_committed_docs_match_the_workflow_files() -> None:
    committed = (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
    assert committed == docs_markdown(SHIPPED), (
        "docs/workflows.md is stale: run make docs and commit the result"
    )


def test_docs_do_not_depend_on_where_the_files_were_read_from(tmp_path: Path) -> None:
    name = "process-review.workflow.yaml"
    (tmp_path / name).write_text((ROOT / "workflows" / name).read_text(encoding="utf-8"))
    copied = load_all(tmp_path)
    assert docs_markdown(copied) == docs_markdown({"process_review": SHIPPED["process_review"]})


def test_docs_have_a_section_a_diagram_and_two_tables_per_workflow() -> None:
    page = docs_markdown(SHIPPED)
    for definition in SHIPPED.values():
        assert f"\n## {definition.label}\n" in page
    assert page.count("```mermaid\nstateDiagram-v2\n") == len(SHIPPED)
    assert page.count("### States") == page.count("### Transitions") == len(SHIPPED)


def test_docs_explain_every_key_of_the_file_format() -> None:
    page = docs_markdown(SHIPPED)
    for key in (
        "workflow",
        "version",
        "record_kind",
        "initial",
        "fields",
        "states",
        "transitions",
        "terminal",
        "requires",
        "guards",
        "inputs",
        "roles",
    ):
        assert f"`{key}" in page, key
    assert "qms workflow check" in page


@pytest.mark.parametrize("definition", SHIPPED.values(), ids=SHIPPED.keys())
def test_diagram_shows_every_state_and_trigger(definition: WorkflowDefinition) -> None:
    diagram = mermaid(definition)
    assert diagram.startswith("stateDiagram-v2\n")
    for name in definition.states:
        assert re.search(rf"^    {name} : ", diagram, re.MULTILINE), name
    for transition in definition.transitions:
        for source in transition.sources:
            assert f"    {source} --> {transition.dest} : {transition.trigger} (" in diagram


@pytest.mark.parametrize("definition", SHIPPED.values(), ids=SHIPPED.keys())
def test_diagram_starts_at_the_initial_state_and_ends_at_the_terminal_ones(
    definition: WorkflowDefinition,
) -> None:
    lines = mermaid(definition).splitlines()
    assert f"    [*] --> {definition.initial}" in lines
    ends = {line.split(" --> ")[0].strip() for line in lines if line.endswith("--> [*]")}
    assert ends == {s.name for s in definition.states.values() if s.terminal}


def test_diagram_labels_a_transition_with_its_roles() -> None:
    diagram = mermaid(SHIPPED["nonconformity"])
    assert "    contained --> analysed : analyse (correspondent, pilot)\n" in diagram
