"""The input c of a management review: the performance of the QMS (clause 9.3.2 c 1-7).

One builder per item, from customer satisfaction (c 1) to external providers (c 7), each
filling its :class:`~qms.services.reviews.tables.Section` from the :class:`ReviewData`;
:mod:`qms.services.reviews.inputs` lists them with the other inputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from qms.models import Topic
from qms.reporting.words import plural
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import ActionInfo, BreachInfo, ReviewData
from qms.services.reviews.digest import FULL, attention_table
from qms.services.reviews.tables import (
    LONGEST,
    Section,
    Table,
    about,
    indicator_table,
    num,
    off_target,
    shortened,
    with_values,
)

NC = "nonconformity"


def customer_satisfaction(data: ReviewData, s: Section) -> None:
    series = with_values(about(data, Topic.CUSTOMER_SATISFACTION))
    complaints = [
        n for n in data.nonconformities if n.source == "complaint" and data.in_period(n.detected_on)
    ]
    if not series and not complaints:
        s.missing_reason = "no customer-satisfaction indicator value and no complaint recorded"
        return
    s.summary = (
        f"{plural(len(series), 'satisfaction indicator')}, {off_target(series)} off target; "
        f"{plural(len(complaints), 'complaint')} logged as nonconformities"
    )
    s.tables.append(attention_table("Satisfaction indicators off target", series, data))
    if complaints:
        left_out = len(complaints) - LONGEST
        complaints = sorted(complaints, key=lambda n: n.detected_on or date.min)[-LONGEST:]
        table = Table(
            "Complaints" + (f", the {len(complaints)} latest" if left_out > 0 else ""),
            ("nonconformity", "process", "detected", "title", "state"),
            [
                (
                    f"#{n.id}",
                    n.process,
                    data.day(n.detected_on),
                    n.title,
                    data.state(NC, n.state),
                )
                for n in complaints
            ],
            widths=(14, 10, 15, 41, 20),
        )
        s.tables.append(shortened(table, left_out, "`qms nc list --origin complaint`"))


def objectives(data: ReviewData, s: Section) -> None:
    series = with_values(about(data, Topic.QUALITY_OBJECTIVE))
    if not series:
        s.missing_reason = "no indicator is declared as measuring a quality objective"
        return
    met = sum(1 for x in series if x.status == Status.ON_TARGET)
    s.summary = f"{met} of {plural(len(series), 'quality objective')} met on their latest value"
    s.tables.append(attention_table("Quality objectives not met", series, data, "objective"))


def process_performance(data: ReviewData, s: Section) -> None:
    by_process: dict[str, Counter[str]] = {}
    for x in data.series:
        counts = by_process.setdefault(data.process_of[x.indicator.id], Counter())
        counts[x.status.value if x.status else "no value"] += 1
    for a in data.actions:
        counts = by_process.setdefault(a.process, Counter())
        counts["open actions"] += a.is_open
        counts["overdue actions"] += bool(a.days_overdue)
    for n in data.nonconformities:
        by_process.setdefault(n.process, Counter())["ncs"] += data.in_period(n.detected_on)
    if not data.series and not data.process_reviews:
        s.missing_reason = "no indicator and no process review recorded"
        return
    rows = [
        (
            code,
            str(c["on_target"]),
            str(c[Status.WATCH.value]),
            str(c[Status.BREACH.value]),
            str(c["no value"]),
            str(c["ncs"]),
            str(c["open actions"]),
            str(c["overdue actions"]),
        )
        for code, c in sorted(by_process.items())
    ]
    flagged = frozenset(i for i, r in enumerate(rows) if r[3] != "0" or r[7] != "0")
    s.tables.append(
        Table(
            "Per process: indicators by status, nonconformities and actions",
            (
                "process",
                "on target",
                "off target",
                "alert",
                "no value",
                "nonconformities in the period",
                "open actions",
                "overdue actions",
            ),
            rows,
            flagged,
            (12, 11, 11, 10, 11, 17, 14, 14),
            frozenset(range(1, 8)),
        )
    )
    reviews = [r for r in data.process_reviews if r.held_on and data.in_period(as_day(r.held_on))]
    s.summary = (
        f"{plural(len(by_process), 'process')}; {plural(len(reviews), 'process review')} "
        f"held in the period; {plural(len(flagged), 'process')} with an alert or overdue actions"
    )
    if reviews:
        s.tables.append(
            Table(
                "Process reviews held",
                ("review", "process", "held on", "intended results met", "evaluation"),
                [
                    (
                        f"#{r.id}",
                        r.process,
                        data.day(as_day(r.held_on or "")),
                        (r.intended_results_met or "—").capitalize(),
                        r.evaluation,
                    )
                    for r in reviews
                ],
                frozenset(i for i, r in enumerate(reviews) if r.intended_results_met == "no"),
                (9, 10, 13, 14, 54),
            )
        )


def late_table(data: ReviewData, title: str, late: Sequence[ActionInfo]) -> Table:
    """Overdue actions, most late first as given: who owns each, due when, how late (four
    columns: each cell costs the PDF about a millisecond)."""
    return Table(
        title,
        ("action", "process", "owner", "due, days late"),
        [
            (
                f"#{a.id} {a.title}",
                a.process,
                data.person(a.owner),
                f"{data.day(a.due_date)}, {plural(a.days_overdue, 'day')}",
            )
            for a in late
        ],
        frozenset(range(len(late))),
        (45, 11, 22, 22),
    )


def monitoring(data: ReviewData, s: Section) -> None:
    series = data.series
    if not with_values(series):
        s.missing_reason = "no indicator value recorded"
        return
    counts = Counter(x.status for x in series)
    s.summary = (
        f"{plural(len(series), 'indicator')}: {counts[Status.ON_TARGET]} on target, "
        f"{counts[Status.WATCH]} off target, {counts[Status.BREACH]} past "
        f"{'its' if counts[Status.BREACH] == 1 else 'their'} alert threshold, "
        f"{counts[None]} without value; {plural(len(data.breaches), 'breach')} raised, "
        f"{plural(len(data.missing), 'measurement')} missing"
    )
    every = indicator_table("Every indicator: latest value, status and trend", series, data)
    every.anchor = FULL
    s.tables.append(every)
    if data.breaches:
        s.tables.append(_breaches(data))
    if data.missing:
        missing = data.missing[:LONGEST]
        table = Table(
            "Measurements missing past their due date",
            ("indicator", "process", "period", "due", "owner"),
            [
                (m.indicator, m.process, m.period, data.day(m.due_on), data.person(m.owner))
                for m in missing
            ],
            frozenset(range(len(missing))),
            (28, 12, 14, 16, 30),
        )
        left_out = len(data.missing) - len(missing)
        s.tables.append(shortened(table, left_out, "`qms indicator missing` lists them all"))
    s.charts = [x.indicator.code for x in series if x.latest is not None]  # figures picks


def _breaches(data: ReviewData) -> Table:
    """The breaches raised, those awaiting their pilot first, then the latest."""
    ordered = sorted(data.breaches, key=lambda b: b.state != "open")[:LONGEST]
    table = Table(
        "Breaches raised in the period",
        ("indicator", "period", "value", "alert", "decision"),
        [
            (b.indicator, b.period, num(b.value), num(b.threshold), _breach_decision(b))
            for b in ordered
        ],
        frozenset(i for i, b in enumerate(ordered) if b.state == "open"),
        (24, 12, 10, 10, 44),
        frozenset({2, 3}),
    )
    where = "`qms indicator breaches` lists them all"
    return shortened(table, len(data.breaches) - len(ordered), where)


def external_providers(data: ReviewData, s: Section) -> None:
    """c 7: every indicator ``about: [external_providers]`` in the indicators file, and every
    other indicator of the processes those belong to (purchasing, say: whatever the
    institution calls it and codes it)."""
    processes = external_provider_processes(data)
    series = with_values(
        x
        for x in data.series
        if data.process_of[x.indicator.id] in processes
        or Topic.EXTERNAL_PROVIDERS.value in (x.indicator.topics or [])
    )
    if not series:
        s.missing_reason = "no value of a purchasing or external-provider indicator"
        return
    s.summary = (
        f"{plural(len(series), 'external-provider indicator')}, {off_target(series)} off target"
    )
    s.tables.append(attention_table("External-provider indicators off target", series, data))


# --- helpers --------------------------------------------------------------------------------


def external_provider_processes(data: ReviewData) -> frozenset[str]:
    """The processes that deal with external providers: those with an indicator about them."""
    return frozenset(
        data.process_of[x.indicator.id]
        for x in data.series
        if Topic.EXTERNAL_PROVIDERS.value in (x.indicator.topics or [])
    )


def as_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _breach_decision(b: BreachInfo) -> str:
    state = b.state
    if state == "accepted":
        return f"Accepted: action #{b.action_id}"
    if state == "dismissed":
        return f"Dismissed: {b.reason}"
    return "Awaiting the pilot" if state == "open" else state.capitalize()
