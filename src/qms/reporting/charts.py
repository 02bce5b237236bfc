"""Trend charts of indicators (clause 9.1.3: trends, not raw tables), drawn as SVG by this code.

Plain string building: measured here at 0.2-0.4 ms a chart with nothing heavy to import,
where matplotlib took 130-170 ms a chart and 0.6 s to import, and its SVGs cost WeasyPrint
three times as much to lay out and draw (docs/architecture.md, measured decisions).
WeasyPrint styles every SVG element and lays text out letter by letter, so the chart is
a few paths and as few letters as reading it needs.  The SVG is
deterministic (no date, no generated id), so the same data gives the same bytes: charts
are kept by the hash of their data, and a frozen pack's hash is stable.  Text stays text
(DejaVu Sans, like the body), so it can be read and searched in the PDF.

The layout: the title (code and name) on top, the unit above the y axis, a legend above
the plot, target and alert threshold as horizontal lines labelled in the right margin,
period labels thinned out so they never overlap; no label is ever inside the plot area.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape

from qms.reporting.chart_text import BOLD, FONT, fitted, text_width

RENDERER = "qms-svg-1"  # part of the data hash: charts kept by another renderer are redrawn
MIN_POINTS = 4  # values a trend reading needs (2 x TREND_VALUES in services.indicators.series)

WIDTH, HEIGHT = 482.0, 170.0  # user units, 1 pt each at the nominal size
WIDTH_MM, HEIGHT_MM = 170, 60  # A4 text width; the pack scales it to its column
TITLE_FONT = 9.0
PLOT_TOP, PLOT_BOTTOM_GAP = 34.0, 20.0
LABEL_GAP = 6.0  # least room between two period labels
VALUE_COLOUR, TARGET_COLOUR, THRESHOLD_COLOUR = "#1f4e79", "#1b7f3b", "#b00020"
GRID_COLOUR, AXIS_COLOUR, TEXT_COLOUR, BREACH_FILL = "#dddddd", "#888888", "#1d2329", "#fbeaec"


@dataclass(frozen=True)
class ChartData:
    code: str
    name: str
    unit: str
    target: float
    threshold: float
    points: tuple[tuple[str, float | None], ...]  # period label, value (None: not recorded)
    higher_is_better: bool = True

    @property
    def data_hash(self) -> str:
        canonical = json.dumps(
            [
                RENDERER,
                *(self.code, self.name, self.unit, self.target, self.threshold),
                *(self.points, self.higher_is_better),
            ],
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def recorded(self) -> int:
        return sum(1 for _, value in self.points if value is not None)


def drawable(data: ChartData) -> bool:
    """Whether there are enough values for a trend chart (else show them in a table)."""
    return data.recorded >= MIN_POINTS


def trend_svg(data: ChartData) -> str:
    """The chart as an SVG document (without the XML declaration, ready to inline)."""
    frame = Frame.of(data)
    parts = [
        _open(data),
        *_breach_zone(frame, data),
        *_y_axis(frame),
        *_x_axis(frame),
        *_reference_lines(frame, data),
        *_values(frame, data),
        *_header(frame, data),
        "</svg>\n",
    ]
    return "".join(parts)


@dataclass(frozen=True)
class Frame:
    """Where things go: the plot box, its y scale and ticks, the periods on the x axis."""

    left: float
    right: float
    top: float
    bottom: float
    low: float
    high: float
    ticks: tuple[float, ...]
    decimals: int
    periods: tuple[tuple[str, float | None], ...]
    labels: tuple[str, str]  # target, threshold (right margin)

    @classmethod
    def of(cls, data: ChartData) -> Frame:
        periods = _shown_periods(data.points)
        low, high, step = _y_range([v for _, v in periods if v is not None], data)
        decimals = _decimals(step)
        ticks = tuple(low + i * step for i in range(round((high - low) / step) + 1))
        labels = (_target_label(data), f"alert threshold {_number(data.threshold)}{_unit(data)}")
        widest_tick = max(text_width(_tick(t, decimals)) for t in ticks)
        right = WIDTH - min(max(text_width(label) for label in labels) + 8, 150)
        left = max(widest_tick + 8, 24.0)
        bottom = HEIGHT - PLOT_BOTTOM_GAP
        return cls(left, right, PLOT_TOP, bottom, low, high, ticks, decimals, periods, labels)

    @property
    def step(self) -> float:
        return (self.right - self.left) / len(self.periods)

    def x(self, index: int) -> float:
        return self.left + (index + 0.5) * self.step

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - share * (self.bottom - self.top)


def _shown_periods(
    points: Sequence[tuple[str, float | None]],
) -> tuple[tuple[str, float | None], ...]:
    """From the first recorded value to the last period (only the last one when none)."""
    first = next((i for i, (_, v) in enumerate(points) if v is not None), len(points) - 1)
    return tuple(points[max(first, 0) :]) or (("", None),)


def _y_range(values: Sequence[float], data: ChartData) -> tuple[float, float, float]:
    """Low and high ends and tick step: round numbers covering values, target, threshold."""
    shown = [*values, data.target, data.threshold]
    low, high = min(shown), max(shown)
    span = high - low or max(abs(high) * 0.2, 1.0)
    low, high = low - 0.08 * span, high + 0.08 * span
    step = _nice(span / 4)
    bottom = math.floor(low / step) * step
    if bottom < 0 <= min(shown):
        bottom = 0.0  # a count or share never shows below zero
    return bottom, math.ceil(high / step) * step, step


def _nice(rough: float) -> float:
    """The least of 1, 2 or 5 times a power of ten that is at least ``rough``."""
    magnitude = 10.0 ** math.floor(math.log10(rough))
    return next(m * magnitude for m in (1.0, 2.0, 5.0, 10.0) if m * magnitude >= rough)


def _decimals(step: float) -> int:
    return next(d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(step, 1))


def _tick(value: float, decimals: int) -> str:
    return f"{value + 0.0:.{decimals}f}"


def _number(value: float) -> str:
    return f"{round(value, 2) + 0.0:.10g}"  # + 0.0: no "-0"


def _unit(data: ChartData) -> str:
    return f" {data.unit}" if data.unit else ""


def _target_label(data: ChartData) -> str:
    sign = "≥" if data.higher_is_better else "≤"
    return f"target {sign} {_number(data.target)}{_unit(data)}"


def _open(data: ChartData) -> str:
    title = escape(f"{data.code} {data.name}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_MM}mm" height="{HEIGHT_MM}mm" '
        f'viewBox="0 0 {WIDTH:g} {HEIGHT:g}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="{FONT:g}" fill="{TEXT_COLOUR}" role="img" aria-label="{title}">\n'
        f"<title>{title}</title>\n"
    )


def _text(x: float, y: float, text: str, *attributes: str) -> str:
    extra = "".join(f" {a}" for a in attributes)
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>\n'


# WeasyPrint parses an inline SVG as part of the page and styles every element: a few
# paths of many segments cost far less than many lines and circles.
def _path(d: str, stroke: str, width: float, *attributes: str) -> str:
    extra = "".join(f" {a}" for a in attributes)
    return f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{width:g}"{extra}/>\n'


def _dots(centres: Sequence[tuple[float, float]], colour: str) -> str:
    """Round markers, all of one colour in one path (two half circles each)."""
    r = 2.2
    d = "".join(
        f"M{x - r:.1f} {y:.1f}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0" for x, y in centres
    )
    return f'<path d="{d}" fill="{colour}"/>\n' if d else ""


def _breach_zone(frame: Frame, data: ChartData) -> Iterator[str]:
    """A light band on the worse side of the alert threshold."""
    edge = frame.y(data.threshold)
    top, bottom = (edge, frame.bottom) if data.higher_is_better else (frame.top, edge)
    if bottom - top > 0.5:
        yield (
            f'<rect x="{frame.left:.1f}" y="{top:.1f}" width="{frame.right - frame.left:.1f}" '
            f'height="{bottom - top:.1f}" fill="{BREACH_FILL}"/>\n'
        )


def _y_axis(frame: Frame) -> Iterator[str]:
    ys = [frame.y(tick) for tick in frame.ticks]
    yield _path(
        "".join(f"M{frame.left:.1f} {y:.1f}H{frame.right:.1f}" for y in ys), GRID_COLOUR, 0.5
    )
    yield '<g text-anchor="end">\n'
    for tick, y in zip(frame.ticks, ys, strict=True):
        yield _text(frame.left - 4, y + FONT * 0.35, _tick(tick, frame.decimals))
    yield "</g>\n"


def _x_axis(frame: Frame) -> Iterator[str]:
    ticks = "".join(f"M{frame.x(i):.1f} {frame.bottom:.1f}v2.5" for i in range(len(frame.periods)))
    yield _path(f"M{frame.left:.1f} {frame.bottom:.1f}H{frame.right:.1f}{ticks}", AXIS_COLOUR, 0.6)
    yield '<g text-anchor="middle">\n'
    for index in shown_labels([label for label, _ in frame.periods], frame.step):
        yield _text(frame.x(index), frame.bottom + 11, frame.periods[index][0])
    yield "</g>\n"


def shown_labels(labels: Sequence[str], step: float) -> list[int]:
    """Indexes of the period labels drawn: every k-th, counted back from the last, with
    k the least for which neighbours do not touch."""
    widest = max((text_width(label) for label in labels), default=0.0)
    every = max(1, math.ceil((widest + LABEL_GAP) / step))
    return [i for i in range(len(labels)) if (len(labels) - 1 - i) % every == 0]


def _reference_lines(frame: Frame, data: ChartData) -> Iterator[str]:
    """Target and alert threshold: dashed lines across the plot, labelled in the margin."""
    lines = ((data.target, TARGET_COLOUR, "4 2"), (data.threshold, THRESHOLD_COLOUR, "1.5 1.5"))
    for value, colour, dashes in lines:
        d = f"M{frame.left:.1f} {frame.y(value):.1f}H{frame.right:.1f}"
        yield _path(d, colour, 1, f'stroke-dasharray="{dashes}"')
    places = _apart([frame.y(data.target), frame.y(data.threshold)], FONT + 1.5, frame)
    colours = (TARGET_COLOUR, THRESHOLD_COLOUR)
    for label, colour, y in zip(frame.labels, colours, places, strict=True):
        shown = fitted(label, WIDTH - frame.right - 5)  # a very long unit is cut
        yield _text(frame.right + 4, y + FONT * 0.35, shown, f'fill="{colour}"')


def _apart(ys: list[float], gap: float, frame: Frame) -> list[float]:
    """The two label heights moved apart (around their middle) when closer than ``gap``."""
    (a, b) = ys
    if abs(a - b) >= gap:
        return ys
    middle = min(max((a + b) / 2, frame.top + gap / 2), frame.bottom - gap / 2)
    upper, lower = middle - gap / 2, middle + gap / 2
    return [upper, lower] if a <= b else [lower, upper]


def _values(frame: Frame, data: ChartData) -> Iterator[str]:
    """The line (broken where a period has no value) and a marker on each value."""
    d = "".join(
        f"{'L' if n else 'M'}{frame.x(i):.1f} {frame.y(v):.1f}"
        for run in _runs(frame.periods)
        for n, (i, v) in enumerate(run)
    )
    if d:
        yield _path(d, VALUE_COLOUR, 1.4, 'stroke-linejoin="round"')
    recorded = [(i, v) for i, (_, v) in enumerate(frame.periods) if v is not None]
    for breached, colour in ((False, VALUE_COLOUR), (True, THRESHOLD_COLOUR)):
        centres = [(frame.x(i), frame.y(v)) for i, v in recorded if _breached(v, data) == breached]
        yield _dots(centres, colour)
    if not recorded:
        middle = (frame.top + frame.bottom) / 2
        yield (
            f'<rect x="{(frame.left + frame.right) / 2 - 40:.1f}" y="{middle - 8:.1f}" '
            f'width="80" height="12" fill="white"/>\n'
        )
        yield _text(
            (frame.left + frame.right) / 2, middle, "no value recorded", 'text-anchor="middle"'
        )


def _runs(periods: Sequence[tuple[str, float | None]]) -> Iterator[list[tuple[int, float]]]:
    """Consecutive recorded values: a missing period breaks the line."""
    run: list[tuple[int, float]] = []
    for index, (_, value) in enumerate(periods):
        if value is None:
            if len(run) > 1:
                yield run
            run = []
        else:
            run.append((index, value))
    if len(run) > 1:
        yield run


def _breached(value: float, data: ChartData) -> bool:
    return value < data.threshold if data.higher_is_better else value > data.threshold


def _header(frame: Frame, data: ChartData) -> Iterator[str]:
    room = WIDTH - 4
    yield _text(
        0,
        11,
        fitted(f"{data.code} {data.name}", room, TITLE_FONT * BOLD),
        f'font-size="{TITLE_FONT:g}" font-weight="bold"',
    )
    if data.unit:
        yield _unit_label(frame, data.unit)
    yield from _legend(frame)


def _unit_label(frame: Frame, unit: str) -> str:
    """The unit above the y axis: over the tick labels when it fits there, else from the
    left edge (never under the legend)."""
    if text_width(unit) <= frame.left - 4:
        return _text(frame.left - 4, PLOT_TOP - 8, unit, 'text-anchor="end"')
    return _text(0, PLOT_TOP - 8, fitted(unit, frame.right - 160))


def _legend(frame: Frame) -> Iterator[str]:
    """The mark of the values, above the plot, ending at its right edge.  (Red markers
    need no entry: they lie in the band past the labelled alert threshold; every letter
    costs WeasyPrint a text layout of its own.)"""
    x, y = frame.right - text_width("value"), PLOT_TOP - 8
    mark_y = y - FONT * 0.35
    yield _text(x, y, "value")
    yield _path(f"M{x - 16:.1f} {mark_y:.1f}h13", VALUE_COLOUR, 1.4)
    yield _dots([(x - 9.5, mark_y)], VALUE_COLOUR)
