"""The reminder rules file: the shipped one is valid, mistakes point at their line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from qms.errors import DefinitionError
from qms.scheduler import rules
from qms.workflow.definition import load_all

ROOT = Path(__file__).resolve().parents[2]
STATES = rules.workflow_states(load_all(ROOT / "workflows").values())


def read(tmp_path: Path, text: str) -> rules.Reminders:
    path = tmp_path / "reminders.yaml"
    path.write_text(text, encoding="utf-8")
    return rules.read(path, STATES)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        read(tmp_path, text)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


RULE = """
rules:
  - id: action-due
    label: Action due
    record: improvement_action
    date: due_date
    to: [owner]
    before: [7, 1]
    overdue_every: 7
    escalate:
      - {after: 14, to: [pilot]}
      - {after: 30, to: [directors]}
"""


def test_the_shipped_rules_cover_every_date_the_issue_names() -> None:
    shipped = rules.read(ROOT / "workflows" / "reminders.yaml", STATES)
    watched = {(r.kind, r.date_field, r.date_plus_days) for r in shipped.rules}
    assert ("improvement_action", "due_date", 0) in watched
    assert ("improvement_action", "effectiveness_check_date", 0) in watched
    assert ("internal_audit", "planned_start", 0) in watched
    assert ("internal_audit", "planned_start", 30) in watched  # the audit report
    assert ("management_review", "planned_on", 0) in watched
    assert ("process_review", "planned_on", 0) in watched
    assert shipped.schedules.digest_at.strftime("%H:%M") == "07:30"


def test_a_rule_reminds_before_on_the_day_then_weekly_and_escalates(tmp_path: Path) -> None:
    rule = read(tmp_path, RULE).rules[0]
    timeline = {
        days: rule.occurrence(days) for days in (-9, -7, -3, -1, 0, 5, 7, 13, 14, 29, 30, 31)
    }
    assert timeline == {
        -9: None, -7: -7, -3: -7, -1: -1, 0: 0, 5: 0, 7: 7, 13: 7, 14: 14, 29: 28, 30: 30, 31: 30,
    }  # fmt: skip
    assert rule.recipients_at(7) == ("owner",)
    assert rule.recipients_at(14) == ("owner", "pilot")
    assert rule.recipients_at(30) == ("owner", "pilot", "directors")


def test_the_open_states_are_the_default(tmp_path: Path) -> None:
    rule = read(tmp_path, RULE).rules[0]
    assert "closed" not in rule.states and "rejected" not in rule.states
    assert "in_progress" in rule.states


def test_every_mistake_is_reported_with_its_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """rules:
  - id: one
    label: Unknown kind
    record: purchase_order
    date: due_date
    to: [owner]
  - id: two
    label: Unknown date
    record: improvement_action
    date: deadline
    to: [owner]
  - id: two
    label: Bad state
    record: improvement_action
    date: due_date
    states: [in_progress, finished]
    to: [owner]
""",
    )
    assert found[0].startswith("4: rule 'one': unknown record kind 'purchase_order'")
    assert found[1].startswith("10: rule 'two': 'improvement_action' has no date 'deadline'")
    assert "due_date" in found[1]
    assert found[2] == "12: duplicate rule 'two' (first at line 7)"
    assert found[3].startswith("16: rule 'two': 'finished' is not a state of improvement_action")


def test_schema_errors_name_the_key_and_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """schedules:
  digest_at: "25:00"
rules:
  - id: a
    label: A
    record: improvement_action
    date: due_date
    to: [boss]
    remind: yes
""",
    )
    assert any(line.startswith("2: schedules.digest_at") for line in found), found
    assert any(line.startswith("8: rules[0].to[0]") for line in found), found
    assert any(line.startswith("9: unknown key 'rules[0].remind' (") for line in found), found


def test_a_rule_that_never_reminds_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """rules:
  - id: silent
    label: Silent
    record: improvement_action
    date: due_date
    to: [owner]
    on_the_day: false
""",
    )
    assert found == [
        "2: rule 'silent' never reminds: give 'before', 'on_the_day', 'overdue_every' or 'escalate'"
    ]


def test_an_optional_rule_for_a_missing_capability_is_listed_inactive(tmp_path: Path) -> None:
    loaded = read(
        tmp_path,
        RULE
        + """  - id: measurement-due
    label: Measurement due
    record: supplier_rating
    date: due_on
    to: [pilot]
    optional: true
""",
    )
    assert [r.id for r in loaded.rules] == ["action-due"]
    assert loaded.inactive[0][0] == "measurement-due"
    assert "unknown record kind 'supplier_rating'" in loaded.inactive[0][1]


EXTREMES = """
schedules:
  plan_every_minutes: 1440
  dispatch_every_seconds: 86400
  review_pack: {days_before: 3660}
  measurements: {every_days: 3660, escalate_after_days: 3660, look_back_days: 3660}
rules:
  - id: far-ahead
    label: Far ahead
    record: improvement_action
    date: due_date
    date_plus_days: DELTA
    to: [owner]
    before: [3660, 1]
    overdue_every: 3660
    escalate:
      - {after: 3660, to: [pilot]}
"""


@pytest.mark.parametrize("delta", [-3660, 3660])
def test_a_rule_at_every_bound_is_accepted_and_can_be_planned(tmp_path: Path, delta: int) -> None:
    rule = read(tmp_path, EXTREMES.replace("DELTA", str(delta))).rules[0]
    low, high = rule.window(date(2026, 1, 5))
    assert low is None and abs((high - date(2026, 1, 5)).days) <= 2 * rules.MAX_DAYS
    assert rule.deadline(high) - high == timedelta(days=delta)
    assert rule.occurrence(3660) == 3660


BARE_RULE = """rules:
  - id: action-due
    label: Action due
    record: improvement_action
    date: due_date
    to: [owner]
"""


@pytest.mark.parametrize(
    ("line", "field", "bound"),
    [
        ("before: [99999999999999999999]", "before", "3660"),
        ("before: [7, 3661]", "before", "3660"),
        ("date_plus_days: 100000000", "date_plus_days", "3660"),
        ("date_plus_days: -3661", "date_plus_days", "-3660"),
        ("overdue_every: 99999999999", "overdue_every", "3660"),
        ("escalate: [{after: 3661, to: [pilot]}]", "after", "3660"),
        ("before: [" + ", ".join(map(str, range(1, 52))) + "]", "before", "50"),
    ],
)
def test_a_number_no_date_can_hold_is_refused_with_its_line(
    tmp_path: Path, line: str, field: str, bound: str
) -> None:
    found = problems(tmp_path, f"{BARE_RULE}    {line}\n")
    assert len(found) == 1, found
    assert found[0].startswith("7: ") and field in found[0] and bound in found[0], found


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("plan_every_minutes", 1441),
        ("dispatch_every_seconds", 86401),
        ("review_pack", "{days_before: 3661}"),
        ("measurements", "{every_days: 3661}"),
        ("measurements", "{escalate_after_days: 99999999}"),
        ("measurements", "{look_back_days: 99999999}"),
    ],
)
def test_every_schedule_number_is_bounded(tmp_path: Path, key: str, value: object) -> None:
    found = problems(tmp_path, f"schedules:\n  {key}: {value}\n{RULE.lstrip()}")
    assert len(found) == 1 and found[0].startswith(f"2: schedules.{key}"), found
