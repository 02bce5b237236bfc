"""State diagrams of workflows, drawn as SVG by this code from the definition alone.

The layout, left to right: each state's column is its distance from the initial state
along the longest path that never goes back (steps that return to an earlier state are
drawn as loops over the top), so the end states sit at the right of what leads to them.
The main path (from the initial state, each time the first step in file order that goes
forward, an end state last) is the top row; the other states take the rows below, next to
what leads to them.  A step between neighbours of one row is a straight arrow labelled in
the gap; every other step runs along a track in the channel between two rows (over the
top for a step back), and the sources of one step into one state share their track.

Colour and type are presentation attributes (``fill=``, ``stroke=``, ``font-size=``),
never ``style``: the web page's Content-Security-Policy forbids inline styles.  Every
text is escaped; the same definition always gives the same bytes.
"""

from __future__ import annotations

from html import escape

from qms.reporting.chart_text import text_width
from qms.reporting.diagrams_layout import Layout, Placed, Route, Straight, lay_out
from qms.workflow.definition import WorkflowDefinition

__all__ = ["Layout", "lay_out", "workflow_svg"]

INK, MUTED, ACCENT, EDGE = "#1c2127", "#39424e", "#1f4e79", "#5a6472"
BOX_FILL, START_FILL, END_FILL, HALO = "#ffffff", "#e8eef5", "#eef1f4", "#ffffff"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
LEGEND_FONT = 11.5


def workflow_svg(defn: WorkflowDefinition) -> str:
    """The workflow's state diagram as an SVG element (no XML declaration: to inline)."""
    layout = lay_out(defn)
    ident = "wf-" + "".join(ch if ch.isalnum() else "-" for ch in defn.name)
    height = layout.height + LEGEND_HEIGHT
    title = f"{defn.label}: state diagram"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(layout.width)} '
        f'{_n(height)}" width="{_n(layout.width)}" height="{_n(height)}" role="img" '
        f'aria-labelledby="{ident}-title" font-family="{FONT_FAMILY}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        _defs(ident),
        *_start(layout, ident),
        *(_route(route, ident) for route in layout.routes),
        *(_straight(edge, ident) for edge in layout.straights),
        *(_box(box) for box in layout.boxes),
        *_legend(layout, ident),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _defs(ident: str) -> str:
    return (
        f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        f'<path d="M0,1 L10,5 L0,9 z" fill="{EDGE}"/></marker></defs>'
    )


def _start(layout: Layout, ident: str) -> list[str]:
    """The filled dot that points at the initial state."""
    box = next(b for b in layout.boxes if b.initial)
    y = box.y + box.h / 2
    return [
        f'<circle cx="{_n(box.x - 26)}" cy="{_n(y)}" r="6" fill="{ACCENT}"/>',
        f'<path d="M{_n(box.x - 20)},{_n(y)} H{_n(box.x - 1)}" stroke="{EDGE}" '
        f'stroke-width="1.5" marker-end="url(#{ident}-arrow)"/>',
    ]


def _box(box: Placed) -> str:
    fill = START_FILL if box.initial else END_FILL if box.terminal else BOX_FILL
    stroke, width = (MUTED, 1.5) if box.terminal else (ACCENT, 2.5 if box.initial else 1.5)
    kind = " (start)" if box.initial else " (end state)" if box.terminal else ""
    parts = [
        f"<g><title>{escape(box.label)}{kind}: {escape(box.name)}</title>",
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" '
        f'rx="9" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>',
    ]
    if box.terminal:  # a double border marks an end state
        parts.append(
            f'<rect x="{_n(box.x + 4)}" y="{_n(box.y + 4)}" width="{_n(box.w - 8)}" '
            f'height="{_n(box.h - 8)}" rx="6" fill="none" stroke="{stroke}" stroke-width="1"/>'
        )
    parts.append(_lines(box.lines, box.x + box.w / 2, box.y + box.h / 2, box.font, "600"))
    return "".join(parts) + "</g>"


def _lines(lines: tuple[str, ...], x: float, middle: float, size: float, weight: str) -> str:
    """Lines of text centred on ``x``, the block centred on ``middle``."""
    step = size * 1.25
    first = middle - step * (len(lines) - 1) / 2 + size * 0.36
    spans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(first + i * step)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text font-size="{_n(size)}" font-weight="{weight}" fill="{INK}" '
        f'text-anchor="middle">{spans}</text>'
    )


def _label(lines: tuple[str, ...], x: float, top: float, size: float) -> str:
    """A step's label: lines from ``top`` down, on a white halo that keeps it readable
    where a line crosses it."""
    step = size * 1.2
    spans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(top + size * 0.8 + i * step)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text font-size="{_n(size)}" fill="{MUTED}" text-anchor="middle" '
        f'paint-order="stroke" stroke="{HALO}" stroke-width="4" stroke-linejoin="round">'
        f"{spans}</text>"
    )


def _title(titles: tuple[str, ...]) -> str:
    return f"<title>{escape(' · '.join(titles))}</title>"


def _route(route: Route, ident: str) -> str:
    dash = ' stroke-dasharray="5 4"' if route.back else ""
    paths = [
        f'<path d="{_rounded(points)}" fill="none" stroke="{EDGE}" stroke-width="1.5"{dash}'
        + (f' marker-end="url(#{ident}-arrow)"' if i == 0 else "")
        + "/>"
        for i, points in enumerate(route.paths)
    ]
    label = _label(route.lines, route.label_x, route.label_top, route.font)
    return f"<g>{_title(route.titles)}{''.join(paths)}{label}</g>"


def _straight(edge: Straight, ident: str) -> str:
    path = (
        f'<path d="M{_n(edge.x1)},{_n(edge.y)} H{_n(edge.x2)}" fill="none" stroke="{EDGE}" '
        f'stroke-width="1.5" marker-end="url(#{ident}-arrow)"/>'
    )
    label = _label(edge.lines, (edge.x1 + edge.x2) / 2, edge.label_top, edge.font)
    return f"<g>{_title(edge.titles)}{path}{label}</g>"


def _rounded(points: tuple[tuple[float, float], ...], radius: float = 6.0) -> str:
    """An orthogonal polyline with its corners rounded."""
    (x0, y0), *rest = points
    d = [f"M{_n(x0)},{_n(y0)}"]
    for i, (x, y) in enumerate(rest[:-1]):
        px, py = points[i]
        nx, ny = rest[i + 1]
        r = min(radius, _half(px, py, x, y), _half(x, y, nx, ny))
        ax, ay = x - _sign(x - px) * r, y - _sign(y - py) * r
        bx, by = x + _sign(nx - x) * r, y + _sign(ny - y) * r
        d.append(f"L{_n(ax)},{_n(ay)} Q{_n(x)},{_n(y)} {_n(bx)},{_n(by)}")
    d.append(f"L{_n(rest[-1][0])},{_n(rest[-1][1])}")
    return " ".join(d)


def _half(x1: float, y1: float, x2: float, y2: float) -> float:
    return (abs(x2 - x1) + abs(y2 - y1)) / 2


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


LEGEND_HEIGHT = 34.0


def _legend(layout: Layout, ident: str) -> list[str]:
    """What the marks mean, in one line under the diagram."""
    y = layout.height + 14
    x = layout.margin
    items: list[str] = []
    entries = [("start", "Start"), ("end", "End state")]
    if any(route.back for route in layout.routes):
        entries.append(("back", "Step back to an earlier state"))
    for kind, words in entries:
        if kind == "start":
            items.append(f'<circle cx="{_n(x + 6)}" cy="{_n(y)}" r="5" fill="{ACCENT}"/>')
            x += 18
        elif kind == "end":
            items.append(
                f'<rect x="{_n(x)}" y="{_n(y - 7)}" width="22" height="14" rx="4" '
                f'fill="{END_FILL}" stroke="{MUTED}" stroke-width="1.5"/>'
                f'<rect x="{_n(x + 3)}" y="{_n(y - 4)}" width="16" height="8" rx="2" '
                f'fill="none" stroke="{MUTED}" stroke-width="1"/>'
            )
            x += 30
        else:
            items.append(
                f'<path d="M{_n(x)},{_n(y)} H{_n(x + 30)}" stroke="{EDGE}" stroke-width="1.5" '
                f'stroke-dasharray="5 4" marker-end="url(#{ident}-arrow)"/>'
            )
            x += 38
        items.append(
            f'<text x="{_n(x)}" y="{_n(y + 4)}" font-size="{LEGEND_FONT}" fill="{MUTED}">'
            f"{escape(words)}</text>"
        )
        x += text_width(words, LEGEND_FONT) + 24
    return ["<g>", *items, "</g>"]


def _n(value: float) -> str:
    """A coordinate, short: 12, 12.5 (never 12.000000001)."""
    return f"{round(value, 1):g}"
