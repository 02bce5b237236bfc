"""Named guards a transition may list in its ``guards:``; each cites the clause it enforces.

A guard looks at the record and the inputs given to the fire and returns ``None``
when the transition may go ahead, or a sentence saying what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class GuardContext:
    record: Any
    inputs: Mapping[str, Any]
    today: date

    def value(self, name: str) -> Any:
        """An input given to this fire, else the record's current value."""
        if name in self.inputs:
            return self.inputs[name]
        field_value = getattr(self.record, "field_value", None)
        return field_value(name) if field_value else getattr(self.record, name, None)

    def missing(self, *names: str) -> list[str]:
        return [n for n in names if self.value(n) in (None, "", [], {})]


Guard = Callable[[GuardContext], str | None]


def as_date(value: Any) -> date | None:
    """A date, whether it came as one or as ISO text kept in a record's data."""
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _needs(*names: str, clause: str) -> Guard:
    def guard(ctx: GuardContext) -> str | None:
        missing = ctx.missing(*names)
        if missing:
            return f"{' and '.join(missing)} must be set first (clause {clause})"
        return None

    return guard


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


GUARDS: Mapping[str, Guard] = {
    "scope_and_criteria_set": _needs("scope", "criteria", clause="9.2.2 b"),
    "audit_team_assigned": _needs("lead_auditor_id", clause="9.2.2 c"),
    "root_cause_recorded": _needs("root_cause", clause="10.2.1 b"),
    "effectiveness_confirmed": effectiveness_confirmed,
    "effectiveness_not_confirmed": effectiveness_not_confirmed,
    "corrective_action_planned": corrective_action_planned,
    "effectiveness_check_due": effectiveness_check_due,
    "evaluation_written": _needs("evaluation", clause="9.1.3"),
    "decisions_recorded": _needs("decisions", clause="9.3.3"),
}
