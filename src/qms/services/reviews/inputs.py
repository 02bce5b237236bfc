"""The inputs of a management review (clause 9.3.2 a-f, the seven items of c), from the data.

Each input is one :class:`Section` with a one-line summary, tables and charts.  A section
with no data is flagged ``missing`` (shown in red in the pack) unless someone wrote a
note for it (``qms review note``): a note is data too, e.g. the changes in external
issues, which no record holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import median

from qms.models import Topic
from qms.services.capa.vocabulary import Origin
from qms.services.indicators.series import Series
from qms.services.indicators.service import Status
from qms.services.reviews.data import ActionInfo, BreachInfo, NcInfo, ReviewData

EXTERNAL_PROVIDER_PROCESSES = frozenset({"RSC-02"})  # purchasing
STATUS_TEXT = {Status.ON_TARGET: "on target", Status.WATCH: "off target", Status.BREACH: "alert"}
INDICATOR_COLUMNS = (
    "indicator",
    "name",
    "process",
    "latest",
    "value",
    "target",
    "alert",
    "status",
    "trend",
)


@dataclass
class Table:
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    flagged: frozenset[int] = frozenset()  # rows shown in red


@dataclass
class Section:
    key: str
    clause: str
    title: str
    summary: str = ""
    missing_reason: str = ""  # why there is no data
    note: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # indicator codes

    @property
    def missing(self) -> bool:
        return bool(self.missing_reason) and not self.note


def num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def indicator_table(title: str, all_series: Sequence[Series], data: ReviewData) -> Table:
    rows, flagged = [], set()
    for i, s in enumerate(all_series):
        latest, ind = s.latest, s.indicator
        state = s.status
        if state == Status.BREACH:
            flagged.add(i)
        rows.append(
            (
                ind.code,
                ind.name,
                data.process_of.get(ind.id, ""),
                latest.period if latest else "—",
                f"{num(latest.value)} {ind.unit}" if latest else "no value",
                num(ind.target),
                num(ind.alert_threshold),
                STATUS_TEXT[state] if state else "no value",
                s.trend,
            )
        )
    return Table(title, INDICATOR_COLUMNS, rows, frozenset(flagged))


def about(data: ReviewData, topic: Topic) -> list[Series]:
    return [s for s in data.series if topic.value in (s.indicator.topics or [])]


def _with_values(series: Iterable[Series]) -> list[Series]:
    return [s for s in series if s.latest is not None]


# --- a to f ---------------------------------------------------------------------------------


def previous_actions(data: ReviewData, s: Section) -> None:
    decisions = data.previous_decisions
    if data.scope.previous_id is None:
        s.missing_reason = "no previous management review is recorded"
        return
    if not decisions:
        s.missing_reason = "the previous review recorded no decisions"
        return
    done = sum(1 for d in decisions if d.action.state == "closed")
    late = [i for i, d in enumerate(decisions) if d.action.days_overdue]
    s.summary = (
        f"{len(decisions)} actions decided at the previous review: {done} closed, "
        f"{len(decisions) - done} not closed, {len(late)} overdue"
    )
    s.tables.append(
        Table(
            "Actions decided at the previous review",
            ("action", "decision", "owner", "due", "state", "days late"),
            [
                (
                    f"#{d.action.id}",
                    d.title,
                    d.action.owner or "—",
                    _day(d.action.due_date),
                    d.action.state,
                    str(d.action.days_overdue or ""),
                )
                for d in decisions
            ],
            frozenset(late),
        )
    )


def context_changes(data: ReviewData, s: Section) -> None:
    changes = data.role_changes
    if not changes:
        s.missing_reason = (
            "no change recorded in qms: write the changes in external and internal issues "
            "(law, funding, strategy, organisation) as a note"
        )
        return
    s.summary = f"{len(changes)} changes of responsibilities in the process map"
    s.tables.append(
        Table(
            "Changes in the process map",
            ("date", "change"),
            [(c.day.isoformat(), c.what) for c in changes],
        )
    )


def customer_satisfaction(data: ReviewData, s: Section) -> None:
    series = _with_values(about(data, Topic.CUSTOMER_SATISFACTION))
    complaints = [
        n for n in data.nonconformities if n.source == "complaint" and data.in_period(n.detected_on)
    ]
    if not series and not complaints:
        s.missing_reason = "no customer-satisfaction indicator value and no complaint recorded"
        return
    s.summary = (
        f"{len(series)} satisfaction indicators, {_off(series)} off target; "
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
                    (f"#{n.id}", n.process, _day(n.detected_on), n.title, n.state)
                    for n in complaints
                ],
            )
        )


def objectives(data: ReviewData, s: Section) -> None:
    series = _with_values(about(data, Topic.QUALITY_OBJECTIVE))
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
    s.summary = (
        f"{len(ncs)} nonconformities in the period ({_counts(severities)}), "
        f"{sum(n.is_repeat for n in ncs)} repeats; {sum(a.is_open for a in corrective)} "
        f"corrective actions open; {len(late)} actions overdue"
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
            (f"#{a.id}", a.process, a.owner or "—", _day(a.due_date), str(a.days_overdue), a.title)
            for a in late
        ],
        frozenset(range(len(late))),
    )


def monitoring(data: ReviewData, s: Section) -> None:
    series = data.series
    if not _with_values(series):
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
                    (m.indicator, m.process, m.period, _day(m.due_on), m.owner or "—")
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
    if not audits_ and not findings:
        s.missing_reason = "no internal audit recorded for the period"
        return
    types = Counter(f.finding_type for f in findings)
    s.summary = f"{len(audits_)} internal audits, {len(findings)} findings ({_counts(types)})"
    s.tables.append(
        Table(
            "Internal audits",
            ("audit", "process", "planned", "state", "title"),
            [
                (f"#{a.id}", a.process or "—", _day(a.planned_start), a.state, a.title)
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
    series = _with_values(
        x
        for x in data.series
        if data.process_of[x.indicator.id] in EXTERNAL_PROVIDER_PROCESSES
        or Topic.EXTERNAL_PROVIDERS.value in (x.indicator.topics or [])
    )
    if not series:
        s.missing_reason = "no value of a purchasing or external-provider indicator"
        return
    s.summary = f"{len(series)} external-provider indicators, {_off(series)} off target"
    s.tables.append(indicator_table("External providers", series, data))
    s.charts = [x.indicator.code for x in series]


def resources(data: ReviewData, s: Section) -> None:
    series = _with_values(about(data, Topic.RESOURCES))
    if not series:
        s.missing_reason = "no resource indicator value: write the resource situation as a note"
        return
    s.summary = f"{len(series)} resource indicators, {_off(series)} off target"
    s.tables.append(indicator_table("Resources", series, data))


def risk_actions(data: ReviewData, s: Section) -> None:
    checked = [a for a in data.actions if a.kind == "preventive" and a.effectiveness]
    series = _with_values(about(data, Topic.RISKS))
    if not checked and not series:
        s.missing_reason = (
            "no preventive action with an effectiveness check and no risk indicator value"
        )
        return
    effective = sum(1 for a in checked if a.effectiveness == "effective")
    s.summary = (
        f"{effective} of {len(checked)} preventive actions checked were effective; "
        f"{len(series)} risk indicators"
    )
    if checked:
        s.tables.append(
            Table(
                "Preventive actions checked",
                ("action", "process", "state", "effectiveness", "title"),
                [(f"#{a.id}", a.process, a.state, a.effectiveness or "", a.title) for a in checked],
                frozenset(i for i, a in enumerate(checked) if a.effectiveness != "effective"),
            )
        )
    if series:
        s.tables.append(indicator_table("Risk indicators", series, data))


def improvement(data: ReviewData, s: Section) -> None:
    breaches = [b for b in data.breaches if b.state == "open"]
    suggestions = [a for a in data.actions if a.origin == Origin.SUGGESTION and a.is_open]
    opportunities = [
        f
        for f in data.findings
        if "opportunit" in f.finding_type or "improvement" in f.finding_type
    ]
    if not (breaches or suggestions or opportunities):
        s.missing_reason = "no open breach proposal, suggestion or improvement finding"
        return
    s.summary = (
        f"{len(breaches)} breach proposals awaiting their pilot, {len(suggestions)} open "
        f"suggestions, {len(opportunities)} opportunities found by audits"
    )
    rows = [
        (
            "breach",
            f"#{b.id}",
            b.process,
            f"{b.indicator} {b.period}: {num(b.value)} (alert {num(b.threshold)})",
        )
        for b in breaches
    ]
    rows += [("suggestion", f"#{a.id}", a.process, a.title) for a in suggestions]
    rows += [("audit finding", f"#{f.id}", f.process or "—", f.title) for f in opportunities]
    s.tables.append(Table("Opportunities", ("from", "ref", "process", "what"), rows))


Builder = Callable[[ReviewData, Section], None]
SECTIONS: tuple[tuple[str, str, str, Builder], ...] = (
    ("a", "9.3.2 a", "Status of actions from previous management reviews", previous_actions),
    ("b", "9.3.2 b", "Changes in external and internal issues", context_changes),
    (
        "c1",
        "9.3.2 c 1",
        "Customer satisfaction and feedback from interested parties",
        customer_satisfaction,
    ),
    ("c2", "9.3.2 c 2", "Extent to which quality objectives have been met", objectives),
    (
        "c3",
        "9.3.2 c 3",
        "Process performance and conformity of products and services",
        process_performance,
    ),
    ("c4", "9.3.2 c 4", "Nonconformities and corrective actions", nonconformities),
    ("c5", "9.3.2 c 5", "Monitoring and measurement results", monitoring),
    ("c6", "9.3.2 c 6", "Audit results", audits),
    ("c7", "9.3.2 c 7", "Performance of external providers", external_providers),
    ("d", "9.3.2 d", "Adequacy of resources", resources),
    (
        "e",
        "9.3.2 e",
        "Effectiveness of actions taken to address risks and opportunities",
        risk_actions,
    ),
    ("f", "9.3.2 f", "Opportunities for improvement", improvement),
)
SECTION_KEYS = tuple(key for key, *_ in SECTIONS)


def sections(data: ReviewData) -> list[Section]:
    built = []
    for key, clause, title, builder in SECTIONS:
        section = Section(key, clause, title, note=data.notes.get(key, ""))
        builder(data, section)
        if section.missing_reason and section.note:
            section.summary = section.summary or "see the note"
        built.append(section)
    return built


# --- helpers --------------------------------------------------------------------------------


def _off(series: Sequence[Series]) -> int:
    return sum(1 for x in series if x.status in (Status.WATCH, Status.BREACH))


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counter.items())) or "none"


def _day(day: date | None) -> str:
    return day.isoformat() if day is not None else "—"


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
