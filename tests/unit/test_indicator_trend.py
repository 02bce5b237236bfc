"""The trend of an indicator (clause 9.1.3) reads the way its values go, in its direction."""

from __future__ import annotations

import pytest

from qms.models import Direction
from qms.services.indicators.series import trend_of

HIGHER, LOWER = Direction.HIGHER, Direction.LOWER
# (values oldest first, direction, target, alert threshold, trend read)
CASES = [
    # rising
    ([80, 82, 84, 86, 88, 90], HIGHER, 85, 75, "improving"),
    ([2, 3, 4, 5, 6, 7], LOWER, 3, 6, "worsening"),
    # falling
    ([90, 88, 86, 84, 82, 80], HIGHER, 85, 75, "worsening"),
    ([7, 6, 5, 4, 3, 2], LOWER, 3, 6, "improving"),
    # flat
    ([90, 90, 90, 90], HIGHER, 85, 75, "stable"),
    ([4, 4, 4, 4, 4, 4], LOWER, 3, 6, "stable"),
    # noisy: the last two move more than a quarter of the target-to-alert distance, but
    # less than the indicator usually swings from one value to the next
    ([84, 90, 83, 91, 85, 89, 88, 91], HIGHER, 87, 83, "stable"),
    ([5, 7, 4.5, 7.5, 4.6, 6.4, 7.2, 5.6], LOWER, 5, 8, "stable"),
    # a rise within the noise of a slow indicator
    ([91.5, 92, 91.5, 92.4], HIGHER, 90, 80, "stable"),
    # Apprenticeship contract breaks of the demo: up from 4.8 to 10.3, lower is better
    ([6.6, 5.9, 6.8, 3.2, 4.8, 10.3], LOWER, 5, 8, "worsening"),
    # the same values read the other way round when higher is better
    ([6.6, 5.9, 6.8, 3.2, 4.8, 10.3], HIGHER, 8, 5, "improving"),
    # a sharp recent fall of a higher-is-better indicator after a flat run
    ([95, 95, 95, 95, 94, 80], HIGHER, 95, 85, "worsening"),
    # short series, either direction
    ([4.8, 10.3], LOWER, 5, 8, "not enough values (2 of 4 needed)"),
    ([92, 79, 85], HIGHER, 95, 85, "not enough values (3 of 4 needed)"),
    ([], HIGHER, 95, 85, "not enough values (0 of 4 needed)"),
]


@pytest.mark.parametrize(("values", "direction", "target", "alert", "expected"), CASES)
def test_the_trend_reads_the_values_in_the_indicators_direction(
    values: list[float], direction: Direction, target: float, alert: float, expected: str
) -> None:
    assert trend_of(values, direction, target, alert).label == expected


def test_the_reading_says_what_it_compared() -> None:
    reading = trend_of([6.6, 5.9, 6.8, 3.2, 4.8, 10.3], LOWER, 5, 8, "%")
    assert reading.explanation == (
        "worsening: the last 2 values average 7.55 %, the 2 before 5 % (+2.55; a change "
        "within ±1.6 reads stable; lower is better)"
    )
    short = trend_of([4.8, 10.3], LOWER, 5, 8)
    assert short.explanation.startswith("not enough values (2 of 4 needed): a trend compares")
