"""Named guards a transition may list in its ``guards:``; each cites the clause it enforces.

A guard looks at the record, the inputs given to the fire (and, through the session, the
records around it) and returns ``None`` when the transition may go ahead, or a
:class:`Refusal`: the sentence saying what is missing, with its values. Guards live per
capability in this package; ``GUARDS`` names them all.
"""

from __future__ import annotations

from collections.abc import Mapping

from qms.workflow.guards.audits import AUDIT_GUARDS
from qms.workflow.guards.capa import CAPA_GUARDS
from qms.workflow.guards.context import Guard, GuardContext, as_date, needs
from qms.workflow.guards.refusal import Refusal, about
from qms.workflow.guards.reviews import REVIEW_GUARDS

GUARDS: Mapping[str, Guard] = {**CAPA_GUARDS, **AUDIT_GUARDS, **REVIEW_GUARDS}

__all__ = ["GUARDS", "Guard", "GuardContext", "Refusal", "about", "as_date", "needs"]
