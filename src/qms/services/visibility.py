"""What a person may see of the registers on a day, from their roles (clause 5.3).

Directors, quality managers and internal auditors see every process: they steer, manage
or audit the whole system. A pilot, correspondent or contributor sees the processes they
hold a role on that day, and anywhere the actions they own. Someone with no role sees
only the actions they own.

Opening a record (a nonconformity, an action) is narrower: on the processes one holds a
role on, or on any for a director or the quality manager. An internal auditor reads every
process but raises a nonconformity through an audit finding, not by hand on a process
they do not work in (their impartiality, clause 9.2.2 c).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from qms.models import ORGANISATION_ROLES, PROCESS_ROLES, Person, Role
from qms.services.processmap.queries import holders


@dataclass(frozen=True)
class Scope:
    everything: bool
    process_ids: frozenset[int]  # the processes seen in full (when not everything)
    person_id: int  # their own actions are seen wherever they are
    managing: bool = False  # a director or the quality manager: opens records anywhere

    def sees_process(self, process_id: int | None) -> bool:
        return self.everything or (process_id is not None and process_id in self.process_ids)

    def sees_action(self, process_id: int | None, owner_id: int | None) -> bool:
        return self.sees_process(process_id) or owner_id == self.person_id

    def opens_on(self, process_id: int | None) -> bool:
        """May open a record on the process (see the module's docstring)."""
        return self.managing or (process_id is not None and process_id in self.process_ids)


def scope(session: Session, person: Person, on: date) -> Scope:
    mine = holders(session, on, person.id)
    everything = any(a.role in ORGANISATION_ROLES for a in mine)
    processes = frozenset(
        a.process_id for a in mine if a.role in PROCESS_ROLES and a.process_id is not None
    )
    managing = any(a.role in (Role.DIRECTOR, Role.QUALITY_MANAGER) for a in mine)
    return Scope(everything, processes, person.id, managing)
