"""The indicators file and measurement periods: every mistake is one line with file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qms.errors import DefinitionError
from qms.models import Frequency
from qms.services.indicators import files as indicators_file
from qms.services.indicators import periods as indicators_periods

ROOT = Path(__file__).resolve().parents[2]

ONE = """\
indicators:
  - code: TRN-04-GRADES
    process: TRN-04
    name: Grades published on time
    measures: Share of grades published within 15 days
    unit: "%"
    direction: higher
    target: 95
    alert_threshold: 85
    frequency: monthly
    data_source: Student records
    owner: ebenoit
    minimum: 0
    maximum: 100
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "indicators.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        indicators_file.read(path, {"TRN-04", "RSC-02"}, {"ebenoit", "sboyer"})
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in caught.value.problems]


def test_shipped_file_covers_every_process_of_the_map() -> None:
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    assert 25 <= len(spec.indicators) <= 30
    assert len({i.process for i in spec.indicators}) == 18
    assert any(i.process == "RSC-02" for i in spec.indicators)


def test_valid_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text(ONE)
    spec = indicators_file.read(path, {"TRN-04"}, {"ebenoit"})
    assert spec.indicators[0].frequency == Frequency.MONTHLY


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("process: TRN-04", "process: TRN-99"),
            "indicators.yaml:3: indicator 'TRN-04-GRADES' names unknown process 'TRN-99'",
        ),
        (
            ("owner: ebenoit", "owner: jdoe"),
            "indicators.yaml:12: indicator 'TRN-04-GRADES' names unknown owner 'jdoe'",
        ),
        (
            ("alert_threshold: 85", "alert_threshold: 97"),
            "indicators.yaml:9: indicator 'TRN-04-GRADES': "
            "the alert threshold 97 is above the target 95",
        ),
        (
            ("frequency: monthly", "frequency: weekly"),
            "indicators.yaml:10: indicators[0].frequency: "
            "should be one of 'monthly', 'quarterly', 'semester' or 'yearly', "
            "not the text 'weekly'",
        ),
        (
            ("target: 95", "target: 120"),
            "indicators.yaml:8: indicator 'TRN-04-GRADES': target 120 is outside [0, 100]",
        ),
        (
            ('unit: "%"', 'unit: "%"\n    colour: red'),
            "indicators.yaml:7: unknown key 'indicators[0].colour' (known keys here: ",
        ),
    ],
)
def test_each_mistake_names_file_and_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    found = problems(tmp_path, ONE.replace(*change))
    assert any(p.startswith(expected) for p in found), found


def test_duplicate_code_points_at_the_first(tmp_path: Path) -> None:
    found = problems(tmp_path, ONE + ONE.split("indicators:\n", 1)[1])
    assert found == ["indicators.yaml:15: duplicate indicator 'TRN-04-GRADES' (first at line 2)"]


def test_since_must_match_the_frequency(tmp_path: Path) -> None:
    found = problems(tmp_path, ONE + '    since: "2025-Q3"\n')
    assert found == [
        "indicators.yaml:15: indicator 'TRN-04-GRADES': since: '2025-Q3' is not a monthly "
        "period (write it like 2026-03)"
    ]


@pytest.mark.parametrize(
    ("text", "frequency", "start", "end"),
    [
        ("2026-02", Frequency.MONTHLY, date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-q4", Frequency.QUARTERLY, date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-S2", Frequency.SEMESTER, date(2026, 7, 1), date(2026, 12, 31)),
        ("2025", Frequency.YEARLY, date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_periods_have_their_dates(text: str, frequency: Frequency, start: date, end: date) -> None:
    period = indicators_periods.parse(text, frequency)
    assert (period.start, period.end) == (start, end)
    assert indicators_periods.containing(end, frequency) == period


def test_a_period_of_another_frequency_is_refused_with_an_example() -> None:
    with pytest.raises(
        ValueError, match=r"'2026-03' is not a quarterly period \(write it like 2026-Q1\)"
    ):
        indicators_periods.parse("2026-03", Frequency.QUARTERLY)


def test_last_periods_run_across_years() -> None:
    end = indicators_periods.parse("2026-Q1", Frequency.QUARTERLY)
    labels = [p.label for p in indicators_periods.last_n(end, 5)]
    assert labels == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
