"""Vocabulary shared by nonconformities and improvement actions (clauses 10.2, 10.3)."""

from __future__ import annotations

import enum
from datetime import date

from qms.errors import ValidationError


class NcSource(enum.StrEnum):
    INTERNAL_AUDIT = "internal_audit"
    EXTERNAL_AUDIT = "external_audit"
    COMPLAINT = "complaint"
    INDICATOR_BREACH = "indicator_breach"
    INCIDENT = "incident"
    OTHER = "other"


class ActionKind(enum.StrEnum):
    CORRECTION = "correction"
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"
    IMPROVEMENT = "improvement"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Origin(enum.StrEnum):
    NONCONFORMITY = "nonconformity"
    AUDIT_FINDING = "audit_finding"
    INDICATOR_BREACH = "indicator_breach"
    MANAGEMENT_REVIEW = "management_review"
    SUGGESTION = "suggestion"


# States in which a record is still being worked on (its due date can pass).
ACTION_OPEN_WORK = ("proposed", "approved", "in_progress")
NC_OPEN_WORK = ("detected", "contained", "analysed", "action_planned")


def one_of(field: str, value: str, allowed: type[enum.StrEnum] | list[str]) -> str:
    names = [str(v) for v in allowed]
    if value not in names:
        raise ValidationError(field, f"{value!r} is not one of {', '.join(names)}")
    return value


def required_text(field: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise ValidationError(field, "is required")
    return value.strip()


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the last day of the month when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))
