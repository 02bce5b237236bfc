"""The input c of a management review: the performance of the QMS (clause 9.3.2 c 1-7).

One builder per item, from customer satisfaction (c 1) to external providers (c 7), each
filling its :class:`~qms.services.reviews.tables.Section` from the :class:`ReviewData`;
:mod:`qms.services.reviews.inputs` lists them with the other inputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from statistics import median

from qms.models import Topic
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import ActionInfo, BreachInfo, NcInfo, ReviewData
from qms.services.reviews.tables import (
    Section,
    Table,
    about,
    day_text,
    indicator_table,
    num,
    off_target,
    with_values,
)


def customer_satisfaction(data: ReviewData, s: Section) -> None:
    series = with_values(about(data, Topic.CUSTOMER_SATISFACTION))
    complaints = [
        n for n in data.nonconformities if n.source == "complaint" and data.in_period(n.detected_on)
    ]
    if not series and not complaints:
        s.missing_reason = "no customer-satisfaction indicator value and no complaint recorded"
        return
    s.summary = (
        f"{len(series)} satisfaction indicators, {off_target(series)} off target; "
        f"{len(complaints)} complaints logged as nonconformities"
    )
    s.tables.append(indicator_table("Satisfaction and feedback indicators", series, data))
    s.charts = [x.indicator.code for x in series]
    if complaints:
        s.tables.append(
            Table(
                "Complaints",
                ("nc", "process", "detected", "title", "state"),
                [
                    (f"#{n.id}", n.process, day_text(n.detected_on), n.title, n.state)
                    for n in complaints
                ],
            )
        )


def objectives(data: ReviewData, s: Section) -> None:
    series = with_values(about(data, Topic.QUALITY_OBJECTIVE))
    if not series:
        s.missing_reason = "no indicator is declared as measuring a quality objective"
        return
    met = sum(1 for x in series if x.status == Status.ON_TARGET)
    s.summary = f"{met} of {len(series)} quality objectives met on their latest value"
    s.tables.append(indicator_table("Quality objectives", series, data))


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
            "Per process",
            (
                "process",
                "on target",
                "off target",
                "alert",
                "no value",
                "ncs in period",
                "open actions",
                "overdue",
            ),
            rows,
            flagged,
        )
    )
    reviews = [r for r in data.process_reviews if r.held_on and data.in_period(_date(r.held_on))]
    s.summary = (
        f"{len(by_process)} processes; {len(reviews)} process reviews held in the period; "
        f"{len(flagged)} processes with an alert or overdue actions"
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
                        r.held_on or "",
                        r.intended_results_met or "",
                        r.evaluation,
                    )
                    for r in reviews
                ],
                frozenset(i for i, r in enumerate(reviews) if r.intended_results_met == "no"),
            )
        )


def nonconformities(data: ReviewData, s: Section) -> None:
    ncs = [n for n in data.nonconformities if data.in_period(n.detected_on)]
    corrective = [a for a in data.actions if a.kind == "corrective"]
    if not ncs and not corrective:
        s.missing_reason = "no nonconformity and no corrective action recorded"
        return
    severities = Counter(n.severity for n in ncs)
    late = [a for a in data.actions if a.days_overdue]
    waiting = sum(n.state == "action_planned" for n in data.nonconformities)
    s.summary = (  # each corrective action once: they are action records of the register
        f"{len(ncs)} nonconformities in the period ({_counts(severities)}), "
        f"{sum(n.is_repeat for n in ncs)} repeats; {sum(a.is_open for a in corrective)} "
        f"corrective actions open, {waiting} nonconformities waiting on theirs; "
        f"{len(late)} actions overdue"
    )
    figures = _days_to_close(data)
    s.tables.append(
        Table(
            "Nonconformities by process",
            ("process", "detected", "major", "repeats", "open", "overdue"),
            _nc_rows(ncs),
        )
    )
    if figures:
        s.tables.append(
            Table(
                "Improvement actions: days from proposal to closure (median)",
                ("process", "closed", "median days"),
                figures,
            )
        )
    late.sort(key=lambda a: -a.days_overdue)
    s.tables.append(_late_table(late))


def _days_to_close(data: ReviewData) -> list[tuple[str, ...]]:
    """Per process: actions closed, and the median days from proposal to closure."""
    by: dict[str, list[int]] = {}
    for a in data.actions:
        days = data.close_days.get(a.id)
        if days is not None:
            by.setdefault(a.process, []).append(days)
    return [(p, str(len(d)), num(median(d))) for p, d in sorted(by.items())]


def _nc_rows(ncs: Sequence[NcInfo]) -> list[tuple[str, ...]]:
    by: dict[str, Counter[str]] = {}
    for n in ncs:
        c = by.setdefault(n.process, Counter())
        c["all"] += 1
        c["major"] += n.severity == "major"
        c["repeats"] += n.is_repeat
        c["open"] += n.state not in ("closed", "cancelled")
        c["overdue"] += n.overdue
    return [
        (p, str(c["all"]), str(c["major"]), str(c["repeats"]), str(c["open"]), str(c["overdue"]))
        for p, c in sorted(by.items())
    ]


def _late_table(late: Sequence[ActionInfo]) -> Table:
    return Table(
        "Overdue actions",
        ("action", "process", "owner", "due", "days late", "title"),
        [
            (
                f"#{a.id}",
                a.process,
                a.owner or "—",
                day_text(a.due_date),
                str(a.days_overdue),
                a.title,
            )
            for a in late
        ],
        frozenset(range(len(late))),
    )


def monitoring(data: ReviewData, s: Section) -> None:
    series = data.series
    if not with_values(series):
        s.missing_reason = "no indicator value recorded"
        return
    counts = Counter(x.status for x in series)
    s.summary = (
        f"{len(series)} indicators: {counts[Status.ON_TARGET]} on target, {counts[Status.WATCH]} "
        f"off target, {counts[Status.BREACH]} past their alert threshold, {counts[None]} without "
        f"value; {len(data.breaches)} breaches raised, {len(data.missing)} measurements missing"
    )
    s.tables.append(indicator_table("All indicators", series, data))
    if data.breaches:
        s.tables.append(
            Table(
                "Breaches raised in the period",
                ("indicator", "period", "value", "alert", "decision"),
                [
                    (b.indicator, b.period, num(b.value), num(b.threshold), _breach_decision(b))
                    for b in data.breaches
                ],
                frozenset(i for i, b in enumerate(data.breaches) if b.state == "open"),
            )
        )
    if data.missing:
        s.tables.append(
            Table(
                "Measurements missing past their due date",
                ("indicator", "process", "period", "due", "owner"),
                [
                    (m.indicator, m.process, m.period, day_text(m.due_on), m.owner or "—")
                    for m in data.missing
                ],
                frozenset(range(len(data.missing))),
            )
        )
    s.charts = [x.indicator.code for x in series if x.latest is not None]


def audits(data: ReviewData, s: Section) -> None:
    audits_ = [a for a in data.audits if data.in_period(a.planned_start)]
    ids = {a.id for a in audits_}
    findings = [f for f in data.findings if f.audit_id in ids or f.audit_id is None]
    programmes = [p.as_of({a.id: a.state for a in data.audits}) for p in data.programmes]
    if not audits_ and not findings and not programmes:
        s.missing_reason = "no internal audit recorded for the period"
        return
    types = Counter(f.finding_type for f in findings)
    s.summary = f"{len(audits_)} internal audits, {len(findings)} findings ({_counts(types)})"
    s.summary += "".join(f"; {p.summary()}" for p in programmes)  # slippage, clause 9.2.2
    for p in programmes:
        late = p.late_rows()
        title = f"Late audits of the {p.cycle} programme (planned month passed, not started)"
        s.tables.append(Table(title, p.LATE_COLUMNS, late, frozenset(range(len(late)))))
    s.tables.append(
        Table(
            "Internal audits",
            ("audit", "process", "planned", "state", "title"),
            [
                (f"#{a.id}", a.process or "—", day_text(a.planned_start), a.state, a.title)
                for a in audits_
            ],
        )
    )
    by: dict[str, Counter[str]] = {}
    for f in findings:
        by.setdefault(f.process or "—", Counter())[f.finding_type] += 1
    kinds = sorted(types)
    s.tables.append(
        Table(
            "Findings by process and type",
            ("process", *kinds),
            [(p, *(str(c[k]) for k in kinds)) for p, c in sorted(by.items())],
        )
    )


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
    s.summary = f"{len(series)} external-provider indicators, {off_target(series)} off target"
    s.tables.append(indicator_table("External providers", series, data))
    s.charts = [x.indicator.code for x in series]


# --- helpers --------------------------------------------------------------------------------


def external_provider_processes(data: ReviewData) -> frozenset[str]:
    """The processes that deal with external providers: those with an indicator about them."""
    return frozenset(
        data.process_of[x.indicator.id]
        for x in data.series
        if Topic.EXTERNAL_PROVIDERS.value in (x.indicator.topics or [])
    )


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counter.items())) or "none"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _breach_decision(b: BreachInfo) -> str:
    state = b.state
    if state == "accepted":
        return f"action #{b.action_id}"
    if state == "dismissed":
        return f"dismissed: {b.reason}"
    return "awaiting the pilot" if state == "open" else state
