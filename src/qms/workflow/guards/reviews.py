"""Guards of management reviews and process reviews (clauses 9.1.3, 9.3)."""

from __future__ import annotations

from collections.abc import Mapping

from qms.workflow.guards.context import Guard, needs

REVIEW_GUARDS: Mapping[str, Guard] = {
    "evaluation_written": needs("evaluation", clause="9.1.3"),
    "decisions_recorded": needs("decisions", clause="9.3.3"),
}
