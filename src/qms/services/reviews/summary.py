"""What the directors read first in the pack: the figures that need them, and why.

Four key figures (indicators off target, actions overdue, breach proposals awaiting a
decision, inputs missing), the sentences of "Needs a decision" (at most
:data:`NEEDS_MOST`, those in red first, the others counted with the page of the section
that lists them), the indicators off target by status with the worst few, and where the
overdue actions are listed (once, in 9.3.2 c 4), each written for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qms.reporting.words import plural
from qms.services.indicators.vocabulary import Status
from qms.services.reviews.data import ReviewData
from qms.services.reviews.digest import attention_table
from qms.services.reviews.tables import Section, num

NEEDS_MOST = 8  # sentences of "Needs a decision"; the rest are counted, with their page
ACTION = "improvement_action"
CLAUSES = {"a": "9.3.2 a", "c5": "9.3.2 c 5", "f": "9.3.2 f"}


@dataclass(frozen=True)
class Need:
    """A sentence of "Needs a decision": red when late or missing, and the section (by key)
    that lists what it is about."""

    text: str
    red: bool
    key: str


@dataclass(frozen=True)
class More:
    """Sentences of "Needs a decision" left out, counted by the section that lists them."""

    count: int
    key: str
    clause: str


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
    needs = needs_decision(data, missing)
    shown = sorted(needs, key=lambda n: not n.red)[:NEEDS_MOST]
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
        "needs": shown,
        "needs_more": left_out(needs, shown, missing),
        "off_target": attention_table(
            "Indicators off target or past their alert threshold", data.series, data, page=True
        ),
        "overdue_count": len(late),
        "most_late": late[0].days_overdue if late else 0,
        "missing_sections": missing,
    }


def left_out(needs: list[Need], shown: list[Need], missing: list[Section]) -> list[More]:
    """The sentences not shown, counted by the section that lists what they are about."""
    clauses = {**CLAUSES, **{s.key: s.clause for s in missing}}
    counts: dict[str, int] = {}
    for n in needs:
        if n not in shown:
            counts[n.key] = counts.get(n.key, 0) + 1
    return [More(count, key, clauses[key]) for key, count in counts.items()]


def needs_decision(data: ReviewData, missing: list[Section]) -> list[Need]:
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
        text = f"Input {s.clause} ({s.title}) is missing: {s.missing_reason}.{said}"
        lines.append(Need(text, True, s.key))
    for d in data.previous_decisions:
        if d.action.state == "closed":
            continue
        late = f", {plural(d.action.days_overdue, 'day')} late" if d.action.days_overdue else ""
        state = data.state(ACTION, d.action.state).lower()
        text = f"Previous review's action #{d.action.id} “{d.title}” is {state}{late}."
        lines.append(Need(text, bool(late), "a"))
    for b in data.breaches:
        if b.state == "open":
            text = (
                f"{b.indicator} was {num(b.value)} in {b.period} (alert "
                f"{num(b.threshold)}): the pilot of {b.process} has not decided yet."
            )
            lines.append(Need(text, False, "f"))
    if data.missing:
        one = len(data.missing) == 1
        text = (
            f"{plural(len(data.missing), 'indicator measurement')} {'is' if one else 'are'} "
            f"past {'its' if one else 'their'} due date and not recorded."
        )
        lines.append(Need(text, False, "c5"))
    return lines
