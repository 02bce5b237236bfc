"""Spreading a cycle's audits over its months (clause 9.2.2 a): pure, so it is easy to test.

Each process needs a number of audits in the cycle (from its importance) and may have a
deadline (a process with a major nonconformity or an overdue corrective action in the
previous cycle is audited early), and may retire during the cycle (its audits come before
that day). Audits go to the least loaded open month of their window, on an open day (not a
weekend, not a closed period), led by the least loaded impartial auditor who has not reached
the monthly maximum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from qms.audit_policy import ClosedPeriod, is_closed

Month = tuple[int, int]
MayAudit = Callable[[str, str, date], bool]  # (auditor, process code, day) -> impartial?


@dataclass(frozen=True)
class Need:
    process: str
    count: int
    deadline: date | None  # the first audit happens before this day
    reason: str
    until: date | None = None  # the process retires on this day: every audit is before it


@dataclass(frozen=True)
class Slot:
    process: str
    on: date
    lead: str | None
    reason: str


@dataclass
class _Load:
    months: Counter[Month]
    days: Counter[date]
    auditor_month: Counter[tuple[str, Month]]
    auditor_total: Counter[str]


def months_between(start: date, end: date) -> list[Month]:
    months, (year, month) = [], (start.year, start.month)
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def open_days(month: Month, periods: Sequence[ClosedPeriod], start: date, end: date) -> list[date]:
    day, found = date(month[0], month[1], 1), []
    while day.month == month[1]:
        if start <= day <= end and not is_closed(day, list(periods)):
            found.append(day)
        day += timedelta(days=1)
    return found


def _windows(need: Need, months: list[Month]) -> list[list[Month]]:
    if need.deadline is not None:
        deadline = need.deadline
        early = [m for m in months if date(m[0], m[1], 1) < deadline] or months[:1]
        rest = [m for m in months if m not in early] or months
        return [early, *_split(rest, need.count - 1)]
    return _split(months, need.count)


def _split(months: list[Month], count: int) -> list[list[Month]]:
    if count <= 0:
        return []
    size = len(months)
    return [months[i * size // count : (i + 1) * size // count] or months for i in range(count)]


def propose(
    needs: Sequence[Need],
    auditors: Sequence[str],
    may_audit: MayAudit,
    start: date,
    end: date,
    periods: Sequence[ClosedPeriod],
    max_per_month: int,
) -> list[Slot]:
    """One slot per audit needed, in date order."""
    days = {m: open_days(m, periods, start, end) for m in months_between(start, end)}
    months = [m for m, found in days.items() if found]
    load = _Load(Counter(), Counter(), Counter(), Counter())
    slots: list[Slot] = []
    ordered = sorted(needs, key=lambda n: (n.deadline is None, -n.count, n.process))
    for need in ordered:
        usable = {m: _before(found, need.until) for m, found in days.items()}
        open_months = [m for m in months if usable[m]]
        if not open_months:  # the process retires before any open day of the cycle
            continue
        for window in _windows(need, open_months):
            month = min(window, key=lambda m: (load.months[m], window.index(m)))
            day = _pick_day(usable[month], load, month)
            lead = _pick_lead(need.process, day, month, auditors, may_audit, load, max_per_month)
            slots.append(Slot(need.process, day, lead, need.reason))
    return sorted(slots, key=lambda s: (s.on, s.process))


def _before(days: list[date], until: date | None) -> list[date]:
    return days if until is None else [d for d in days if d < until]


def _pick_day(candidates: list[date], load: _Load, month: Month) -> date:
    target = 3 + 7 * (load.months[month] % 4)  # spread a month's audits over its weeks
    day = min(candidates, key=lambda d: (load.days[d], abs(d.day - target), d))
    load.months[month] += 1
    load.days[day] += 1
    return day


def _pick_lead(
    process: str,
    day: date,
    month: Month,
    auditors: Sequence[str],
    may_audit: MayAudit,
    load: _Load,
    max_per_month: int,
) -> str | None:
    free = [
        a
        for a in auditors
        if load.auditor_month[(a, month)] < max_per_month and may_audit(a, process, day)
    ]
    if not free:
        return None
    lead = min(free, key=lambda a: (load.auditor_total[a], a))
    load.auditor_month[(lead, month)] += 1
    load.auditor_total[lead] += 1
    return lead
