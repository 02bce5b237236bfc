"""The record kinds that move through a workflow, and the role names a transition may name."""

from __future__ import annotations

import enum

from qms.models.processmap import Role


class RecordKind(enum.StrEnum):
    IMPROVEMENT_ACTION = "improvement_action"
    NONCONFORMITY = "nonconformity"
    INTERNAL_AUDIT = "internal_audit"
    AUDIT_FINDING = "audit_finding"
    MANAGEMENT_REVIEW = "management_review"
    PROCESS_REVIEW = "process_review"
    AUDIT_PROGRAMME = "audit_programme"


# Roles relative to one record rather than to a process: the person the record names.
RECORD_ROLES = frozenset({"owner", "lead_auditor"})

KNOWN_ROLES = frozenset(r.value for r in Role) | RECORD_ROLES
