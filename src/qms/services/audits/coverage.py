"""How a cycle's audit programme stands (clause 9.2.2): per audit and per process, the audits
planned, started, done and late. An audit is late once its planned month has passed and it
has not started; an entry on or after its process's retirement is shown as such and counted
nowhere. ``qms audit programme coverage`` and the management review (9.3.2 c 6) show it."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import AuditProgramme, Process
from qms.models.audits import EntryState, entry_state
from qms.services.audits.common import active_processes, cycle_bounds, programme_of
from qms.services.audits.queries import EntryRow, entries

NOT_STARTED = (EntryState.PLANNED, EntryState.NOT_CARRIED_OUT)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class AuditStatus:
    """One audit of the programme, as it stands on ``today``."""

    entry: EntryRow
    late: bool

    @property
    def counted(self) -> bool:
        return self.entry.state != EntryState.RETIRED

    @property
    def status(self) -> str:
        if not self.counted:
            return f"process retired on {self.entry.retired_on}"
        if self.late:
            return "LATE"
        return self.entry.state.replace("_", " ")

    def describe(self) -> str:
        """E.g. 'TRN-04 planned 2027-03-08 (not scheduled)'."""
        e = self.entry
        audit = "not scheduled" if e.audit_id is None else f"audit #{e.audit_id} {e.audit_state}"
        return f"{e.process} planned {e.planned_on} ({audit})"

    def as_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "entry": e.id,
            "process": e.process,
            "planned_on": e.planned_on,
            "month": e.planned_on.strftime("%Y-%m"),
            "lead_auditor": e.lead_auditor,
            "audit_id": e.audit_id,
            "audit_state": e.audit_state,
            "late": self.late,
            "status": self.status,
        }


@dataclass(frozen=True)
class ProcessCoverage:
    process: str
    name: str
    retired_on: date | None
    needed: bool  # active at the start of the cycle: the programme must cover it
    audits: tuple[AuditStatus, ...]

    def _count(self, *states: str) -> int:
        return sum(1 for a in self.audits if a.counted and (not states or a.entry.state in states))

    @property
    def planned(self) -> int:
        return self._count()

    @property
    def started(self) -> int:
        return self._count(EntryState.STARTED)

    @property
    def done(self) -> int:
        return self._count(EntryState.DONE)

    @property
    def late(self) -> int:
        return sum(1 for a in self.audits if a.late)

    @property
    def covered(self) -> bool:
        return self.planned > 0 or not self.needed

    @property
    def status(self) -> str:
        if not self.covered:
            retiring = f" (retires on {self.retired_on})" if self.retired_on else ""
            return f"NOT IN PROGRAMME{retiring}"
        if self.late:
            return "LATE"
        if not self.needed:
            return f"retired on {self.retired_on}"
        if self.done == self.planned:
            return "done"
        return "started" if self.started or self.done else "planned"

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "name": self.name,
            "planned": self.planned,
            "started": self.started,
            "done": self.done,
            "late": self.late,
            "status": self.status,
            "retired_on": self.retired_on,
            "audits": [a.as_dict() for a in self.audits],
        }


@dataclass(frozen=True)
class ProgrammeStatus:
    cycle: int
    state: str  # the programme's own state: draft, approved, in_effect, closed
    today: date  # the day it stands on
    processes: tuple[ProcessCoverage, ...]

    def as_of(self, audit_states: Mapping[int, str]) -> ProgrammeStatus:
        """The programme with its audits in the states they had at a past moment (a
        review's, read from the trail); an audit missing from them had not begun then."""
        processes = []
        for p in self.processes:
            rows = [_restated(a.entry, audit_states, self.state) for a in p.audits]
            processes.append(_process(p, p.needed, rows, self.today))
        return replace(self, processes=tuple(processes))

    @property
    def audits(self) -> list[AuditStatus]:
        found = [a for p in self.processes for a in p.audits]
        return sorted(found, key=lambda a: (a.entry.planned_on, a.entry.id))

    @property
    def late(self) -> list[AuditStatus]:
        return [a for a in self.audits if a.late]

    @property
    def not_covered(self) -> list[str]:
        return [p.process for p in self.processes if not p.covered]

    def counts(self) -> dict[str, int]:
        return {
            "planned": sum(p.planned for p in self.processes),
            "started": sum(p.started for p in self.processes),
            "done": sum(p.done for p in self.processes),
            "late": len(self.late),
        }

    def summary(self) -> str:
        """E.g. 'programme 2027: 21 planned, 2 started, 5 done, 3 late'."""
        shown = ", ".join(f"{n} {what}" for what, n in self.counts().items())
        return f"programme {self.cycle}: {shown}"

    LATE_COLUMNS: ClassVar[tuple[str, ...]] = ("process", "planned", "audit", "lead auditor")

    def late_rows(self) -> list[tuple[str, ...]]:
        """The late audits, one row each (LATE_COLUMNS)."""
        return [
            (
                a.entry.process,
                a.entry.planned_on.isoformat(),
                "not scheduled"
                if a.entry.audit_id is None
                else f"#{a.entry.audit_id} {a.entry.audit_state}",
                a.entry.lead_auditor or "—",
            )
            for a in self.late
        ]

    def late_sentence(self) -> str:
        """E.g. '2 audits are late: TRN-04 planned ..., STE-02 planned ...' (empty if none)."""
        late = self.late
        if not late:
            return ""
        verb = "audit is" if len(late) == 1 else "audits are"
        return f"{len(late)} {verb} late: " + ", ".join(a.describe() for a in late)


def status(
    session: Session, cycle: int, today: date, process: str | None = None
) -> ProgrammeStatus:
    """The cycle's programme as it stands on ``today`` (``process``: only that process)."""
    start, _ = cycle_bounds(cycle)
    programme = programme_of(session, cycle)
    rows = entries(session, programme)
    processes = {p.code: p for p in active_processes(session, start)}
    needed = set(processes)
    listed = {r.process for r in rows} - set(processes)
    if listed:  # retired before the cycle, yet in its programme
        query = select(Process).where(Process.code.in_(sorted(listed)))
        processes.update({p.code: p for p in session.scalars(query)})
    chosen = sorted(processes) if process is None else [c for c in processes if c == process]
    return ProgrammeStatus(
        cycle,
        programme.state,
        today,
        tuple(_process(processes[c], c in needed, rows, today) for c in chosen),
    )


def _process(
    process: Process | ProcessCoverage, needed: bool, rows: Iterable[EntryRow], today: date
) -> ProcessCoverage:
    code = process.code if isinstance(process, Process) else process.process
    audits = tuple(
        AuditStatus(r, r.state in NOT_STARTED and month_end(r.planned_on) < today)
        for r in rows
        if r.process == code
    )
    return ProcessCoverage(code, process.name, process.retired_on, needed, audits)


def _restated(entry: EntryRow, audit_states: Mapping[int, str], programme: str) -> EntryRow:
    then = audit_states.get(entry.audit_id) if entry.audit_id is not None else None
    state = entry_state(then, programme, entry.retired_on, entry.planned_on)
    audit_id = entry.audit_id if then is not None else None
    return replace(entry, audit_id=audit_id, audit_state=then, state=state)


def of_period(
    session: Session, start: date, end: date, today: date, process: str | None = None
) -> list[ProgrammeStatus]:
    """The programmes of the cycles a period touches (a management review's, say)."""
    cycles = session.scalars(
        select(AuditProgramme.cycle)
        .where(AuditProgramme.cycle.between(start.year, end.year))
        .order_by(AuditProgramme.cycle)
    )
    return [status(session, cycle, today, process) for cycle in cycles]
