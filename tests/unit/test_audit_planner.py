"""Spreading audits over a cycle, and reading the audit settings."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from qms.audit_policy import parse_closed_periods, parse_due_days, parse_finding_types
from qms.config import load_settings
from qms.errors import ConfigError
from qms.services.audits.planner import Need, propose

START, END = date(2027, 1, 1), date(2027, 12, 31)
PERIODS = parse_closed_periods("07-14..08-31,12-20..01-04")


def everyone(_auditor: str, _process: str, _day: date) -> bool:
    return True


def test_audits_avoid_weekends_and_closed_periods() -> None:
    needs = [Need(f"P-{i:02d}", 2, None, "") for i in range(20)]
    slots = propose(needs, ["a", "b", "c"], everyone, START, END, PERIODS, 9)
    assert len(slots) == 40
    for slot in slots:
        assert slot.on.weekday() < 5
        assert not (date(2027, 7, 14) <= slot.on <= date(2027, 8, 31)), slot
        assert slot.on > date(2027, 1, 4)


def test_no_auditor_leads_more_than_the_monthly_maximum() -> None:
    needs = [Need(f"P-{i:02d}", 1, None, "") for i in range(30)]
    slots = propose(needs, ["a", "b"], everyone, START, END, PERIODS, 1)
    per_month = Counter((s.lead, s.on.month) for s in slots if s.lead)
    assert max(per_month.values()) == 1
    assert sum(s.lead is None for s in slots) == 30 - len(per_month)


def test_an_auditor_never_leads_the_audit_of_their_own_process() -> None:
    def impartial(auditor: str, process: str, _day: date) -> bool:
        return not (auditor == "a" and process == "OWN")

    slots = propose([Need("OWN", 2, None, "")], ["a", "b"], impartial, START, END, PERIODS, 2)
    assert [s.lead for s in slots] == ["b", "b"]


def test_a_process_with_a_deadline_is_audited_before_it() -> None:
    needs = [Need(f"P-{i:02d}", 1, None, "") for i in range(12)]
    needs.append(Need("LATE", 2, date(2027, 7, 1), "major nonconformity"))
    slots = propose(needs, ["a"], everyone, START, END, PERIODS, 5)
    late = sorted(s.on for s in slots if s.process == "LATE")
    assert late[0] < date(2027, 7, 1) and late[1] >= date(2027, 7, 1)


def test_a_process_that_retires_in_the_cycle_is_audited_before_it_retires() -> None:
    needs = [Need(f"P-{i:02d}", 1, None, "") for i in range(12)]
    needs.append(Need("GOING", 2, None, "", until=date(2027, 4, 1)))
    needs.append(Need("GONE", 1, None, "", until=date(2027, 1, 4)))  # before any open day
    slots = propose(needs, ["a", "b"], everyone, START, END, PERIODS, 5)
    going = [s.on for s in slots if s.process == "GOING"]
    assert len(going) == 2 and all(day < date(2027, 4, 1) for day in going)
    assert not [s for s in slots if s.process == "GONE"]
    assert len(slots) == 14


def test_a_year_round_closed_period_wraps_over_new_year() -> None:
    (winter,) = parse_closed_periods("12-20..01-04")
    assert winter.covers(date(2027, 1, 2)) and winter.covers(date(2027, 12, 24))
    assert not winter.covers(date(2027, 1, 5))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("audit_closed_periods", "07-14-08-31", "give MM-DD..MM-DD"),
        ("audit_closed_periods", "02-30..03-01", "give MM-DD..MM-DD"),
        ("audit_due_days", "major=soon", "give grade=days"),
        ("audit_finding_types", "observation,observation", "distinct finding types"),
    ],
)
def test_a_malformed_audit_setting_names_its_variable(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=f"QMS_{variable.upper()}.*{message}"):
        load_settings(**{variable: value})


def test_finding_types_mark_nonconformities_by_their_grade() -> None:
    types = {t.name: t for t in parse_finding_types("strength,major_nc:major,minor_nc:minor")}
    assert types["major_nc"].grade == "major" and not types["strength"].is_nonconformity
    assert parse_due_days("major=15, minor=60") == {"major": 15, "minor": 60}
