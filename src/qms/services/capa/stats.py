"""Cycle times of actions and nonconformities, read from the trail (they feed the review).

For each record: the days from its creation to the first time it entered each
milestone state.  Per process: how many are open, how many overdue, and the median
days from creation to closure.  Two queries per record kind, whatever the count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from qms.models import HistoryEntry, ImprovementAction, Nonconformity, Process
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK

NC_MILESTONES = {
    "contain": "contained",
    "analyse": "analysed",
    "implement": "implemented",
    "verify": "effectiveness_verified",
    "close": "closed",
}
ACTION_MILESTONES = {
    "approve": "approved",
    "start": "in_progress",
    "complete": "done",
    "verify": "effectiveness_check",
    "close": "closed",
}
TERMINAL = {"closed", "cancelled", "rejected"}


@dataclass
class ProcessFigures:
    process: str
    open: int = 0
    overdue: int = 0
    closed: int = 0
    days_to_close: list[int] = field(default_factory=list)
    steps: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @property
    def median_days_to_close(self) -> float | None:
        return median(self.days_to_close) if self.days_to_close else None

    def median_step(self, step: str) -> float | None:
        values = self.steps.get(step)
        return median(values) if values else None


def milestone_days(
    session: Session, kind: str, milestones: dict[str, str]
) -> dict[int, dict[str, int]]:
    """Per record id: days from creation to the first entry into each milestone's state."""
    rows = session.execute(
        select(HistoryEntry.record_id, HistoryEntry.to_state, HistoryEntry.at)
        .where(HistoryEntry.record_kind == kind)
        .order_by(HistoryEntry.id)
    )
    created: dict[int, datetime] = {}
    found: dict[int, dict[str, int]] = defaultdict(dict)
    states = {state: step for step, state in milestones.items()}
    for record_id, to_state, at in rows:
        start = created.setdefault(record_id, at)
        step = states.get(to_state)
        if step is not None and step not in found[record_id]:
            found[record_id][step] = (at - start).days
    return found


def _figures(
    by_process: dict[str, ProcessFigures],
    code: str,
    state: str,
    overdue: bool,
    steps: dict[str, int],
) -> None:
    figures = by_process.setdefault(code, ProcessFigures(code))
    if state in TERMINAL:
        figures.closed += state == "closed"
    else:
        figures.open += 1
        figures.overdue += overdue
    if state == "closed" and "close" in steps:
        figures.days_to_close.append(steps["close"])
    for step, days in steps.items():
        figures.steps[step].append(days)


def _by_process(
    session: Session,
    model: type[ImprovementAction] | type[Nonconformity],
    due: InstrumentedAttribute[date | None],
    milestones: dict[str, str],
    open_work: tuple[str, ...],
    today: date,
) -> list[ProcessFigures]:
    days = milestone_days(session, model.record_kind, milestones)
    by_process: dict[str, ProcessFigures] = {}
    query = select(model.id, model.state, due, Process.code).join(
        Process, model.process_id == Process.id
    )
    for record_id, state, due_on, code in session.execute(query):
        overdue = due_on is not None and due_on < today and state in open_work
        _figures(by_process, code, state, overdue, days.get(record_id, {}))
    return [by_process[code] for code in sorted(by_process)]


def nonconformity_figures(session: Session, today: date) -> list[ProcessFigures]:
    return _by_process(
        session, Nonconformity, Nonconformity.action_due_date, NC_MILESTONES, NC_OPEN_WORK, today
    )


def action_figures(session: Session, today: date) -> list[ProcessFigures]:
    return _by_process(
        session,
        ImprovementAction,
        ImprovementAction.due_date,
        ACTION_MILESTONES,
        ACTION_OPEN_WORK,
        today,
    )
