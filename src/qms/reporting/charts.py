"""Trend charts of indicators (clause 9.1.3: trends, not raw tables), drawn by matplotlib as SVG.

The SVG is deterministic (no date, fixed ids) so that the same data gives the same
bytes: charts can be kept by the hash of their data, and a frozen pack's hash is stable.
Text stays text (``svg.fonttype: none``), so it can be read and searched in the PDF.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

SIZE_INCHES = (6.4, 2.4)
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "qms",
    "font.family": "DejaVu Sans",
    "font.size": 8,
}
VALUE_COLOUR, TARGET_COLOUR, THRESHOLD_COLOUR = "#1f4e79", "#1b7f3b", "#b00020"


@dataclass(frozen=True)
class ChartData:
    code: str
    name: str
    unit: str
    target: float
    threshold: float
    points: tuple[tuple[str, float | None], ...]  # period label, value (None: not recorded)

    @property
    def data_hash(self) -> str:
        canonical = json.dumps(
            [self.code, self.name, self.unit, self.target, self.threshold, self.points],
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def trend_svg(data: ChartData) -> str:
    """The chart as an SVG document (without the XML declaration, ready to inline)."""
    import matplotlib  # imported here: heavy, and only charts need it

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with matplotlib.rc_context(cast(Any, STYLE)):
        figure = Figure(figsize=SIZE_INCHES, layout="constrained")
        _draw(figure.add_subplot(), data)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _draw(axes: object, data: ChartData) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    labels = [label for label, _ in data.points]
    xs = [i for i, (_, value) in enumerate(data.points) if value is not None]
    ys = [value for _, value in data.points if value is not None]
    axes.plot(xs, ys, marker="o", markersize=3, color=VALUE_COLOUR, label="value")
    axes.axhline(data.target, color=TARGET_COLOUR, linestyle="--", linewidth=1, label="target")
    axes.axhline(
        data.threshold, color=THRESHOLD_COLOUR, linestyle=":", linewidth=1, label="alert threshold"
    )
    axes.set_xticks(range(len(labels)), _sparse(labels), rotation=45, ha="right")
    axes.set_xlim(-0.5, max(len(labels) - 0.5, 0.5))
    axes.set_ylabel(data.unit)
    axes.set_title(f"{data.code} {data.name}", loc="left", fontsize=9)
    axes.grid(axis="y", color="#dddddd", linewidth=0.5)
    axes.legend(loc="best", fontsize=7, frameon=False)
    if not ys:
        axes.text(0.5, 0.5, "no value recorded", transform=axes.transAxes, ha="center")


def _sparse(labels: Sequence[str]) -> list[str]:
    """Every label when few, else every other one, so they stay readable."""
    step = 1 if len(labels) <= 12 else 2
    return [label if i % step == (len(labels) - 1) % step else "" for i, label in enumerate(labels)]
