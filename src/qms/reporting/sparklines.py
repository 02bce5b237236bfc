"""Sparklines: an indicator's last values in a chart the size of a word (clause 9.1.3).

The director's view shows one beside each indicator: the values as a line (broken where a
period has no value), the target as a dashed rule, the latest value as a dot coloured by
its status (green on target, amber off target, red past the alert threshold). No axis,
no label: the page says the figures in words next to it, and the SVG's ``<title>`` (its
accessible name, ``role="img"``) says the latest value, the target and the status.

Plain string building like :mod:`qms.reporting.charts` (a few microseconds a sparkline),
deterministic, and inline-ready under the web's Content-Security-Policy: colours are
presentation attributes, never ``style``; every text is escaped. The words of the title
are the caller's (it translates them): this module draws and never words anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape

WIDTH, HEIGHT = 120.0, 30.0
PAD_X, PAD_Y, DOT = 4.0, 4.0, 2.8
LINE_COLOUR, TARGET_COLOUR = "#1f4e79", "#5a6472"
STATUS_COLOURS = {"on_target": "#1b7f3b", "off_target": "#a15c00", "alert": "#b00020"}
NO_STATUS_COLOUR = "#5a6472"


@dataclass(frozen=True)
class Spark:
    points: tuple[float | None, ...]  # oldest first; None: no value for that period
    target: float
    status: str  # on_target, off_target, alert; "" when there is no value
    title: str  # the sparkline in words: latest value, target, status

    @property
    def latest(self) -> tuple[int, float] | None:
        """The index and value of the last period with a value."""
        for index in range(len(self.points) - 1, -1, -1):
            value = self.points[index]
            if value is not None:
                return index, value
        return None


def sparkline_svg(spark: Spark) -> str:
    """The sparkline as an inline SVG element (no XML declaration)."""
    return _drawn(spark)


@lru_cache(maxsize=4096)
def _drawn(spark: Spark) -> str:
    scale = _Scale.of(spark)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" width="{WIDTH:g}" '
        f'height="{HEIGHT:g}" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" role="img" focusable="false">',
        f"<title>{escape(spark.title)}</title>",
        _path(
            f"M{PAD_X:.1f} {scale.y(spark.target):.1f}H{WIDTH - PAD_X:.1f}",
            TARGET_COLOUR,
            1,
            'stroke-dasharray="3 2"',
        ),
    ]
    line = "".join(_line(scale, spark.points))
    if line:
        parts.append(
            _path(line, LINE_COLOUR, 1.5, 'stroke-linejoin="round" stroke-linecap="round"')
        )
    latest = spark.latest
    if latest is not None:
        index, value = latest
        colour = STATUS_COLOURS.get(spark.status, NO_STATUS_COLOUR)
        parts.append(
            f'<circle cx="{scale.x(index):.1f}" cy="{scale.y(value):.1f}" r="{DOT:g}" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class _Scale:
    count: int
    low: float
    high: float

    @classmethod
    def of(cls, spark: Spark) -> _Scale:
        shown = [v for v in spark.points if v is not None] + [spark.target]
        low, high = min(shown), max(shown)
        if high - low < 1e-9:
            margin = max(abs(high) * 0.1, 1.0)
            low, high = low - margin, high + margin
        return cls(max(len(spark.points), 1), low, high)

    def x(self, index: int) -> float:
        if self.count == 1:
            return WIDTH / 2
        return PAD_X + index * (WIDTH - 2 * PAD_X) / (self.count - 1)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return HEIGHT - PAD_Y - share * (HEIGHT - 2 * PAD_Y)


def _line(scale: _Scale, points: Sequence[float | None]) -> Iterator[str]:
    """Move to the first value of each run of consecutive values, then line to the rest."""
    drawing = False
    for index, value in enumerate(points):
        if value is None:
            drawing = False
            continue
        yield f"{'L' if drawing else 'M'}{scale.x(index):.1f} {scale.y(value):.1f}"
        drawing = True


def _path(d: str, stroke: str, width: float, *attributes: str) -> str:
    extra = "".join(f" {a}" for a in attributes)
    return f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{width:g}"{extra}/>'
