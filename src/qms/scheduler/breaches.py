"""An ``indicator.breach`` row, as the e-mail that tells the people who must act (9.1.3, 10.2).

The breach is read as it is at send time: one accepted, dismissed or withdrawn since,
or superseded by a later value, tells nobody (the row is marked handled and says why).
It goes to the pilot of the indicator's process, who decides, and to the indicator's
owner, each person once; to the quality managers when the process has no pilot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qms.errors import QmsError
from qms.models import BreachProposal, BreachState, Direction, Person
from qms.scheduler.people import Directory


class Gone(QmsError):
    """The breach needs telling no more."""


@dataclass(frozen=True)
class Notice:
    to: tuple[Person, ...]
    context: dict[str, Any]
    reference: str
    subject: str


def notice(session: Session, payload: dict[str, Any], today: date) -> Notice:
    """Who is told of the breach a row names, and what the e-mail says."""
    breach = session.get(BreachProposal, payload.get("breach_id"))
    if breach is None:
        raise Gone(f"indicator breach #{payload.get('breach_id')} no longer exists")
    reference = f"indicator breach #{breach.id}"
    if breach.state != BreachState.OPEN:
        raise Gone(f"{reference} is {breach.state.value}: nobody needs telling")
    if payload.get("value") is not None and float(payload["value"]) != breach.value:
        raise Gone(f"{reference}: a later value ({breach.value:g}) is told instead")
    indicator, process = breach.indicator, breach.indicator.process
    directory = Directory.load(session, today)
    found = directory.pilots.get(indicator.process_id)
    people = _people(directory, breach, found)
    pilot = found.handle if found else "PILOT"
    unit = f" {indicator.unit}" if indicator.unit else ""
    context = {
        "breach": {"id": breach.id, "period": breach.period, "value": f"{breach.value:g}{unit}"},
        "indicator": {
            "code": indicator.code,
            "name": indicator.name,
            "target": f"{indicator.target:g}{unit}",
            "threshold": f"{breach.threshold:g}{unit}",
            "direction": "higher" if indicator.direction == Direction.HIGHER else "lower",
        },
        "process": {"code": process.code, "name": process.name},
        "people": [{"name": p.name, "as": " and ".join(roles)} for p, roles in people],
        "accept": f"qms indicator accept {breach.id} --as {pilot} --owner HANDLE --due YYYY-MM-DD",
        "dismiss": f'qms indicator dismiss {breach.id} --as {pilot} --reason "why no action"',
        "listing": f"qms indicator breaches --state open --process {process.code}",
    }
    subject = (
        f"Alert threshold crossed: {indicator.code} was {breach.value:g}{unit} in {breach.period}"
    )
    return Notice(tuple(p for p, _ in people), context, reference, subject)


def _people(
    directory: Directory, breach: BreachProposal, pilot: Person | None
) -> list[tuple[Person, list[str]]]:
    """Each person once, with every role they are told as."""
    indicator = breach.indicator
    chosen: dict[int, tuple[Person, list[str]]] = {}
    if pilot is not None:
        chosen[pilot.id] = (pilot, [f"pilot of {indicator.process.code}"])
    owner = directory.by_id.get(indicator.owner_id) if indicator.owner_id else None
    if owner is not None:
        chosen.setdefault(owner.id, (owner, []))[1].append(f"owner of {indicator.code}")
    if pilot is None:  # nobody decides: the quality managers must know
        for manager in directory.quality_managers:
            role = f"quality manager ({indicator.process.code} has no pilot)"
            chosen.setdefault(manager.id, (manager, []))[1].append(role)
    return list(chosen.values())
