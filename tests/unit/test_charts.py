"""Trend charts (clause 9.1.3) read at a glance: labelled lines, no overlap, gaps shown."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest

from qms.reporting import charts
from qms.reporting.chart_text import FONT, text_width
from qms.reporting.charts import (
    MIN_POINTS,
    TARGET_COLOUR,
    THRESHOLD_COLOUR,
    ChartData,
    Frame,
    drawable,
    trend_svg,
)
from qms.services.indicators.series import TREND_VALUES

NS = {"svg": "http://www.w3.org/2000/svg"}


def months(count: int, year: int = 2024) -> list[str]:
    return [f"{year + m // 12}-{m % 12 + 1:02d}" for m in range(count)]


def chart(
    values: list[float | None], target: float = 90, threshold: float = 80, **extra: object
) -> ChartData:
    points = tuple(zip(months(len(values)), values, strict=True))
    fields: dict[str, object] = {"unit": "%", "target": target, "threshold": threshold}
    fields.update(extra)
    return ChartData("TRN-04-GRADES", "Grades published on time", points=points, **fields)  # type: ignore[arg-type]


def parsed(data: ChartData) -> ET.Element:
    return ET.fromstring(trend_svg(data))  # noqa: S314 - our own SVG, not outside input


def texts(root: ET.Element) -> dict[str, ET.Element]:
    return {t.text or "": t for t in root.iter(f"{{{NS['svg']}}}text")}


def x_labels(root: ET.Element) -> list[tuple[float, str]]:
    group = next(g for g in root.iter(f"{{{NS['svg']}}}g") if g.get("text-anchor") == "middle")
    return [(float(t.get("x", "0")), t.text or "") for t in group]


def test_a_chart_is_an_svg_to_inline_with_its_title() -> None:
    svg = trend_svg(chart([85, 87, 91, 93]))
    assert svg.startswith("<svg") and "<?xml" not in svg
    root = parsed(chart([85, 87, 91, 93]))
    assert root.findtext("svg:title", namespaces=NS) == "TRN-04-GRADES Grades published on time"
    title = texts(root)["TRN-04-GRADES Grades published on time"]
    assert title.get("font-weight") == "bold"
    assert "DejaVu Sans" in root.get("font-family", "")
    assert root.get("width") == "170mm"  # an A4 page's text width


def test_text_a_user_typed_is_escaped() -> None:
    data = ChartData("K-1", "Rate <of> R&D", "a&b", 1, 2, (("2025-01", 1.0),))
    assert texts(parsed(data))["K-1 Rate <of> R&D"] is not None


def test_target_and_alert_threshold_are_labelled_lines_outside_the_points() -> None:
    data = chart([85, 87, 91, 93, 78])
    frame, found = Frame.of(data), texts(parsed(data))
    target, alert = found["target ≥ 90 %"], found["alert threshold 80 %"]
    assert float(target.get("x", "0")) > frame.right and float(alert.get("x", "0")) > frame.right
    assert target.get("fill") == TARGET_COLOUR and alert.get("fill") == THRESHOLD_COLOUR
    svg = trend_svg(data)
    for value, colour in ((90, TARGET_COLOUR), (80, THRESHOLD_COLOUR)):
        d = f"M{frame.left:.1f} {frame.y(value):.1f}H{frame.right:.1f}"
        assert f'd="{d}" fill="none" stroke="{colour}"' in svg
    assert frame.y(90) < frame.y(80)  # higher on the page


def test_lower_is_better_says_so_on_the_target() -> None:
    found = texts(parsed(chart([6.6, 5.9, 6.8, 3.2], 5, 8, higher_is_better=False)))
    assert "target ≤ 5 %" in found and "alert threshold 8 %" in found


def test_close_target_and_threshold_labels_do_not_overlap() -> None:
    found = texts(parsed(chart([8, 9, 12, 11], 10, 10, unit="days")))
    ys = [
        float(found[label].get("y", "0"))
        for label in ("target ≥ 10 days", "alert threshold 10 days")
    ]
    assert abs(ys[0] - ys[1]) >= FONT


@pytest.mark.parametrize("count", [1, 4, 12, 13, 24])
def test_period_labels_never_overlap_and_the_last_is_shown(count: int) -> None:
    data = chart([70 + (i * 7) % 30 for i in range(count)])
    labels = x_labels(parsed(data))
    assert labels[-1][1] == months(count)[-1]
    for (x1, a), (x2, b) in itertools.pairwise(labels):
        assert x2 - x1 >= (text_width(a) + text_width(b)) / 2 + charts.LABEL_GAP / 2
    assert all(
        text_width(label) / 2 <= x <= charts.WIDTH - text_width(label) / 2 for x, label in labels
    )


def test_the_axis_spans_only_the_periods_from_the_first_value() -> None:
    data = chart([None] * 20 + [88, 92, 79, 85])
    frame = Frame.of(data)
    assert [label for label, _ in frame.periods] == months(24)[20:]
    assert {label for _, label in x_labels(parsed(data))} <= set(months(24)[20:])
    assert months(24)[0] not in trend_svg(data)


def test_periods_expected_after_the_last_value_stay_on_the_axis() -> None:
    frame = Frame.of(chart([None, 8, 9, 12, 11, None, None]))
    assert len(frame.periods) == 6 and frame.periods[-1] == (months(7)[-1], None)


def value_path(data: ChartData) -> str:
    found = re.search(
        rf'<path d="([^"]+)" fill="none" stroke="{charts.VALUE_COLOUR}" stroke-width="1.4" '
        "stroke-linejoin",
        trend_svg(data),
    )
    assert found is not None
    return found.group(1)


def test_a_missing_period_is_a_gap_in_the_line() -> None:
    data = chart([85, 87, 91, None, 93, 78, 82])
    path, frame = value_path(data), Frame.of(data)
    assert path.count("M") == 2  # two runs: before and after the gap
    assert f"{frame.x(3):.1f} " not in path
    assert path.index(f"M{frame.x(4):.1f}") > path.index(f"L{frame.x(2):.1f}")


def test_a_lone_value_between_gaps_is_a_marker_without_a_line() -> None:
    path = value_path(chart([85, None, 91, None, 93, 95]))
    assert path.count("M") == 1 and path.count("L") == 1  # only 93 -> 95 is a segment


@pytest.mark.parametrize(
    ("values", "target", "threshold"),
    [
        ([150, 220, 180, 260, 300], 10, 20),  # far above target
        ([-12.5, -3, 0, 4.2, 8], 0, -5),  # negative and zero
        ([0.011, 0.018, 0.032, 0.061], 0.02, 0.05),  # small fractions
        ([50, 50, 50, 50], 50, 50),  # flat, all equal
    ],
)
def test_the_y_range_covers_values_target_and_threshold_with_round_ticks(
    values: list[float], target: float, threshold: float
) -> None:
    frame = Frame.of(chart(values, target, threshold))  # type: ignore[arg-type]
    shown = [*values, target, threshold]
    assert frame.low < min(shown) or frame.low == min(shown) == 0
    assert frame.high > max(shown)
    step = frame.ticks[1] - frame.ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 5))
    assert all(math.isclose(t / step, round(t / step), abs_tol=1e-9) for t in frame.ticks)


def test_shares_and_counts_never_show_below_zero() -> None:
    assert Frame.of(chart([1, 3, 2, 4], 2, 5)).low == 0


def test_the_unit_is_on_the_y_axis() -> None:
    found = texts(parsed(chart([1, 2, 3, 4], unit="complaints")))
    assert float(found["complaints"].get("y", "0")) < charts.PLOT_TOP


def test_no_value_recorded_says_so() -> None:
    assert "no value recorded" in texts(parsed(chart([None] * 24)))


def test_the_same_data_gives_the_same_bytes() -> None:
    values: list[float | None] = [85, 87, 91, None, 93]
    assert trend_svg(chart(values)) == trend_svg(chart(values))
    assert chart(values).data_hash == chart(values).data_hash
    assert chart(values).data_hash != chart([85, 87, 91, None, 94]).data_hash


def test_the_cache_key_names_the_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    before = chart([1, 2, 3, 4]).data_hash
    monkeypatch.setattr(charts, "RENDERER", "another renderer")
    assert chart([1, 2, 3, 4]).data_hash != before


def test_a_chart_needs_as_many_values_as_a_trend_reading() -> None:
    assert MIN_POINTS == 2 * TREND_VALUES == 4
    assert not drawable(chart([None, 85, None, 87, 91]))
    assert drawable(chart([None, 85, None, 87, 91, 93]))
