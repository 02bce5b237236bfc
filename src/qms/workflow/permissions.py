"""Who may fire what: roles come from the process map's role assignments (clause 5.3).

A pilot of process A is not a pilot of process B; directors, quality managers and
auditors hold their role across the institution; ``owner`` and ``lead_auditor`` are
the people a record names.  :class:`ActorRoles` loads an actor's assignments once
and answers for any number of records without another query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import Person, RoleAssignment, WorkflowRecord

# A record role is held by the person a field names: an id column, or a handle in the data.
RECORD_ROLE_FIELDS = {
    "owner": ("owner_id", "action_owner"),
    "lead_auditor": ("lead_auditor_id",),
}


@dataclass(frozen=True)
class ActorRoles:
    actor: Person
    on: date
    institution: frozenset[str]
    by_process: dict[int, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, actor: Person, on: date) -> ActorRoles:
        if not actor.active:
            return cls(actor, on, frozenset())
        rows = session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.person_id == actor.id, RoleAssignment.valid_from <= on)
            .where(RoleAssignment.valid_to.is_(None) | (RoleAssignment.valid_to > on))
        )
        institution: set[str] = set()
        by_process: dict[int, set[str]] = defaultdict(set)
        for row in rows:
            target = institution if row.process_id is None else by_process[row.process_id]
            target.add(row.role.value)
        return cls(
            actor,
            on,
            frozenset(institution),
            {pid: frozenset(roles) for pid, roles in by_process.items()},
        )

    def on_record(self, record: WorkflowRecord) -> frozenset[str]:
        """Every role the actor holds on this record today."""
        if not self.actor.active:
            return frozenset()
        roles = set(self.institution)
        if record.process_id is not None:
            roles |= self.by_process.get(record.process_id, frozenset())
        for role, names in RECORD_ROLE_FIELDS.items():
            if any(self._named(record, name) for name in names):
                roles.add(role)
        return frozenset(roles)

    def _named(self, record: WorkflowRecord, name: str) -> bool:
        if name.endswith("_id"):
            return bool(getattr(record, name, None) == self.actor.id)
        return bool(record.field_value(name) == self.actor.handle)
