"""Vocabulary shared by nonconformities and improvement actions (clauses 10.2, 10.3)."""

from __future__ import annotations

import enum


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
