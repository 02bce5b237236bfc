"""The director's view in words: each figure with its link, each indicator's sparkline
and its sentence, each process's open work and audit, what waits for a director.

Everything here formats what :mod:`qms.services.director` counted: no query, no rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from markupsafe import Markup

from qms.models import Direction
from qms.reporting.sparklines import Spark, sparkline_svg
from qms.reporting.words import TERMS, Words
from qms.services.audits.coverage import ProcessCoverage
from qms.services.director import IndicatorLine, Institution, MacroLine, ProcessLine
from qms.services.director_review import Review
from qms.services.director_waiting import Waiting
from qms.web.forms_indicator_rows import status_of, with_unit
from qms.web.i18n import N_, _

OpenStates = dict[str, tuple[str, ...]]  # record kind -> its states that are not an end


def register(path: str, filters: dict[str, str], states: tuple[str, ...] = ()) -> str:
    """A register's address filtered as asked (``states``: the open ones)."""
    query = [(k, v) for k, v in filters.items() if v] + [("state", s) for s in states]
    return f"{path}?{urlencode(query)}" if query else path


@dataclass(frozen=True)
class WorkLinks:
    actions: str
    overdue_actions: str
    nonconformities: str
    overdue_nonconformities: str


def work_links(open_states: OpenStates, process: str = "", macro: str = "") -> WorkLinks:
    where = {"process": process, "macro": macro}
    return WorkLinks(
        register("/actions", where, open_states["improvement_action"]),
        register("/actions", {**where, "overdue": "1", "sort": "due"}),
        register("/nonconformities", where, open_states["nonconformity"]),
        register("/nonconformities", {**where, "overdue": "1"}),
    )


def target_words(line: IndicatorLine) -> str:
    ind = line.series.indicator
    sign = "≥" if ind.direction == Direction.HIGHER else "≤"
    return f"{sign} {with_unit(ind.target, ind.unit)}"


def spark_title(line: IndicatorLine) -> str:
    """What the sparkline shows, in a sentence: its accessible name."""
    series, ind = line.series, line.series.indicator
    values = {
        "code": ind.code,
        "name": ind.name,
        "target": target_words(line),
        "alert": with_unit(ind.alert_threshold, ind.unit),
        "count": len(series.points),
    }
    latest = series.latest
    if latest is None or latest.value is None:
        return (
            _("%(code)s %(name)s: no value in the last %(count)s periods; target %(target)s.")
            % values
        )
    values.update(value=with_unit(latest.value, ind.unit), period=latest.period)
    said = {
        "on_target": _("on target"),
        "off_target": _("off target, not past the alert threshold %(alert)s"),
        "alert": _("past the alert threshold %(alert)s"),
    }[str(series.status)] % values
    return _(
        "%(code)s %(name)s: latest value %(value)s for %(period)s, target %(target)s: %(status)s."
    ) % {**values, "status": said}


def indicator_row(line: IndicatorLine) -> dict[str, object]:
    series, ind = line.series, line.series.indicator
    latest = series.latest
    spark = Spark(
        tuple(p.value for p in series.points),
        ind.target,
        str(series.status or ""),
        spark_title(line),
    )
    return {
        "code": ind.code,
        "name": ind.name,
        "value": with_unit(latest.value if latest else None, ind.unit),
        "period": latest.period if latest else "",
        "target": target_words(line),
        "status": status_of(series.status),
        "svg": Markup(sparkline_svg(spark)),  # noqa: S704 - the drawing escapes its one text
        "breaches": line.open_breaches,
    }


def audit_words(audit: ProcessCoverage | None, cycle: int) -> tuple[str, str]:
    """The process's audit in the cycle's programme, and its class (late in red)."""
    if audit is None:
        return "", ""
    if not audit.covered:
        return _("not in the %(cycle)s audit programme") % {"cycle": cycle}, "late"
    if audit.late:
        return _("audit late"), "late"
    if audit.planned and audit.done == audit.planned:
        return _("audited in %(cycle)s") % {"cycle": cycle}, "ok"
    if audit.started:
        return _("audit under way"), ""
    months = sorted(a.entry.planned_on for a in audit.audits if a.counted)
    if months:
        return _("audit planned %(month)s") % {"month": f"{months[0]:%B %Y}"}, ""
    return "", ""


def process_row(p: ProcessLine, open_states: OpenStates, cycle: int) -> dict[str, object]:
    audit, audit_class = audit_words(p.audit, cycle)
    return {
        "code": p.code,
        "name": p.name,
        "pilot": p.pilot or "—",
        "seen": p.seen,
        "work": p.work,
        "links": work_links(open_states, process=p.code),
        "indicators": [indicator_row(i) for i in p.indicators],
        "audit": audit,
        "audit_class": audit_class,
        "alerts": p.alerts,
    }


def indicator_counts(lines: list[IndicatorLine]) -> dict[str, int]:
    counts = {"on_target": 0, "off_target": 0, "alert": 0, "none": 0, "breaches": 0}
    for line in lines:
        counts[str(line.series.status) if line.series.status else "none"] += 1
        counts["breaches"] += line.open_breaches
    return counts


def macro_row(
    m: MacroLine, open_states: OpenStates, cycle: int, everything: bool
) -> dict[str, object]:
    rows = [process_row(p, open_states, cycle) for p in m.processes]
    seen = any(p.seen for p in m.processes)
    return {
        "code": m.code,
        "name": m.name,
        "processes": rows,
        "work": m.work,
        "indicators": indicator_counts(m.indicators),
        "seen": seen,
        "open": m.alerts > 0 or (seen and not everything),
        "links": work_links(open_states, macro=m.code),
    }


def decision_rows(review: Review, words: Words) -> list[dict[str, object]]:
    return [
        {
            "title": d.title,
            "category": _(TERMS["category"].get(d.category, d.category)),
            "action_id": d.action_id,
            "owner": words.person(d.owner),
            "due": d.due_date,
            "state": words.state("improvement_action", d.state),
            "css": "ok" if d.closed else "late" if d.days_late else "",
            "days_late": d.days_late,
        }
        for d in review.decisions
    ]


REVIEW_NEXT = {
    "planned": N_("its inputs to gather (clause 9.3.2)"),
    "inputs_gathered": N_("to hold"),
    "held": N_("its decisions to record (clause 9.3.3)"),
    "outputs_recorded": N_("to close"),
}
PROGRAMME_NEXT = {"draft": N_("to approve"), "approved": N_("to put in effect")}


@dataclass(frozen=True)
class Escalated:
    title: str
    process: str
    days_late: int
    link: str


@dataclass(frozen=True)
class WaitItem:
    """One thing waiting for a director, as a work item: what, why, when, its page."""

    title: str
    why: str
    link: str = ""
    when: date | None = None
    late: int = 0  # days late (a review), or records escalated
    records: tuple[Escalated, ...] = ()
    more: int = 0  # escalated records not listed
    all: str = ""  # where they are all listed, if a register does


def waiting_items(waiting: Waiting, words: Words) -> list[WaitItem]:
    items = [
        WaitItem(
            _("Audit programme %(cycle)s") % {"cycle": p.cycle},
            f"{_(PROGRAMME_NEXT[p.state])} · {words.state('audit_programme', p.state)}",
            f"/audits?cycle={p.cycle}",
        )
        for p in waiting.programmes
    ]
    items += [
        WaitItem(
            r.title,
            f"{_(REVIEW_NEXT[r.state])} · {words.state('management_review', r.state)}",
            f"/reviews/management_review/{r.id}",
            r.planned_on,
            r.days_late,
        )
        for r in waiting.reviews
    ]
    if not waiting.reviews:
        items.append(
            WaitItem(
                _("No management review planned"),
                _("plan the next one (clause 9.3.1)"),
                "/reviews",
            )
        )
    for line in waiting.escalations:
        e = line.escalation
        due_dates = e.model.record_kind == "improvement_action" and e.date_field == "due_date"
        items.append(
            WaitItem(
                _("%(label)s: %(count)s escalated") % {"label": e.label, "count": line.count},
                _("%(days)s days or more past the deadline: the reminders now go to the directors")
                % {"days": e.after_days},
                late=line.count,
                records=tuple(
                    Escalated(
                        f"#{r.id} {r.title}",
                        r.process or "",
                        r.days_late,
                        f"/records/{r.kind}/{r.id}",
                    )
                    for r in line.records
                ),
                more=line.count - len(line.records),
                all=register("/actions", {"overdue": "1", "sort": "due"}) if due_dates else "",
            )
        )
    return items


def institution_context(
    found: Institution, open_states: OpenStates, words: Words
) -> dict[str, object]:
    cycle = found.programme.cycle
    return {
        "found": found,
        "macros": [macro_row(m, open_states, cycle, found.everything) for m in found.macros],
        "work": found.work,
        "links": work_links(open_states),
        "indicators": indicator_counts(found.indicators),
        "programme": found.programme,
        "programme_state": words.state("audit_programme", found.programme.state)
        if found.programme.state
        else "",
        "review": found.review,
        "review_state": words.state("management_review", found.review.state)
        if found.review
        else "",
        "decisions": decision_rows(found.review, words) if found.review else [],
        "decisions_done": sum(1 for d in found.review.decisions if d.closed) if found.review else 0,
        "decisions_late": sum(1 for d in found.review.decisions if d.days_late)
        if found.review
        else 0,
        "waiting": waiting_items(found.waiting, words) if found.waiting else None,
    }
