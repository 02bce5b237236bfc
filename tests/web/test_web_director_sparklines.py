"""The sparklines of the director's view (qms.reporting.sparklines): well-formed SVG named
by its title, the values as a line broken where a period has no value, the target as a
rule, the latest value coloured by its status; nothing a page's CSP would refuse."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from qms.reporting.sparklines import STATUS_COLOURS, Spark, sparkline_svg

NS = "{http://www.w3.org/2000/svg}"


def drawn(spark: Spark) -> ET.Element:
    return ET.fromstring(sparkline_svg(spark))  # noqa: S314 - our own SVG, not outside input


def test_a_sparkline_is_an_image_named_in_words() -> None:
    spark = Spark((80.0, 84.0, None, 75.0, 62.0), 85.0, "alert", "Latest value 62 %: alert")
    root = drawn(spark)
    assert root.get("role") == "img"
    assert root.findtext(f"{NS}title") == "Latest value 62 %: alert"
    rule, line = root.findall(f"{NS}path")
    assert rule.get("stroke-dasharray") and rule.get("d", "").count("M") == 1
    assert line.get("d", "").count("M") == 2  # the missing period breaks the line
    (dot,) = root.findall(f"{NS}circle")
    assert dot.get("fill") == STATUS_COLOURS["alert"]
    assert float(dot.get("cx", 0)) > 100  # the last period, at the right end
    assert "style" not in sparkline_svg(spark)


def test_the_latest_value_is_the_last_one_recorded_and_coloured_by_its_status() -> None:
    root = drawn(Spark((90.0, 92.0, None), 85.0, "on_target", "x"))
    (dot,) = root.findall(f"{NS}circle")
    assert dot.get("fill") == STATUS_COLOURS["on_target"]
    assert 50 < float(dot.get("cx", 0)) < 70  # the middle period of three


def test_no_value_draws_the_target_alone_and_flat_values_do_not_break() -> None:
    empty = drawn(Spark((None, None, None), 3.0, "", "no value"))
    assert len(empty.findall(f"{NS}path")) == 1 and not empty.findall(f"{NS}circle")
    flat = drawn(Spark((3.0, 3.0, 3.0), 3.0, "on_target", "flat"))
    assert len(flat.findall(f"{NS}path")) == 2 and len(flat.findall(f"{NS}circle")) == 1
    single = drawn(Spark((7.0,), 5.0, "off_target", "one"))
    assert single.find(f"{NS}circle").get("cx") == "60.0"  # type: ignore[union-attr]


def test_the_title_is_escaped_and_the_drawing_deterministic() -> None:
    title = '<script>alert(1)</script> "onmouseover="x'
    spark = Spark((1.0, 2.0), 2.0, "on_target", title)
    svg = sparkline_svg(spark)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert drawn(spark).findtext(f"{NS}title") == title
    assert sparkline_svg(Spark((1.0, 2.0), 2.0, "on_target", title)) == svg
