"""How the steps of a state diagram run (laid out by ``diagrams_layout``): straight arrows
between neighbours of a row, and routes along the tracks of the channels between rows.

A route leaves each source by its top or bottom (the side facing its channel), runs along
its track and enters its state the same way; the ends that meet one side of a state are
spread along it in the order of where their other end is, so that they do not cross, and
each route takes the innermost track of its channel where neither its run nor its label
overlaps another's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from qms.reporting.chart_text import text_width
from qms.reporting.words import TERMS, readable
from qms.workflow.definition import TransitionDef

STEP_FONT = 12.0
LABEL_WRAP = 64.0  # a straight arrow's label is wrapped this wide (its words allow)
TRACK, NEAR, FAR, ROW_GAP = 24.0, 16.0, 6.0, 28.0
MARGIN = 12.0

Point = tuple[float, float]


@dataclass(frozen=True)
class Straight:
    """An arrow between neighbours of a row, its label above (or below) it."""

    x1: float
    x2: float
    y: float
    lines: tuple[str, ...]
    label_top: float
    titles: tuple[str, ...]
    font: float = STEP_FONT


@dataclass(frozen=True)
class Route:
    """A step along a track: one path per source, the first ending in the arrow."""

    paths: tuple[tuple[Point, ...], ...]
    lines: tuple[str, ...]
    label_x: float
    label_top: float
    titles: tuple[str, ...]
    back: bool
    font: float = STEP_FONT


@dataclass
class Channeled:
    """One step into one state through one channel, from one or more sources."""

    transition: TransitionDef
    dest: str
    channel: int
    back: bool
    sources: list[str] = field(default_factory=list)
    ports: dict[tuple[str, str], float] = field(default_factory=dict)  # (state, end) -> x
    track: int = 0


def wrap(text: str, room: float, size: float) -> tuple[str, ...]:
    """``text`` in lines no wider than ``room`` where its words allow."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= room:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def title_of(transition: TransitionDef) -> str:
    roles = ", ".join(TERMS["role"].get(r, readable(r)) for r in sorted(transition.roles))
    return f"{readable(transition.trigger)}: {transition.label} ({roles})"


def step_lines(transition: TransitionDef) -> tuple[str, ...]:
    return wrap(readable(transition.trigger), LABEL_WRAP, STEP_FONT)


@dataclass
class Geometry:
    """Where the columns and rows are: the rows' tops once the channels' heights are known."""

    rank: dict[str, int]
    row: dict[str, int]
    column: list[float]
    width: float
    height: float
    tops: list[float] = field(default_factory=list)  # each row's top
    channels: list[float] = field(default_factory=list)  # each channel's top
    bottom: float = 0.0

    def centre(self, state: str) -> float:
        return self.column[self.rank[state]] + self.width / 2

    def corner(self, state: str) -> tuple[float, float]:
        return self.column[self.rank[state]], self.tops[self.row[state]]

    def place_rows(self, heights: list[float]) -> None:
        y = MARGIN
        for index, channel in enumerate(heights):
            self.channels.append(y)
            y += channel
            if index < len(heights) - 1:
                self.tops.append(y)
                y += self.height
        self.bottom = y

    def edge_y(self, state: str, channel: int) -> float:
        """Where a step through ``channel`` leaves or enters the state: its top or bottom."""
        top = self.tops[self.row[state]]
        return top if self.row[state] >= channel else top + self.height


def ports(routes: list[Channeled], geometry: Geometry) -> None:
    """Spread the ends that meet a channel in each column (the bottom of the state above
    it, the top of the one below) across the column, in the order of where their other
    end is, so that they neither cross nor run into each other."""
    ends: dict[tuple[int, int], list[tuple[float, int, str, str, Channeled]]]
    ends = defaultdict(list)
    for index, route in enumerate(routes):
        target = geometry.centre(route.dest)
        sources = [geometry.centre(s) for s in route.sources]
        for source in route.sources:
            other = target - 0.1 if source == route.dest else target
            key = (geometry.rank[source], route.channel)
            ends[key].append((other, index, source, "out:" + source, route))
        other = sum(sources) / len(sources) + (0.1 if route.dest in route.sources else 0)
        ends[(geometry.rank[route.dest], route.channel)].append(
            (other, index, route.dest, "in", route)
        )
    for (rank, _), found in ends.items():
        found.sort(key=lambda end: (end[0], end[1]))
        left = geometry.column[rank]
        for i, (_, _, state, end, route) in enumerate(found):
            route.ports[(state, end)] = left + geometry.width * (i + 1) / (len(found) + 1)


def _xs(route: Channeled) -> list[float]:
    return sorted(set(route.ports.values()))


def _label_centre(route: Channeled) -> float:
    """The middle of the widest gap between the ends on the track (the one nearest the
    arrow when several are as wide)."""
    xs = _xs(route)
    if len(xs) == 1:
        return xs[0]
    target = route.ports[(route.dest, "in")]
    gaps = sorted(pairwise(xs), key=lambda g: (-(g[1] - g[0]), abs((g[0] + g[1]) / 2 - target)))
    return (gaps[0][0] + gaps[0][1]) / 2


def tracks(routes: list[Channeled], count: int) -> list[float]:
    """Give each route the innermost track of its channel where it overlaps nothing;
    returns the height of each channel."""
    used: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    deepest = [-1] * count

    def span(route: Channeled) -> tuple[float, float]:
        xs, centre = _xs(route), _label_centre(route)
        half = text_width(readable(route.transition.trigger), STEP_FONT) / 2
        return min(xs[0], centre - half) - 8, max(xs[-1], centre + half) + 8

    for route in sorted(routes, key=lambda r: (span(r)[1] - span(r)[0], span(r)[0])):
        lo, hi = span(route)
        track = 0
        while any(a < hi and lo < b for a, b in used[(route.channel, track)]):
            track += 1
        used[(route.channel, track)].append((lo, hi))
        route.track = track
        deepest[route.channel] = max(deepest[route.channel], track)
    heights = [NEAR + d * TRACK + STEP_FONT + 6 + FAR if d >= 0 else ROW_GAP for d in deepest]
    heights[0] = max(heights[0], MARGIN) if deepest[0] >= 0 else 4.0
    heights[-1] = heights[-1] if deepest[-1] >= 0 else 0.0
    return heights


def routed(route: Channeled, geometry: Geometry, heights: list[float]) -> Route:
    y = geometry.channels[route.channel] + heights[route.channel] - NEAR - route.track * TRACK
    tx = route.ports[(route.dest, "in")]
    arrow_end = (tx, geometry.edge_y(route.dest, route.channel))
    paths: list[tuple[Point, ...]] = []
    for side in (-1, 1):
        mine = [s for s in route.sources if (route.ports[(s, "out:" + s)] > tx) == (side > 0)]
        mine.sort(key=lambda s: -abs(route.ports[(s, "out:" + s)] - tx))
        for i, source in enumerate(mine):
            sx = route.ports[(source, "out:" + source)]
            start = (sx, geometry.edge_y(source, route.channel))
            if i == 0:
                paths.append((start, (sx, y), (tx, y), arrow_end))
            else:  # joins the farthest one's run
                paths.append((start, (sx, y), (sx - side * 12, y)))
    paths.sort(key=lambda p: len(p) != 4)  # the arrows first
    centre = _label_centre(route)
    half = text_width(readable(route.transition.trigger), STEP_FONT) / 2
    return Route(
        tuple(paths),
        (readable(route.transition.trigger),),
        max(centre, half + 4),
        y - 6 - STEP_FONT,
        (title_of(route.transition),),
        route.back,
    )


def route_label_width(route: Route) -> float:
    return max(text_width(line, route.font) for line in route.lines)


def straights(
    key: tuple[str, str], transitions: list[TransitionDef], geometry: Geometry
) -> list[Straight]:
    """One arrow per step between the two states: two are drawn apart, the first labelled
    above, the second below."""
    source, dest = key
    x1 = geometry.column[geometry.rank[source]] + geometry.width
    x2 = geometry.column[geometry.rank[dest]]
    middle = geometry.tops[geometry.row[source]] + geometry.height / 2
    found = []
    for i, t in enumerate(transitions):
        offset = 0.0 if len(transitions) == 1 else (i - (len(transitions) - 1) / 2) * 12
        lines = step_lines(t)
        above = i == 0 or i < len(transitions) - 1
        step = STEP_FONT * 1.2
        top = middle + offset - 5 - len(lines) * step if above else middle + offset + 5
        found.append(Straight(x1, x2, middle + offset, lines, top, (title_of(t),)))
    return found
