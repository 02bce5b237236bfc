"""What a guard sees: the record, the inputs given to the fire, today, and the session
(for guards that look at other records: a nonconformity's actions, an audit's checklist)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qms.workflow.guards.refusal import Refusal


@dataclass(frozen=True)
class GuardContext:
    record: Any
    inputs: Mapping[str, Any]
    today: date
    session: Session | None = None
    # The names a guard read, when it is probed before the person gives the inputs.
    read: set[str] = field(default_factory=set, compare=False)

    def value(self, name: str) -> Any:
        """An input given to this fire, else the record's current value."""
        self.read.add(name)
        if name in self.inputs:
            return self.inputs[name]
        field_value = getattr(self.record, "field_value", None)
        return field_value(name) if field_value else getattr(self.record, name, None)

    def missing(self, *names: str) -> list[str]:
        return [n for n in names if self.value(n) in (None, "", [], {})]

    def asked(self, name: str) -> Any:
        """An input given to this fire (None if not given), noted as read."""
        self.read.add(name)
        return self.inputs.get(name)

    def db(self) -> Session:
        """The session of the fire (guards that read other records need one)."""
        if self.session is None:
            raise RuntimeError("this guard reads other records: give the GuardContext a session")
        return self.session


Guard = Callable[[GuardContext], str | None]  # a Refusal, or None: it may go ahead


def as_date(value: Any) -> date | None:
    """A date, whether it came as one or as ISO text kept in a record's data."""
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def needs(*names: str, clause: str) -> Guard:
    def guard(ctx: GuardContext) -> Refusal | None:
        missing = ctx.missing(*names)
        if missing:
            text = f"{' and '.join(missing)} must be set first (clause {clause})"
            return Refusal(text, "fields_missing", fields=tuple(missing), clause=clause)
        return None

    return guard
