"""Guards of the audit programme, internal audits and their findings (clause 9.2)."""

from __future__ import annotations

from collections.abc import Mapping

from qms.workflow.guards.context import Guard, needs

AUDIT_GUARDS: Mapping[str, Guard] = {
    "scope_and_criteria_set": needs("scope", "criteria", clause="9.2.2 b"),
    "audit_team_assigned": needs("lead_auditor_id", clause="9.2.2 c"),
}
