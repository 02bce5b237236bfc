"""The inputs of a management review (clause 9.3.2 a-f, the seven items of c), from the data.

Each input is one :class:`Section` with a one-line summary, tables and charts.  A section
with no data is flagged ``missing`` (shown in red in the pack) unless someone wrote a
note for it (``qms review note``): a note is data too, e.g. the changes in external
issues, which no record holds.  A missing section shows the reason recorded for it
(``qms review input-missing``), without which the review is not held.

This module holds the list of inputs (:data:`SECTIONS`), :func:`sections` and the builders
of inputs a, b, d, e and f; those of input c are in :mod:`qms.services.reviews.performance`
and the tables they share in :mod:`qms.services.reviews.tables`.
"""

from __future__ import annotations

from collections.abc import Callable

from qms.models import Topic
from qms.reporting.words import plural
from qms.services.capa.vocabulary import Origin
from qms.services.reviews.conformity import audits, nonconformities
from qms.services.reviews.data import ActionInfo, DecisionInfo, ReviewData
from qms.services.reviews.digest import attention_table
from qms.services.reviews.performance import (
    customer_satisfaction,
    external_providers,
    monitoring,
    objectives,
    process_performance,
)
from qms.services.reviews.tables import (
    LONGEST,
    Section,
    Table,
    about,
    num,
    off_target,
    shortened,
    with_values,
)

ACTION = "improvement_action"

# --- a, b, d, e, f --------------------------------------------------------------------------


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
        f"{plural(len(decisions), 'action')} decided at the previous review: {done} closed, "
        f"{len(decisions) - done} not closed, {len(late)} overdue"
    )
    s.tables.append(
        Table(
            "Actions decided at the previous review, and what became of them",
            ("action decided", "owner", "due", "state: outcome"),
            [
                (
                    f"#{d.action.id} {d.title}",
                    data.person(d.action.owner),
                    data.day(d.action.due_date),
                    f"{data.state(ACTION, d.action.state)}: {outcome(data, d)}",
                )
                for d in decisions
            ],
            frozenset(late),
            (44, 18, 14, 24),
        )
    )


def outcome(data: ReviewData, d: DecisionInfo) -> str:
    """What became of a decision: closed on a day, late by some days, or on time."""
    if d.closed_on is not None:
        return f"closed on {data.day(d.closed_on)}"
    if d.action.state == "closed":
        return "closed"
    if d.action.days_overdue:
        return f"{plural(d.action.days_overdue, 'day')} late"
    return "open, not due yet" if d.action.is_open else data.state(ACTION, d.action.state)


def context_changes(data: ReviewData, s: Section) -> None:
    changes = data.role_changes
    if not changes:
        s.missing_reason = (
            "no change recorded in qms: write the changes in external and internal issues "
            "(law, funding, strategy, organisation) as a note"
        )
        return
    s.summary = f"{plural(len(changes), 'change')} of responsibilities in the process map"
    s.tables.append(
        Table(
            "Changes in the process map",
            ("date", "change"),
            [(data.day(c.day), c.what) for c in changes],
            widths=(16, 84),
        )
    )


def resources(data: ReviewData, s: Section) -> None:
    series = with_values(about(data, Topic.RESOURCES))
    if not series:
        s.missing_reason = "no resource indicator value: write the resource situation as a note"
        return
    s.summary = f"{plural(len(series), 'resource indicator')}, {off_target(series)} off target"
    s.tables.append(attention_table("Resource indicators off target", series, data))


def risk_actions(data: ReviewData, s: Section) -> None:
    checked = [a for a in data.actions if a.kind == "preventive" and a.effectiveness]
    series = with_values(about(data, Topic.RISKS))
    if not checked and not series:
        s.missing_reason = (
            "no preventive action with an effectiveness check and no risk indicator value"
        )
        return
    effective = sum(1 for a in checked if a.effectiveness == "effective")
    s.summary = (
        f"{effective} of {plural(len(checked), 'preventive action')} checked "
        f"{'was' if effective == 1 else 'were'} effective; {plural(len(series), 'risk indicator')}"
    )
    if checked:
        s.tables.append(_preventive(data, checked))
    if series:
        s.tables.append(attention_table("Risk indicators off target", series, data))


def _preventive(data: ReviewData, checked: list[ActionInfo]) -> Table:
    """The preventive actions checked, those found not effective first."""
    shown = sorted(checked, key=lambda a: a.effectiveness == "effective")[:LONGEST]
    table = Table(
        "Preventive actions checked"
        + (
            f", those not effective first ({len(shown)} of {len(checked)})"
            if len(checked) > len(shown)
            else ""
        ),
        ("action", "process", "state", "effectiveness", "title"),
        [
            (
                f"#{a.id}",
                a.process,
                data.state(ACTION, a.state),
                data.words.term("effectiveness", a.effectiveness),
                a.title,
            )
            for a in shown
        ],
        frozenset(i for i, a in enumerate(shown) if a.effectiveness != "effective"),
        (8, 10, 18, 16, 48),
    )
    where = "`qms action list` lists every action"
    return shortened(table, len(checked) - len(shown), where)


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
        f"{plural(len(breaches), 'breach proposal')} awaiting "
        f"{'its' if len(breaches) == 1 else 'their'} pilot, "
        f"{plural(len(suggestions), 'open suggestion')}, "
        f"{plural(len(opportunities), 'opportunity', 'opportunities')} found by audits"
    )
    rows = [
        (
            "Indicator breach",
            f"Breach #{b.id}",
            b.process,
            f"{b.indicator} {b.period}: {num(b.value)} (alert {num(b.threshold)})",
        )
        for b in breaches
    ]
    newest = sorted(suggestions, key=lambda a: -a.id)
    rows += [("Suggestion", f"Action #{a.id}", a.process, a.title) for a in newest]
    rows += [
        ("Audit finding", f"Finding #{f.id}", f.process or "—", f.title) for f in opportunities
    ]
    table = Table(
        "Opportunities" + (f", the first {LONGEST} of {len(rows)}" if len(rows) > LONGEST else ""),
        ("from", "ref", "process", "what"),
        rows[:LONGEST],
        widths=(18, 14, 10, 58),
    )
    where = (
        "breach proposals first, then the newest suggestions; `qms indicator breaches`, "
        "`qms action list --origin suggestion` and `qms audit finding list AUDIT` list them"
    )
    s.tables.append(shortened(table, len(rows) - LONGEST, where))


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
        if section.missing:
            section.reason = data.reasons.get(key)
        built.append(section)
    return built
