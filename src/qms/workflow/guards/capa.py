"""Guards of nonconformities and improvement actions (clauses 10.2, 10.3)."""

from __future__ import annotations

from collections.abc import Mapping

from qms.workflow.guards.context import Guard, GuardContext, as_date, needs


def effectiveness_confirmed(ctx: GuardContext) -> str | None:
    result = ctx.value("effectiveness_result")
    if result != "effective":
        return (
            "closing needs an effectiveness result of 'effective' (clause 10.2.1 d); "
            f"got {result!r}"
        )
    return None


def effectiveness_not_confirmed(ctx: GuardContext) -> str | None:
    if ctx.value("effectiveness_result") != "ineffective":
        return "re-analysis follows an effectiveness result of 'ineffective' (clause 10.2.1 d)"
    return None


def corrective_action_planned(ctx: GuardContext) -> str | None:
    """A corrective action cannot start without effectiveness criteria and a check date."""
    if ctx.value("kind") != "corrective":
        return None
    missing = ctx.missing("effectiveness_criteria", "effectiveness_check_date")
    if missing:
        return (
            f"a corrective action needs {' and '.join(missing)} before it starts "
            "(clause 10.2.1 d: plan how effectiveness will be checked)"
        )
    return None


def effectiveness_check_due(ctx: GuardContext) -> str | None:
    check_date = as_date(ctx.value("effectiveness_check_date"))
    if check_date is not None and check_date > ctx.today:
        return f"the effectiveness check is planned for {check_date.isoformat()} (clause 10.2.1 d)"
    return None


CAPA_GUARDS: Mapping[str, Guard] = {
    "root_cause_recorded": needs("root_cause", clause="10.2.1 b"),
    "effectiveness_confirmed": effectiveness_confirmed,
    "effectiveness_not_confirmed": effectiveness_not_confirmed,
    "corrective_action_planned": corrective_action_planned,
    "effectiveness_check_due": effectiveness_check_due,
}
