"""Where each state and each step of a workflow's state diagram goes (drawn by ``diagrams``).

Columns: a state's distance from the initial state along the longest path without a step
back (a step back is one to a state the walk from the initial state is still inside).
Rows: the main path on top, the other states below, each in the first free row next to
the row of what leads to it.  Straight steps join neighbours of one row through an empty
gap, labelled in it; the others run on tracks in the channels between rows, the tracks
of a channel allotted so that no two labels or runs overlap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from qms.reporting.chart_text import BOLD, text_width
from qms.reporting.diagrams_routes import (
    MARGIN,
    STEP_FONT,
    Channeled,
    Geometry,
    Route,
    Straight,
    ports,
    route_label_width,
    routed,
    step_lines,
    straights,
    tracks,
    wrap,
)
from qms.workflow.definition import TransitionDef, WorkflowDefinition

__all__ = ["Layout", "Placed", "Route", "Straight", "lay_out", "ranks"]

STATE_FONT = 13.0
BOLD_FONT = STATE_FONT * BOLD  # the states' labels are set bold: measured that much wider
BOX_PAD, BOX_MIN, BOX_MAX = 8.0, 96.0, 168.0
LINE = STATE_FONT * 1.25
GUTTER_MIN, GUTTER_PAD = 44.0, 12.0
START_ROOM = 36.0  # left of the first column: the start dot and its arrow
FIT = 1080.0  # the width a page of 1280 px gives the diagram: wider, it is scaled down


@dataclass(frozen=True)
class Placed:
    name: str
    label: str
    lines: tuple[str, ...]
    rank: int
    row: int
    x: float
    y: float
    w: float
    h: float
    initial: bool
    terminal: bool
    font: float = STATE_FONT


@dataclass(frozen=True)
class Layout:
    boxes: tuple[Placed, ...]
    straights: tuple[Straight, ...]
    routes: tuple[Route, ...]
    width: float
    height: float
    margin: float = MARGIN


def ranks(defn: WorkflowDefinition) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Each state's column, and the steps back (source, dest) left out of the ranking."""
    out: dict[str, list[str]] = defaultdict(list)
    for t in defn.transitions:
        for source in t.sources:
            if source != t.dest and t.dest not in out[source]:
                out[source].append(t.dest)
    back: set[tuple[str, str]] = set()
    order: list[str] = []
    inside: set[str] = set()

    def visit(state: str) -> None:
        inside.add(state)
        for dest in out[state]:
            if dest in inside:
                back.add((state, dest))
            elif dest not in order:
                visit(dest)
        inside.discard(state)
        order.append(state)

    visit(defn.initial)
    rank = dict.fromkeys(defn.states, 0)
    for state in reversed(order):
        for dest in out[state]:
            if (state, dest) not in back:
                rank[dest] = max(rank[dest], rank[state] + 1)
    return rank, back


def _spine(defn: WorkflowDefinition, rank: dict[str, int]) -> list[str]:
    """The main path: each time the first forward step to a state that goes on, else to an
    end state."""
    path = [defn.initial]
    while not defn.states[path[-1]].terminal:
        ahead = [
            t.dest
            for t in defn.transitions_from(path[-1])
            if rank[t.dest] > rank[path[-1]] and t.dest not in path
        ]
        ahead.sort(key=lambda s: defn.states[s].terminal)  # stable: file order otherwise
        if not ahead:
            break
        path.append(ahead[0])
    return path


def _rows(defn: WorkflowDefinition, rank: dict[str, int]) -> dict[str, int]:
    spine = _spine(defn, rank)
    row = dict.fromkeys(spine, 0)
    taken = {(rank[s], 0) for s in spine}
    before = {s: [src for t in defn.transitions if t.dest == s for src in t.sources] for s in rank}
    for state in sorted((s for s in defn.states if s not in row), key=lambda s: rank[s]):
        near = sorted({row[p] for p in before[state] if row.get(p, 0) > 0})
        wanted = [*near, *range(1, len(defn.states) + 1)]
        row[state] = next(r for r in wanted if (rank[state], r) not in taken)
        taken.add((rank[state], row[state]))
    return row


def lay_out(defn: WorkflowDefinition) -> Layout:
    """Boxes of two lines; of three where that is narrower and two would not fit ``FIT``
    (the less a diagram is scaled down, the larger its text reads)."""
    found = _lay_out(defn, 2)
    if found.width > FIT:
        return min(found, _lay_out(defn, 3), key=lambda layout: layout.width)
    return found


def _lay_out(defn: WorkflowDefinition, most_lines: int) -> Layout:
    rank, back = ranks(defn)
    row = _rows(defn, rank)
    width = _box_width(defn, most_lines)
    lines = {s.name: wrap(s.label, width - 2 * BOX_PAD, BOLD_FONT) for s in defn.states.values()}
    height = max(len(v) for v in lines.values()) * LINE + 2 * BOX_PAD
    straight, routes = _classify(defn, rank, row, back)
    gutters = _gutters(max(rank.values()), straight, rank)
    column = [START_ROOM + sum(width + g for g in gutters[:k]) for k in range(len(gutters) + 1)]
    geometry = Geometry(rank, row, column, width, height)
    ports(routes, geometry)
    heights = tracks(routes, max(row.values()) + 2)
    geometry.place_rows(heights)
    boxes = tuple(
        Placed(s.name, s.label, lines[s.name], rank[s.name], row[s.name],
               *geometry.corner(s.name), width, height,
               s.name == defn.initial, s.terminal)
        for s in defn.states.values()
    )  # fmt: skip
    drawn = tuple(routed(r, geometry, heights) for r in routes)
    arrows = tuple(a for key, ts in straight.items() for a in straights(key, ts, geometry))
    right = max([column[-1] + width, *(r.label_x + route_label_width(r) / 2 for r in drawn)])
    return Layout(boxes, arrows, drawn, right + MARGIN, geometry.bottom + MARGIN)


def _classify(
    defn: WorkflowDefinition,
    rank: dict[str, int],
    row: dict[str, int],
    back: set[tuple[str, str]],
) -> tuple[dict[tuple[str, str], list[TransitionDef]], list[Channeled]]:
    """Straight arrows (forward in a row, nothing in between) by their two states; the
    other steps by trigger, destination and channel, their sources together."""
    slots = {(rank[s], row[s]) for s in defn.states}
    straight: dict[tuple[str, str], list[TransitionDef]] = defaultdict(list)
    channeled: dict[tuple[str, str, int], Channeled] = {}
    for t in defn.transitions:
        for source in t.sources:
            same = row[source] == row[t.dest] and source != t.dest
            ahead = rank[t.dest] > rank[source]
            between = range(rank[source] + 1, rank[t.dest])
            if same and ahead and all((k, row[source]) not in slots for k in between):
                straight[(source, t.dest)].append(t)
                continue
            channel = _channel(row[source], row[t.dest], not ahead, same)
            is_back = (source, t.dest) in back or (same and not ahead)
            found = channeled.setdefault(
                (t.trigger, t.dest, channel), Channeled(t, t.dest, channel, is_back)
            )
            found.sources.append(source)
    return straight, list(channeled.values())


def _box_width(defn: WorkflowDefinition, most_lines: int) -> float:
    """The narrowest width that sets every state's label in ``most_lines`` lines (else
    three, else the widest allowed), and never narrower than its longest word."""
    labels = [s.label for s in defn.states.values()]
    widest = max(text_width(w, BOLD_FONT) for label in labels for w in label.split())
    floor = min(max(widest + 2 * BOX_PAD, BOX_MIN), BOX_MAX)
    widths = [floor + 4 * k for k in range(int((BOX_MAX - floor) / 4) + 1)]
    for most in (most_lines, 3):
        for width in widths:
            if all(len(wrap(label, width - 2 * BOX_PAD, BOLD_FONT)) <= most for label in labels):
                return width
    return BOX_MAX


def _channel(source_row: int, dest_row: int, backwards: bool, same: bool) -> int:
    """Channel c runs above row c: a step back goes over its row, one forward under it."""
    if same or source_row == dest_row:
        return source_row if backwards else source_row + 1
    if abs(source_row - dest_row) == 1:
        return max(source_row, dest_row)
    return dest_row if source_row < dest_row else dest_row + 1


def _gutters(
    last: int, straight: dict[tuple[str, str], list[TransitionDef]], rank: dict[str, int]
) -> list[float]:
    gutters = [GUTTER_MIN] * last
    for (source, dest), transitions in straight.items():
        if rank[dest] - rank[source] == 1:
            for t in transitions:
                room = max(text_width(w, STEP_FONT) for w in step_lines(t)) + GUTTER_PAD
                gutters[rank[source]] = max(gutters[rank[source]], room)
    return gutters
