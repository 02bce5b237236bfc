"""The workflows of an installation: current definitions, stored versions, shared machines.

One ``transitions`` Machine is built per definition (per content hash), never per
record: it holds no model, and a trigger is fired on a record by passing the record
to ``machine.events[trigger].trigger(record)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from transitions import Machine

from qms.clock import Clock
from qms.errors import NotFound
from qms.models import WorkflowVersion
from qms.workflow.definition import WorkflowDefinition, load_all


def build_machine(defn: WorkflowDefinition) -> Machine:
    machine = Machine(
        model=None,
        states=list(defn.states),
        initial=defn.initial,
        auto_transitions=False,
        model_attribute="state",
        ignore_invalid_triggers=False,
    )
    for transition in defn.transitions:
        machine.add_transition(transition.trigger, list(transition.sources), transition.dest)
    return machine


class Registry:
    """Definitions by name (as the files say now) and by content hash (as records started)."""

    def __init__(self, definitions: Mapping[str, WorkflowDefinition]) -> None:
        self._current = dict(definitions)
        self._by_hash = {d.content_hash: d for d in definitions.values()}
        self._by_kind = {d.record_kind: d for d in definitions.values()}
        self._machines: dict[str, Machine] = {}

    @classmethod
    def from_folder(cls, folder: Path | str) -> Registry:
        return cls(load_all(folder))

    @property
    def names(self) -> list[str]:
        return sorted(self._current)

    def current(self, name: str) -> WorkflowDefinition:
        try:
            return self._current[name]
        except KeyError:
            raise NotFound(f"no workflow named '{name}' (known: {', '.join(self.names)})") from None

    def for_kind(self, record_kind: str) -> WorkflowDefinition:
        try:
            return self._by_kind[record_kind]
        except KeyError:
            raise NotFound(f"no workflow drives records of kind '{record_kind}'") from None

    def by_hash(self, session: Session, content_hash: str) -> WorkflowDefinition:
        """The definition a record started under, from memory or from the stored versions."""
        defn = self._by_hash.get(content_hash)
        if defn is None:
            stored = session.get(WorkflowVersion, content_hash)
            if stored is None:
                raise NotFound(f"workflow version {content_hash[:12]} is not stored")
            defn = WorkflowDefinition.from_dict(stored.definition, f"stored:{content_hash[:12]}")
            self._by_hash[content_hash] = defn
        return defn

    def machine(self, defn: WorkflowDefinition) -> Machine:
        machine = self._machines.get(defn.content_hash)
        if machine is None:
            machine = self._machines[defn.content_hash] = build_machine(defn)
        return machine

    def remember(self, session: Session, defn: WorkflowDefinition, clock: Clock) -> None:
        """Store the definition by its hash the first time a record uses it."""
        values = {
            "hash": defn.content_hash,
            "name": defn.name,
            "version": defn.version,
            "definition": defn.to_dict(),
            "first_used_at": clock.now(),
        }
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(WorkflowVersion).values(**values).on_conflict_do_nothing())

    def stored_versions(self, session: Session, name: str) -> list[WorkflowVersion]:
        return list(
            session.scalars(
                select(WorkflowVersion)
                .where(WorkflowVersion.name == name)
                .order_by(WorkflowVersion.first_used_at, WorkflowVersion.version)
            )
        )
