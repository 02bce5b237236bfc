"""The demo's web accounts: one person of each kind of user, sharing one password.

The password is drawn at random the first time and kept, readable by its owner only, in
``demo-password`` beside the trail key (``var/`` by default), so that every `make run`
prints the same one; accounts already there are left as they are.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import Account, Role, RoleAssignment
from qms.services import accounts
from qms.services.processmap.queries import holders

KINDS = (
    (Role.PILOT, "process pilot"),
    (Role.CORRESPONDENT, "quality correspondent"),
    (Role.AUDITOR, "internal auditor"),
    (Role.QUALITY_MANAGER, "quality manager"),
    (Role.DIRECTOR, "director"),
)


@dataclass(frozen=True)
class DemoAccount:
    handle: str
    name: str
    kind: str  # what this person does, in words
    processes: tuple[str, ...]


@dataclass(frozen=True)
class DemoAccounts:
    password: str
    people: tuple[DemoAccount, ...]


def ensure(app: Services, today: date) -> DemoAccounts:
    """Accounts for a pilot, a correspondent, an auditor, a quality manager and a
    director of the map on ``today`` (each a different person), created once."""
    chosen: list[DemoAccount] = []
    with app.database.reading() as session:
        held = sorted(holders(session, today), key=lambda a: (a.person.handle, a.id))
        have = set(session.scalars(select(Account.person_id)))
        for role, kind in KINDS:
            taken = {c.handle for c in chosen}
            mine = [a for a in held if a.role == role and a.person.handle not in taken]
            if not mine:
                continue
            person = mine[0].person
            processes = tuple(
                sorted(a.process.code for a in held if a.person_id == person.id and a.process)
            )
            chosen.append(DemoAccount(person.handle, person.name, kind, processes))
        missing = [c.handle for c in chosen if _person_id(held, c.handle) not in have]
    password, fresh = _password(Path(app.settings.trail_key_file).parent / "demo-password")
    for handle in missing:
        accounts.create(app, handle, password)
    if fresh:  # a password file lost: the accounts already there get the new one
        for existing in chosen:
            if existing.handle not in missing:
                accounts.set_password(app, existing.handle, password)
    return DemoAccounts(password, tuple(chosen))


def _person_id(held: list[RoleAssignment], handle: str) -> int | None:
    return next((a.person.id for a in held if a.person.handle == handle), None)


def _password(path: Path) -> tuple[str, bool]:
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "demo-" + secrets.token_hex(5)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(password + "\n")
    return password, True
