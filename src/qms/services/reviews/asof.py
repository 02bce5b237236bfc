"""The records as they stood at one moment, read from their trail (clauses 9.3.2, 7.5.3).

A review's inputs are gathered at a moment: the time of its ``gather_inputs`` trail row
once it is gathered, the present until then.  A record counts only if its trail had
begun by that moment, and it counts in the state its trail had reached: the state of its
last row at or before the moment, with the fields those rows had set (a due date moved,
an effectiveness result given, a review held after the moment are not seen).  Values
and breaches of indicators, which are not workflow records, are read by their own
timestamps in :mod:`qms.services.reviews.queries`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import HistoryEntry
from qms.services.reviews.data import ActionInfo, AuditInfo, FindingInfo, NcInfo, ProcessReviewInfo
from qms.workflow.guards import as_date

KINDS = ("improvement_action", "nonconformity", "internal_audit", "audit_finding", "process_review")
GATHER = "gather_inputs"


@dataclass(frozen=True)
class Then:
    """One record at the moment: its state, and the fields its trail had set by then."""

    state: str
    fields: dict[str, Any]

    def value(self, name: str, now: Any) -> Any:
        """The field as its trail had set it, else as it is now (set outside the trail)."""
        return self.fields.get(name, now)


Records = dict[tuple[str, int], Then]


def gathered_at(session: Session, kind: str, review_id: int) -> datetime | None:
    """When the review's inputs were gathered, from its trail; None while they are not."""
    return session.scalar(
        select(HistoryEntry.at)
        .where(
            HistoryEntry.record_kind == kind,
            HistoryEntry.record_id == review_id,
            HistoryEntry.trigger == GATHER,
        )
        .order_by(HistoryEntry.id.desc())
        .limit(1)
    )


def records_then(session: Session, moment: datetime) -> Records:
    """Every record a review looks at, as its trail stood at ``moment`` (one query)."""
    rows = session.execute(
        select(
            HistoryEntry.record_kind,
            HistoryEntry.record_id,
            HistoryEntry.to_state,
            HistoryEntry.inputs,
        )
        .where(HistoryEntry.record_kind.in_(KINDS), HistoryEntry.at <= moment)
        .order_by(HistoryEntry.id)
    )
    states: dict[tuple[str, int], str] = {}
    fields: dict[tuple[str, int], dict[str, Any]] = defaultdict(dict)
    for kind, record_id, state, inputs in rows:
        states[(kind, record_id)] = state
        fields[(kind, record_id)].update(inputs or {})
    return {key: Then(state, fields[key]) for key, state in states.items()}


def days_late(is_open: bool, due: date | None, today: date) -> int:
    return (today - due).days if is_open and due is not None and due < today else 0


def actions(
    found: Iterable[ActionInfo], then: Records, today: date, open_states: Iterable[str]
) -> list[ActionInfo]:
    kept, still_open = [], frozenset(open_states)
    for a in found:
        t = then.get(("improvement_action", a.id))
        if t is None:
            continue
        due = as_date(t.value("due_date", a.due_date))
        is_open = t.state in still_open
        kept.append(
            replace(
                a,
                state=t.state,
                due_date=due,
                effectiveness=t.fields.get("effectiveness_result"),
                is_open=is_open,
                days_overdue=days_late(is_open, due, today),
            )
        )
    return kept


def nonconformities(found: Iterable[NcInfo], then: Records) -> list[NcInfo]:
    kept = []
    for n in found:
        t = then.get(("nonconformity", n.id))
        if t is not None:
            due = as_date(t.value("action_due_date", n.action_due_date))
            kept.append(replace(n, state=t.state, action_due_date=due))
    return kept


def audits(found: Iterable[AuditInfo], then: Records) -> list[AuditInfo]:
    kept = []
    for a in found:
        t = then.get(("internal_audit", a.id))
        if t is not None:
            start = as_date(t.value("planned_start", a.planned_start))
            kept.append(replace(a, state=t.state, planned_start=start))
    return kept


def findings(found: Iterable[FindingInfo], then: Records) -> list[FindingInfo]:
    kept = []
    for f in found:
        t = then.get(("audit_finding", f.id))
        if t is not None:
            kept.append(
                replace(f, state=t.state, finding_type=t.value("finding_type", f.finding_type))
            )
    return kept


def process_reviews(found: Iterable[ProcessReviewInfo], then: Records) -> list[ProcessReviewInfo]:
    kept = []
    for r in found:
        t = then.get(("process_review", r.id))
        if t is not None:
            kept.append(
                replace(
                    r,
                    state=t.state,
                    held_on=t.fields.get("held_on"),
                    intended_results_met=t.fields.get("intended_results_met"),
                    evaluation=t.fields.get("evaluation") or "",
                )
            )
    return kept
