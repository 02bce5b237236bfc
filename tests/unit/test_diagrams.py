"""The workflows' state diagrams: SVG drawn from the definition alone, every state and step
named in it, laid out left to right from the initial state, and safe to inline under the
web's Content-Security-Policy (no style, every text escaped)."""

from __future__ import annotations

from itertools import combinations
from xml.etree import ElementTree

import pytest

from qms.reporting.diagrams import workflow_svg
from qms.reporting.diagrams_layout import FIT, Placed, lay_out, ranks
from qms.workflow.definition import StateDef, TransitionDef, WorkflowDefinition, load_all
from tests.factories import ROOT

SHIPPED = load_all(ROOT / "workflows")
SVG = "{http://www.w3.org/2000/svg}"


def _parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own SVG, not outside input


def _texts(root: ElementTree.Element) -> str:
    return " ".join("".join(e.itertext()) for e in root.iter())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_workflow_names_every_state_and_every_step(name: str) -> None:
    definition = SHIPPED[name]
    svg = workflow_svg(definition)
    words = _texts(_parsed(svg))
    for state in definition.states.values():
        assert state.label in words, state.name
    for transition in definition.transitions:
        assert transition.label in words, transition.trigger
        shown = transition.trigger.replace("_", " ")
        assert shown.lower() in words.lower(), transition.trigger


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_diagram_has_no_style_the_page_policy_would_block(name: str) -> None:
    svg = workflow_svg(SHIPPED[name])
    root = _parsed(svg)
    assert "style" not in svg
    assert not any("style" in element.attrib for element in root.iter())
    assert root.tag == f"{SVG}svg" and root.get("viewBox") and root.get("role") == "img"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_same_definition_draws_the_same_bytes(name: str) -> None:
    assert workflow_svg(SHIPPED[name]) == workflow_svg(SHIPPED[name])


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_diagram_reads_at_1280_px(name: str) -> None:
    """Scaled to the page's width at 1280 px, its text stays at least 85 % of its size."""
    assert FIT / lay_out(SHIPPED[name]).width >= 0.85


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_states_run_left_to_right_from_the_initial_state_and_never_overlap(name: str) -> None:
    definition = SHIPPED[name]
    layout = lay_out(definition)
    boxes = {box.name: box for box in layout.boxes}
    start = boxes[definition.initial]
    assert start.initial and start.rank == 0 and start.row == 0
    assert all(box.x >= start.x for box in layout.boxes)
    for a, b in combinations(layout.boxes, 2):
        assert not _overlap(a, b), (a.name, b.name)
        if a.rank < b.rank:
            assert a.x + a.w < b.x
    rank, back = ranks(definition)
    for transition in definition.transitions:
        for source in transition.sources:
            if (source, transition.dest) not in back and source != transition.dest:
                assert rank[source] < rank[transition.dest]


def _overlap(a: Placed, b: Placed) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_the_nonconformity_reads_as_its_story() -> None:
    """The main path on one row, the ends at the right, a step back over the top (dashed),
    the cancellation from every state gathered on one track into its end state."""
    definition = SHIPPED["nonconformity"]
    layout = lay_out(definition)
    boxes = {box.name: box for box in layout.boxes}
    main = ["detected", "contained", "analysed", "action_planned", "implemented"]
    main += ["effectiveness_verified", "closed"]
    assert [boxes[s].rank for s in main] == list(range(7)) and {boxes[s].row for s in main} == {0}
    assert boxes["cancelled"].rank == 6 and boxes["cancelled"].row == 1
    assert boxes["closed"].terminal and boxes["cancelled"].terminal
    (reanalyse,) = [r for r in layout.routes if "Reanalyse" in r.lines]
    assert reanalyse.back and reanalyse.label_top < boxes["analysed"].y
    (cancel,) = [r for r in layout.routes if "Cancel" in r.lines]
    assert len(cancel.paths) == 6 and not cancel.back
    svg = workflow_svg(definition)
    assert svg.count('stroke-dasharray="5 4"') == 2  # the step back, and its legend


def test_an_end_state_has_a_double_border_and_the_start_a_dot() -> None:
    root = _parsed(workflow_svg(SHIPPED["process_review"]))
    groups = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}rect") is not None]
    closed = next(g for g in groups if "Closed" in "".join(g.itertext()))
    planned = next(g for g in groups if "Planned" in "".join(g.itertext()))
    assert len(closed.findall(f"{SVG}rect")) == 2 and len(planned.findall(f"{SVG}rect")) == 1
    assert root.find(f"{SVG}circle") is not None


def _definition(
    states: dict[str, StateDef],
    steps: list[tuple[str, tuple[str, ...], str]],
    label: str = "Sample",
) -> WorkflowDefinition:
    return WorkflowDefinition(
        name="sample",
        version=1,
        record_kind="improvement_action",
        label=label,
        description="A sample",
        initial=next(iter(states)),
        fields=(),
        states=states,
        transitions=tuple(
            TransitionDef(trigger, f"{trigger} label", sources, dest, frozenset({"pilot"}), (), ())
            for trigger, sources, dest in steps
        ),
        source="sample.workflow.yaml",
    )


def _states(*names: str, ends: tuple[str, ...] = ()) -> dict[str, StateDef]:
    return {n: StateDef(n, n.title(), n in ends, ()) for n in names}


def test_every_text_of_the_definition_is_escaped() -> None:
    hostile = '<script>alert(1)</script> "onmouseover="x'
    states = {
        "a": StateDef("a", hostile, False, ()),
        "b": StateDef("b", "Done & dusted", True, ()),
    }
    definition = _definition(states, [("go", ("a",), "b")], label=hostile)
    svg = workflow_svg(definition)
    assert "<script>" not in svg and '"onmouseover="' not in svg
    assert "&lt;script&gt;" in svg and "Done &amp; dusted" in svg
    _parsed(svg)  # still well-formed


def test_loops_skips_and_steps_back_are_all_drawn() -> None:
    """A step that stays in its state, one that jumps two rows down, and one back."""
    definition = _definition(
        _states("draft", "review", "side", "low", "done", ends=("done",)),
        [
            ("comment", ("review",), "review"),
            ("submit", ("draft",), "review"),
            ("aside", ("draft",), "side"),
            ("park", ("draft",), "low"),
            ("drop", ("side",), "low"),
            ("skip", ("side",), "done"),
            ("approve", ("review",), "done"),
            ("rework", ("review", "done"), "draft"),
        ],
    )
    layout = lay_out(definition)
    svg = workflow_svg(definition)
    words = _texts(_parsed(svg))
    for trigger in ("Comment", "Submit", "Aside", "Park", "Drop", "Skip", "Approve", "Rework"):
        assert trigger in words
    (loop,) = [r for r in layout.routes if r.lines == ("Comment",)]
    assert not loop.back and len(loop.paths) == 1
    (rework,) = [r for r in layout.routes if r.lines == ("Rework",)]
    assert rework.back and len(rework.paths) == 2
    assert layout.width > 0 and layout.height > 0
