"""Guards of nonconformities and improvement actions (clauses 10.2, 10.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from qms.models import HistoryEntry, ImprovementAction
from qms.workflow.guards.context import Guard, GuardContext, as_date, needs
from qms.workflow.guards.refusal import Refusal

# What plan_action asks for when it plans a new corrective action.
PLAN_INPUTS = ("action_plan", "action_owner", "action_due_date", "effectiveness_criteria",
               "effectiveness_check_date")  # fmt: skip
DONE = ("done", "effectiveness_check", "closed")


@dataclass(frozen=True)
class Named:
    """An action a refusal names: its id, title, state, owner's name and due date."""

    id: int
    title: str
    state: str
    owner: str | None
    due: date | None


def effectiveness_confirmed(ctx: GuardContext) -> Refusal | None:
    result = ctx.value("effectiveness_result")
    if result != "effective":
        text = (
            "closing needs an effectiveness result of 'effective' (clause 10.2.1 d); "
            f"got {result!r}"
        )
        return Refusal(text, "not_effective", result=result, clause="10.2.1 d")
    return None


def effectiveness_not_confirmed(ctx: GuardContext) -> Refusal | None:
    if ctx.value("effectiveness_result") != "ineffective":
        text = "re-analysis follows an effectiveness result of 'ineffective' (clause 10.2.1 d)"
        return Refusal(text, "not_ineffective", clause="10.2.1 d")
    return None


def corrective_action_planned(ctx: GuardContext) -> Refusal | None:
    """A corrective action cannot start without effectiveness criteria and a check date."""
    if ctx.value("kind") != "corrective":
        return None
    missing = ctx.missing("effectiveness_criteria", "effectiveness_check_date")
    if missing:
        text = (
            f"a corrective action needs {' and '.join(missing)} before it starts "
            "(clause 10.2.1 d: plan how effectiveness will be checked)"
        )
        return Refusal(text, "check_not_planned", fields=tuple(missing), clause="10.2.1 d")
    return None


def effectiveness_check_due(ctx: GuardContext) -> Refusal | None:
    check_date = as_date(ctx.value("effectiveness_check_date"))
    if check_date is not None and check_date > ctx.today:
        text = f"the effectiveness check is planned for {check_date.isoformat()} (clause 10.2.1 d)"
        return Refusal(text, "check_not_due", day=check_date, clause="10.2.1 d")
    return None


def _actions(ctx: GuardContext) -> list[ImprovementAction]:
    """The nonconformity's actions of this round (since its last re-analysis: those found
    not effective before led to it), but the rejected ones (they were never taken)."""
    session = ctx.db()
    since = session.scalar(
        select(func.max(HistoryEntry.at)).where(
            HistoryEntry.record_kind == "nonconformity",
            HistoryEntry.record_id == ctx.record.id,
            HistoryEntry.trigger == "reanalyse",
        )
    )
    query = (
        select(ImprovementAction)
        .where(ImprovementAction.nonconformity_id == ctx.record.id)
        .where(ImprovementAction.state != "rejected")
        .order_by(ImprovementAction.id)
    )
    if since is not None:
        query = query.where(ImprovementAction.created_at >= since)
    return list(session.scalars(query))


def no_action_needed(ctx: GuardContext) -> bool:
    """The analysis found that no corrective action is needed (clause 10.2.1 b, c)."""
    return ctx.value("corrective_action_needed") is False


def _named(actions: list[ImprovementAction]) -> tuple[Named, ...]:
    return tuple(
        Named(a.id, a.title, a.state, a.owner.name if a.owner else None, a.due_date)
        for a in actions
    )


def _listed(actions: list[ImprovementAction]) -> str:
    return "; ".join(
        f"{a.reference} '{a.title}' is {a.state}"
        + (
            f" (owner {a.owner.name}, due {a.due_date.isoformat()})"
            if a.owner and a.due_date
            else ""
        )
        for a in actions
    )


def corrective_actions_planned(ctx: GuardContext) -> Refusal | None:
    """plan_action: a new corrective action planned in full, with sensible dates, or one
    already on the register for this nonconformity (raised by its audit finding, added)."""
    given = [n for n in PLAN_INPUTS if ctx.asked(n) not in (None, "")]
    if no_action_needed(ctx):
        if given != ["action_plan"]:
            text = (
                "the analysis found no corrective action needed: say why in action_plan, "
                "and nothing else (clause 10.2.1 c); if one is needed, analyse it again"
            )
            extra = tuple(n for n in given if n != "action_plan")
            return Refusal(text, "none_needed", why="action_plan", extra=extra, clause="10.2.1 c")
        return None
    if not given:
        if _actions(ctx):
            return None
        text = (
            "a corrective action is needed (clause 10.2.1 c): give the plan, its owner, due "
            "date, effectiveness criteria and check date, or add an action first "
            f"(qms nc add-action {ctx.record.id} ...)"
        )
        return Refusal(text, "action_needed", fields=PLAN_INPUTS, clause="10.2.1 c")
    missing = [n for n in PLAN_INPUTS if n not in given]
    if missing:
        text = f"a corrective action is planned with {', '.join(missing)} too (clause 10.2.1 c, d)"
        return Refusal(text, "plan_incomplete", fields=tuple(missing), clause="10.2.1 c, d")
    due = as_date(ctx.inputs["action_due_date"])
    check = as_date(ctx.inputs["effectiveness_check_date"])
    if due is not None and due < ctx.today:
        text = f"the action's due date {due.isoformat()} is in the past (clause 10.2.1 c)"
        return Refusal(text, "due_past", due=due, today=ctx.today, clause="10.2.1 c")
    if due is not None and check is not None and check < due:
        text = (
            f"the effectiveness check date {check.isoformat()} is before the due date "
            f"{due.isoformat()}: effectiveness is checked once the action is done (clause 10.2.1 d)"
        )
        return Refusal(text, "check_before_due", check=check, due=due, clause="10.2.1 d")
    return None


def corrective_actions_done(ctx: GuardContext) -> Refusal | None:
    """implement: every corrective action of the nonconformity is done (clause 10.2.1 c)."""
    actions = _actions(ctx)
    if not actions and no_action_needed(ctx):
        return None
    if not actions:
        text = "the nonconformity has no corrective action on the register (clause 10.2.1 c)"
        return Refusal(text, "no_action", clause="10.2.1 c")
    waiting = [a for a in actions if a.state not in DONE]
    if waiting:
        text = f"its corrective actions are not all done (clause 10.2.1 c): {_listed(waiting)}"
        return Refusal(text, "actions_not_done", actions=_named(waiting), clause="10.2.1 c")
    return None


def corrective_actions_effective(ctx: GuardContext) -> Refusal | None:
    """check_effectiveness: 'effective' only once each action's own check is done, and at
    least one found its action effective (those found not effective led to a new plan)."""
    if ctx.value("effectiveness_result") != "effective":
        return None
    actions = _actions(ctx)
    if not actions and no_action_needed(ctx):
        return None
    unchecked = [a for a in actions if a.state != "closed"]
    if unchecked:
        text = (
            "the effectiveness of each of its actions is checked first, and each closed "
            f"(clause 10.2.1 d): {_listed(unchecked)}"
        )
        return Refusal(text, "actions_unchecked", actions=_named(unchecked), clause="10.2.1 d")
    if not any((a.data or {}).get("effectiveness_result") == "effective" for a in actions):
        text = (
            "none of its actions was found effective (clause 10.2.1 d): analyse the cause "
            "again and plan a new one"
        )
        return Refusal(text, "none_effective", clause="10.2.1 d")
    return None


def proposed_actions_settled(ctx: GuardContext) -> Refusal | None:
    """cancel: its proposed or approved actions are rejected first, so that the register
    holds no action waiting for a nonconformity that no longer exists."""
    waiting = [a for a in _actions(ctx) if a.state in ("proposed", "approved")]
    if waiting:
        text = (
            "reject its waiting actions first, with the reason (qms action fire ID reject): "
            + _listed(waiting)
        )
        return Refusal(text, "actions_waiting", actions=_named(waiting))
    return None


def effectiveness_criteria_set(ctx: GuardContext) -> Refusal | None:
    """Effectiveness is judged against criteria set before the check (clause 10.2.1 d)."""
    if ctx.value("effectiveness_criteria") in (None, ""):
        text = (
            "the action has no effectiveness criteria: they are set before the check "
            f"(clause 10.2.1 d); reopen it and set them (qms action edit {ctx.record.id} "
            "--set effectiveness_criteria=...)"
        )
        return Refusal(text, "no_criteria", field="effectiveness_criteria", clause="10.2.1 d")
    return None


CAPA_GUARDS: Mapping[str, Guard] = {
    "root_cause_recorded": needs("root_cause", clause="10.2.1 b"),
    "effectiveness_confirmed": effectiveness_confirmed,
    "effectiveness_not_confirmed": effectiveness_not_confirmed,
    "corrective_action_planned": corrective_action_planned,
    "effectiveness_check_due": effectiveness_check_due,
    "corrective_actions_planned": corrective_actions_planned,
    "corrective_actions_done": corrective_actions_done,
    "corrective_actions_effective": corrective_actions_effective,
    "effectiveness_criteria_set": effectiveness_criteria_set,
    "proposed_actions_settled": proposed_actions_settled,
}
