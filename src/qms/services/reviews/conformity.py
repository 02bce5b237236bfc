"""Inputs c 4 and c 6 of a management review (clause 9.3.2): nonconformities and corrective
actions, and audit results, built from the review's data like the other inputs of c
(:mod:`qms.services.reviews.performance`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from statistics import median
from typing import Any

from qms.reporting.words import plural
from qms.services.reviews.data import FindingInfo, NcInfo, ReviewData
from qms.services.reviews.performance import late_table
from qms.services.reviews.tables import (
    LONGEST,
    Section,
    Table,
    num,
    shortened,
)

OVERDUE = "overdue-actions"  # the id of the one list of overdue actions (the summary links it)

# Findings from the most to the least serious, as an auditor reads them.

FINDING_ORDER = {
    "major_nonconformity": 0,
    "minor_nonconformity": 1,
    "observation": 2,
    "opportunity_for_improvement": 3,
    "strength": 4,
    "conformity": 5,
}


def nonconformities(data: ReviewData, s: Section) -> None:
    ncs = [n for n in data.nonconformities if data.in_period(n.detected_on)]
    corrective = [a for a in data.actions if a.kind == "corrective"]
    if not ncs and not corrective:
        s.missing_reason = "no nonconformity and no corrective action recorded"
        return
    severities = Counter(n.severity for n in ncs)
    late = [a for a in data.actions if a.days_overdue]
    waiting = sum(n.state == "action_planned" for n in data.nonconformities)
    repeats = sum(n.is_repeat for n in ncs)
    s.summary = (  # each corrective action once: they are action records of the register
        f"{plural(len(ncs), 'nonconformity')} in the period ({_counts(data, severities)}), "
        f"{plural(repeats, 'repeat')}; "
        f"{plural(sum(a.is_open for a in corrective), 'corrective action')} open, "
        f"{plural(waiting, 'nonconformity')} waiting on theirs; "
        f"{plural(len(late), 'action')} overdue"
    )
    s.tables.append(
        Table(
            "Per process: nonconformities, and days from proposal to closure of actions",
            (
                "process",
                "detected",
                "major",
                "repeats",
                "open",
                "overdue",
                "actions closed",
                "median days to close",
            ),
            _process_rows(data, ncs),
            widths=(14, 11, 10, 11, 10, 11, 14, 19),
            numeric=frozenset(range(1, 8)),
        )
    )
    late.sort(key=lambda a: -a.days_overdue)
    shown = late[:LONGEST]
    title = f"Overdue actions, the most late first ({len(shown)} of {len(late)})"
    where = "`qms action list --overdue` lists them all; 9.3.2 c 3 counts them per process"
    table = shortened(late_table(data, title, shown), len(late) - len(shown), where)
    table.anchor = OVERDUE
    s.tables.append(table)


def _process_rows(data: ReviewData, ncs: Sequence[NcInfo]) -> list[tuple[str, ...]]:
    """Per process: its nonconformities of the period, then its actions closed and the
    median days from proposal to closure (one row per process, a 25-process institution
    gives 25 rows)."""
    by: dict[str, Counter[str]] = {}
    for n in ncs:
        c = by.setdefault(n.process, Counter())
        c["all"] += 1
        c["major"] += n.severity == "major"
        c["repeats"] += n.is_repeat
        c["open"] += n.state not in ("closed", "cancelled")
        c["overdue"] += n.overdue
    days: dict[str, list[int]] = {}
    for a in data.actions:
        closed = data.close_days.get(a.id)
        if closed is not None:
            days.setdefault(a.process, []).append(closed)
    counted = ("all", "major", "repeats", "open", "overdue")
    return [
        (
            p,
            *(str(by.get(p, Counter())[k]) for k in counted),
            str(len(days.get(p, []))),
            num(round(median(days[p]), 1)) if p in days else "—",
        )
        for p in sorted(by.keys() | days.keys())
    ]


def audits(data: ReviewData, s: Section) -> None:
    audits_ = [a for a in data.audits if data.in_period(a.planned_start)]
    ids = {a.id for a in audits_}
    findings = [f for f in data.findings if f.audit_id in ids or f.audit_id is None]
    programmes = [p.as_of({a.id: a.state for a in data.audits}) for p in data.programmes]
    if not audits_ and not findings and not programmes:
        s.missing_reason = "no internal audit recorded for the period"
        return
    types = Counter(f.finding_type for f in findings)
    s.summary = (
        f"{plural(len(audits_), 'internal audit')}, {plural(len(findings), 'finding')} "
        f"({_counts(data, types, 'finding_type')})"
    )
    s.summary += "".join(f"; {p.summary()}" for p in programmes)  # slippage, clause 9.2.2
    for p in programmes:
        title = f"Late audits of the {p.cycle} programme (planned month passed, not started)"
        s.tables.append(_late_audits(data, title, [a.entry for a in p.late]))
    listed = sorted(audits_, key=lambda a: a.planned_start or date.min)[-LONGEST:]
    table = Table(
        "Internal audits" + (f", the {len(listed)} latest" if len(listed) < len(audits_) else ""),
        ("audit", "process", "planned", "state", "title"),
        [
            (
                f"#{a.id}",
                a.process or "—",
                data.day(a.planned_start),
                data.state("internal_audit", a.state),
                a.title[:1].upper() + a.title[1:],
            )
            for a in listed
        ],
        widths=(8, 11, 15, 20, 46),
    )
    where = "`qms audit list` lists them all"
    s.tables.append(shortened(table, len(audits_) - len(listed), where))
    s.tables.append(_findings_by_type(data, findings))


def _late_audits(data: ReviewData, title: str, entries: Sequence[Any]) -> Table:
    rows = [
        (
            e.process,
            data.day(e.planned_on),
            "Not scheduled"
            if e.audit_id is None
            else f"#{e.audit_id} {data.state('internal_audit', e.audit_state)}",
            data.person(e.lead_auditor),
        )
        for e in entries
    ]
    columns = ("process", "planned", "audit", "lead auditor")
    return Table(title, columns, rows, frozenset(range(len(rows))), (14, 16, 40, 30))


def _findings_by_type(data: ReviewData, findings: Sequence[FindingInfo]) -> Table:
    """One row per type of finding, the processes where it was found: never wider than
    the page, whatever the number of types."""
    by: dict[str, Counter[str]] = {}
    for f in findings:
        by.setdefault(f.finding_type, Counter())[f.process or "—"] += 1
    rows = [
        (
            data.words.term("finding_type", kind),
            str(sum(c.values())),
            ", ".join(f"{p} ({n})" if n > 1 else p for p, n in sorted(c.items())),
        )
        for kind, c in sorted(by.items(), key=lambda item: FINDING_ORDER.get(item[0], 99))
    ]
    flagged = frozenset(
        i
        for i, (kind, _) in enumerate(
            sorted(by.items(), key=lambda item: FINDING_ORDER.get(item[0], 99))
        )
        if "nonconformity" in kind
    )
    return Table(
        "Findings by type",
        ("type", "findings", "processes"),
        rows,
        flagged,
        (30, 12, 58),
        frozenset({1}),
    )


def _counts(data: ReviewData, counter: Counter[str], group: str = "severity") -> str:
    """ "3 major, 2 minor" or "3 major nonconformities, 2 observations": labels, not codes."""
    return (
        ", ".join(
            f"{n} {data.words.term(group, k).lower()}"
            if group == "severity"
            else plural(n, data.words.term(group, k).lower())
            for k, n in sorted(counter.items(), key=lambda item: FINDING_ORDER.get(item[0], 99))
        )
        or "none"
    )
