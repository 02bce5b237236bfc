"""The words of indicators (clause 9.1): a value's status against target and alert threshold,
and what storing a value did.
"""

from __future__ import annotations

import enum

from qms.models import Direction, Indicator


class Status(enum.StrEnum):
    ON_TARGET = "on_target"
    WATCH = "off_target"  # worse than the target, not yet past the alert threshold
    BREACH = "alert"  # past the alert threshold


class Outcome(enum.StrEnum):
    CREATED = "created"
    CORRECTED = "corrected"
    UNCHANGED = "unchanged"


def status(indicator: Indicator, value: float) -> Status:
    if worse(indicator.direction, value, indicator.alert_threshold):
        return Status.BREACH
    if worse(indicator.direction, value, indicator.target):
        return Status.WATCH
    return Status.ON_TARGET


def worse(direction: Direction, value: float, bound: float) -> bool:
    """Whether ``value`` is worse than ``bound`` for an indicator going that way."""
    return value < bound if direction == Direction.HIGHER else value > bound
