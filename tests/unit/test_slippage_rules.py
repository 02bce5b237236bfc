"""Reminder rules by month and on a computed state: the shipped slippage rule (clause 9.2.2)
and the mistakes such a rule can make, each named with its line."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from qms.errors import DefinitionError
from qms.scheduler import rules
from qms.workflow.definition import load_all

ROOT = Path(__file__).resolve().parents[2]
STATES = rules.workflow_states(load_all(ROOT / "workflows").values())


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "reminders.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        rules.read(path, STATES)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_the_shipped_slippage_rule_reminds_the_day_after_the_planned_month() -> None:
    shipped = rules.read(ROOT / "workflows" / "reminders.yaml", STATES)
    rule = shipped.rule("audit-slipped")
    assert rule is not None and rule.kind == "audit_programme_entry"
    assert rule.states == ("planned",)
    assert rule.deadline(date(2027, 2, 3)) == date(2027, 2, 28)
    assert rule.deadline(date(2028, 2, 29)) == date(2028, 2, 29)
    assert [rule.occurrence(days) for days in (0, 1, 6, 7, 29, 30)] == [None, 1, 1, 7, 28, 30]
    assert rule.recipients_at(1) == ("correspondents",)
    assert rule.recipients_at(30) == ("correspondents", "quality_managers")


def test_a_month_rule_reads_every_entry_of_the_month_that_just_passed() -> None:
    shipped = rules.read(ROOT / "workflows" / "reminders.yaml", STATES)
    rule = shipped.rule("audit-slipped")
    assert rule is not None
    once = dataclasses.replace(rule, overdue_every=None, escalate=())  # only "a day late"
    assert once.window(date(2027, 3, 1)) == (date(2027, 2, 1), date(2027, 2, 28))


RULE = """rules:
  - id: slipped
    label: Slipped
    record: audit_programme_entry
    date: planned_on
    deadline: end_of_month
    states: [planned, late]
    to: [correspondents]
    on_the_day: false
    after: [0, 1]
"""


def test_a_computed_state_and_days_late_are_checked_with_their_line(tmp_path: Path) -> None:
    found = problems(tmp_path, RULE)
    assert sorted(found) == [
        "10: rule 'slipped': 'after' counts days late, 1 or more (got 0)",
        "7: rule 'slipped': 'late' is not a state of audit_programme_entry "
        "(planned, started, done, cancelled, retired, not_carried_out)",
    ]


def test_a_deadline_is_the_date_or_the_end_of_its_month(tmp_path: Path) -> None:
    found = problems(tmp_path, RULE.replace("end_of_month", "next_week"))
    assert len(found) == 1 and found[0].startswith("6: rules[0].deadline"), found
