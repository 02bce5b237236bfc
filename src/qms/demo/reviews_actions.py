"""An action decided at a review or on a breach, progressing like any other action.

Approved within days by someone other than its owner, started, done before its due date
(the survey decided in January runs late: the one late action of the reviews), then
its effectiveness checked two months after it is done, with evidence of its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from qms.demo import DemoContext
from qms.demo.cases import QUALITY_MANAGER, People, fire_action
from qms.services.capa import actions as capa_actions

LATE = {"Survey employers of apprentices every semester"}
CHECK_DAYS = 60


def progress(
    ctx: DemoContext,
    who: People,
    process: str,
    ids: dict[str, int],
    owner: str,
    since: datetime,
    due_days: int,
    late: bool = False,
) -> None:
    """Plan the steps of the action in ``ids["action"]`` (set by the event at ``since``)."""
    line, rng = ctx.timeline, ctx.rng
    approver = who.approver(process, owner) or QUALITY_MANAGER
    due = since.date() + timedelta(days=due_days)
    check = due + timedelta(days=CHECK_DAYS + 20)

    def criteria() -> None:
        changes = {
            "effectiveness_criteria": f"Benefit seen over the {CHECK_DAYS // 30} months after "
            "it is done",
            "effectiveness_check_date": check.isoformat(),
        }
        capa_actions.edit(ctx.app, ids["action"], approver, changes)

    at = line.add(
        since.date() + timedelta(days=rng.randint(1, 3)), criteria, "criteria", after=since
    )
    at = line.add(
        since.date() + timedelta(days=rng.randint(2, 5)),
        lambda: fire_action(ctx, ids["action"], "approve", approver),
        "approve",
        after=at,
    )
    at = line.add(
        since.date() + timedelta(days=rng.randint(6, 12)),
        lambda: fire_action(ctx, ids["action"], "start", owner),
        "start",
        after=at,
    )
    if at is None or late:
        return  # still in progress: late once its due date passes
    _finish(ctx, ids, (owner, approver, who.pilots.get(process, QUALITY_MANAGER)), at, (due, check))


def _finish(
    ctx: DemoContext,
    ids: dict[str, int],
    people: tuple[str, str, str],
    started: datetime,
    dates: tuple[date, date],
) -> None:
    line, rng = ctx.timeline, ctx.rng
    owner, checker, pilot = people
    due, check = dates
    done_day = max(due - timedelta(days=rng.randint(3, 25)), started.date() + timedelta(days=5))
    work = f"Done on {done_day:%d %B}, {(due - done_day).days} days before the due date"
    at = line.add(
        done_day,
        lambda: fire_action(ctx, ids["action"], "complete", owner, {"work_done": work}),
        "complete",
        after=started,
    )
    if at is None:
        return
    day = max(check, at.date() + timedelta(days=CHECK_DAYS))
    at = line.add(
        day,
        lambda: fire_action(ctx, ids["action"], "check_effectiveness", checker),
        "check",
        after=at,
    )
    if at is None:
        return
    closer = pilot if pilot != owner else QUALITY_MANAGER
    seen = {
        "effectiveness_result": "effective",
        "effectiveness_evidence": f"Checked on {at:%d %B %Y} with the owner: in use since "
        f"{done_day:%B}",
    }
    line.add(
        at.date(), lambda: fire_action(ctx, ids["action"], "close", closer, seen), "close", after=at
    )
