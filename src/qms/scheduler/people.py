"""Who is who on one day, loaded once per planning pass: people, pilots, directors.

The day decides it, as it decides permissions (clause 5.3): someone who leaves the process
map on a later date is reminded until then, and a role that starts later is not theirs yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import Person, Role
from qms.services.processmap.queries import holders


@dataclass
class Directory:
    """People active on ``day`` by id and handle, and the role holders in force that day."""

    day: date
    by_id: dict[int, Person] = field(default_factory=dict)
    by_handle: dict[str, Person] = field(default_factory=dict)
    pilots: dict[int, Person] = field(default_factory=dict)
    correspondents: dict[int, list[Person]] = field(default_factory=lambda: defaultdict(list))
    directors: list[Person] = field(default_factory=list)
    quality_managers: list[Person] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, day: date) -> Directory:
        found = cls(day)
        for person in session.scalars(select(Person).where(Person.active_on(day))):
            found.by_id[person.id] = person
            found.by_handle[person.handle] = person
        for held in holders(session, day):
            found._hold(held.role, held.process_id, held.person)
        found.directors.sort(key=lambda p: p.handle)
        found.quality_managers.sort(key=lambda p: p.handle)
        return found

    def _hold(self, role: Role, process_id: int | None, person: Person) -> None:
        if not person.active_on(self.day):
            return
        if role == Role.PILOT and process_id is not None:
            self.pilots[process_id] = person
        elif role == Role.CORRESPONDENT and process_id is not None:
            self.correspondents[process_id].append(person)
        elif role == Role.DIRECTOR:
            self.directors.append(person)
        elif role == Role.QUALITY_MANAGER:
            self.quality_managers.append(person)

    def owner(self, row: Any) -> Person | None:
        """The person a record names as responsible (owner, action owner, lead auditor)."""
        for column in ("owner_id", "lead_auditor_id"):
            person_id = getattr(row, column, None)
            if person_id is not None and person_id in self.by_id:
                return self.by_id[person_id]
        data = getattr(row, "data", None) or {}
        handle = data.get("action_owner") if isinstance(data, dict) else None
        return self.by_handle.get(handle) if isinstance(handle, str) else None

    def resolve(self, name: str, row: Any) -> list[Person]:
        """The people a recipient name stands for, for one record."""
        process_id = getattr(row, "process_id", None)
        pilot = self.pilots.get(process_id) if process_id is not None else None
        match name:
            case "owner":
                found = self.owner(row) or pilot
                return [found] if found else []
            case "pilot":
                return [pilot] if pilot else []
            case "correspondents":
                return list(self.correspondents.get(process_id, [])) if process_id else []
            case "directors":
                return list(self.directors)
            case "quality_managers":
                return list(self.quality_managers)
        return []

    def recipients(self, names: tuple[str, ...], row: Any) -> list[tuple[Person, str]]:
        """Each person once, with the first role they are reminded as; never nobody."""
        chosen: dict[int, tuple[Person, str]] = {}
        for name in names:
            for person in self.resolve(name, row):
                chosen.setdefault(person.id, (person, name))
        if not chosen:  # nobody holds the role: the quality managers must know
            return [(p, "quality_managers") for p in self.quality_managers]
        return list(chosen.values())
