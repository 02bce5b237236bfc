"""What the directors read first in the pack: the figures that need them, and why.

Four key figures (indicators off target, actions overdue, breach proposals awaiting a
decision, inputs missing), the sentences of "Needs a decision", the indicators off target
and the most overdue actions, each written for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qms.reporting.words import plural
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import ReviewData
from qms.services.reviews.performance import late_table
from qms.services.reviews.tables import Section, indicator_table, num

SUMMARY_ROWS = 10
ACTION = "improvement_action"


@dataclass(frozen=True)
class Figure:
    """A key figure: the number, what it counts (agreeing with it), red when not zero."""

    count: int
    says: str

    @property
    def bad(self) -> bool:
        return self.count > 0


def figure(count: int, one: str, many: str) -> Figure:
    return Figure(count, one if count == 1 else many)


def summary(data: ReviewData, built: list[Section]) -> dict[str, Any]:
    """What the directors read first: off target, overdue, what needs a decision."""
    off = [s for s in data.series if s.status in (Status.WATCH, Status.BREACH)]
    late = sorted((a for a in data.actions if a.days_overdue), key=lambda a: -a.days_overdue)
    missing = [s for s in built if s.missing]
    breaches = [b for b in data.breaches if b.state == "open"]
    alerts = sum(1 for s in off if s.status == Status.BREACH)
    shown = late[:SUMMARY_ROWS]
    return {
        "figures": [
            figure(len(off), "indicator off target", "indicators off target"),
            figure(len(late), "action overdue", "actions overdue"),
            figure(
                len(breaches),
                "breach proposal awaiting a decision",
                "breach proposals awaiting a decision",
            ),
            figure(len(missing), "review input missing", "review inputs missing"),
        ],
        "alerts": f"{plural(alerts, 'indicator')} past {'its' if alerts == 1 else 'their'} "
        "alert threshold",
        "needs": needs_decision(data, missing),
        "off_target": indicator_table("Indicators off target", off, data),
        "overdue": late_table(data, f"Most overdue actions ({len(shown)} of {len(late)})", shown),
        "overdue_count": len(late),
        "missing_sections": missing,
    }


def needs_decision(data: ReviewData, missing: list[Section]) -> list[tuple[str, bool]]:
    """The sentences of "Needs a decision", each with whether it is shown in red."""
    lines = []
    for s in missing:
        reason = s.reason
        said = (
            f" Reason recorded by {data.person(reason.by)} on {data.day(reason.at.date())}: "
            f"{reason.text}"
            if reason
            else " No reason is recorded for it."
        )
        lines.append((f"Input {s.clause} ({s.title}) is missing: {s.missing_reason}.{said}", True))
    for d in data.previous_decisions:
        if d.action.state == "closed":
            continue
        late = f", {plural(d.action.days_overdue, 'day')} late" if d.action.days_overdue else ""
        state = data.state(ACTION, d.action.state).lower()
        lines.append(
            (f"Previous review's action #{d.action.id} “{d.title}” is {state}{late}.", bool(late))
        )
    for b in data.breaches:
        if b.state == "open":
            lines.append(
                (
                    f"{b.indicator} was {num(b.value)} in {b.period} (alert "
                    f"{num(b.threshold)}): the pilot of {b.process} has not decided yet.",
                    False,
                )
            )
    if data.missing:
        lines.append(
            (
                f"{plural(len(data.missing), 'indicator measurement')} "
                f"{'is' if len(data.missing) == 1 else 'are'} past "
                f"{'its' if len(data.missing) == 1 else 'their'} due date and not recorded.",
                False,
            )
        )
    return lines
