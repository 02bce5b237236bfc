"""Who may fire what: roles come from the process map's role assignments (clause 5.3).

A pilot of process A is not a pilot of process B; directors, quality managers and
auditors hold their role across the institution; ``owner`` and ``lead_auditor`` are
the people a record names.  :class:`ActorRoles` loads an actor's assignments once
and answers for any number of records without another query.

Everything is answered for one day: an assignment holds from its ``valid_from`` to the
day before its ``valid_to``, and a person is active until their ``inactive_from``, so a
change the process map was loaded with for a later date takes effect on that date.
:func:`label` names a person as a refusal and ``qms processmap show`` both print them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import BindParameter, ColumnElement, Date, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from qms.errors import ValidationError
from qms.models import Person, RoleAssignment, WorkflowRecord

# A record role is held by the person a field names: an id column, a handle in the data,
# or an id column of a related record ("audit.lead_auditor_id": a finding's audit's lead).
RECORD_ROLE_FIELDS = {
    "owner": ("owner_id", "action_owner"),
    "lead_auditor": ("lead_auditor_id", "audit.lead_auditor_id"),
}


@cache
def _record_role_fields(model: type[WorkflowRecord]) -> tuple[tuple[str, str, bool], ...]:
    """(role, field, is an id column) for the fields this kind of record can name people in."""
    found = []
    for role, names in RECORD_ROLE_FIELDS.items():
        for name in names:
            is_column = name.endswith("_id")
            if not is_column or name.split(".")[0] in model.field_names():
                found.append((role, name, is_column))
    return tuple(found)


@dataclass
class ActorRoles:
    actor: Person
    on: date
    institution: frozenset[str]
    by_process: dict[int, frozenset[str]] = field(default_factory=dict)
    _memo: dict[tuple[int | None, tuple[str, ...]], frozenset[str]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def load(cls, session: Session, actor: Person, on: date) -> ActorRoles:
        rows = session.execute(
            select(RoleAssignment.role, RoleAssignment.process_id).where(
                RoleAssignment.person_id == actor.id, *in_force(on)
            )
        )
        return cls._build(actor, on, [(role, pid) for role, pid in rows])

    @classmethod
    def for_handle(
        cls, session: Session, handle: str, on: date, field: str = "actor"
    ) -> ActorRoles:
        """The person named by ``handle`` and their roles on ``on``, in one query."""
        rows = session.execute(_PERSON_AND_ROLES, {"handle": handle, "on": on}).all()
        if not rows:
            raise ValidationError(field, f"unknown person '{handle}'")
        held = [(role, pid) for _, role, pid in rows if role is not None]
        return cls._build(rows[0][0], on, held)

    @classmethod
    def _build(
        cls, actor: Person, on: date, held: Sequence[tuple[object, int | None]]
    ) -> ActorRoles:
        if not actor.active_on(on):
            return cls(actor, on, frozenset())
        institution: set[str] = set()
        by_process: dict[int, set[str]] = defaultdict(set)
        for role, process_id in held:
            target = institution if process_id is None else by_process[process_id]
            target.add(str(role))
        return cls(
            actor,
            on,
            frozenset(institution),
            {pid: frozenset(roles) for pid, roles in by_process.items()},
        )

    @property
    def active(self) -> bool:
        """Whether the actor is active on the day these roles are for."""
        return self.actor.active_on(self.on)

    @property
    def who(self) -> str:
        """The actor as a refusal names them on that day (see :func:`label`)."""
        return label(self.actor, self.on)

    def on_record(self, record: WorkflowRecord) -> frozenset[str]:
        """Every role the actor holds on this record today (the same object for equal answers)."""
        if not self.active:
            return frozenset()
        named = tuple(
            role
            for role, name, is_column in _record_role_fields(type(record))
            if self._names_actor(record, name, is_column)
        )
        key = (record.process_id, named)
        roles = self._memo.get(key)
        if roles is None:
            roles = self.institution | self.by_process.get(record.process_id or 0, frozenset())
            roles = self._memo[key] = roles | frozenset(named)
        return roles

    def _names_actor(self, record: WorkflowRecord, name: str, is_column: bool) -> bool:
        if not is_column:
            return bool(record.data and record.data.get(name) == self.actor.handle)
        holder: object = record
        for part in name.split("."):
            holder = getattr(holder, part, None)
        return bool(holder == self.actor.id)


def label(person: Person, on: date) -> str:
    """``Name (handle)``, with ``(inactive since D)`` when they are not active on ``on``."""
    shown = f"{person.name} ({person.handle})"
    if person.inactive_from is not None and not person.active_on(on):
        shown += f" (inactive since {person.inactive_from.isoformat()})"
    return shown


def in_force(on: date | BindParameter[date]) -> list[ColumnElement[bool]]:
    """The conditions of an assignment held on ``on`` (``valid_from <= on < valid_to``)."""
    return [
        RoleAssignment.valid_from <= on,
        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to > on),
    ]


# Built once, so that each fire reuses the compiled query.
_PERSON_AND_ROLES = (
    select(Person, RoleAssignment.role, RoleAssignment.process_id)
    .outerjoin(
        RoleAssignment,
        and_(RoleAssignment.person_id == Person.id, *in_force(bindparam("on", type_=Date()))),
    )
    .where(Person.handle == bindparam("handle"))
)
