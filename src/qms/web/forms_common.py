"""What the daily forms share: the processes a person may open a record on, the people
of a process, the choices with their labels, dates as typed, and a refusal in words.

A person opens a record on their own processes, or on any for a director or the quality
manager (:mod:`qms.services.visibility`, ``Scope.opens_on``). The people offered as owner are
those holding a role on the chosen process that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import PermissionDenied, ValidationError
from qms.models import PROCESS_ROLES, Person, Process, Role
from qms.reporting.words import TERMS, readable
from qms.services import shared, visibility
from qms.services.processmap.queries import holders
from qms.web.i18n import _

ROLE_ORDER = {Role.PILOT: 0, Role.CORRESPONDENT: 1, Role.CONTRIBUTOR: 2}


@dataclass
class FormState:
    """What a form shows: the values as typed, each field's error, an error of the form."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    conflict: bool = False  # changed by someone else meanwhile: 409

    def refuse(self, exc: ValidationError) -> None:
        """The refusal next to its field, or on the form when it names no field of it."""
        if exc.field in self.values:
            self.errors.setdefault(exc.field, in_words(exc))
        else:
            self.message = f"{readable(exc.field)}: {in_words(exc)}"

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.message)

    @property
    def status(self) -> int:
        return 409 if self.conflict else 400


def in_words(exc: ValidationError) -> str:
    """The service's message without its field name, and without the command line's
    option names (``give --reference``: the field is next to the message)."""
    text = str(exc)
    prefix = f"{exc.field}: "
    text = text[len(prefix) :] if text.startswith(prefix) else text
    for pattern, by in _OPTIONS:
        text = pattern.sub(by, text)
    return text.strip()


_OPTIONS = (  # "...; give --reference" / "(--reason)" / "give --reference 'x'"
    (re.compile(r";\s*give --[a-z-]+$"), ""),
    (re.compile(r"\s*\(--[a-z-]+\)"), ""),
    (re.compile(r"\bgive --[a-z-]+ "), "give "),
)


@dataclass(frozen=True)
class Holder:
    handle: str
    name: str
    role: str


@dataclass(frozen=True)
class Choices:
    """The processes a person may choose, and the people of each (pilot first)."""

    processes: list[Process]
    people: dict[str, list[Holder]]  # process code -> its people

    def codes(self) -> set[str]:
        return {p.code for p in self.processes}

    def holder(self, process: str, handle: str) -> Holder | None:
        return next((h for h in self.people.get(process, []) if h.handle == handle), None)


def choices(session: Session, person_id: int, today: date) -> Choices:
    """The processes in force the person may open a record on, with their people."""
    person = session.get(Person, person_id)
    assert person is not None
    scope = visibility.scope(session, person, today)
    processes = [
        p
        for p in session.scalars(select(Process).order_by(Process.code))
        if (p.retired_on is None or p.retired_on > today) and scope.opens_on(p.id)
    ]
    return Choices(processes, people_of(session, processes, today))


def people_of(session: Session, processes: list[Process], today: date) -> dict[str, list[Holder]]:
    codes = {p.id: p.code for p in processes}
    found: dict[str, list[Holder]] = {code: [] for code in codes.values()}
    for held in holders(session, today):
        if held.role in PROCESS_ROLES and held.process_id in codes:
            code = codes[held.process_id]
            if all(h.handle != held.person.handle for h in found[code]):
                found[code].append(Holder(held.person.handle, held.person.name, held.role))
    for people in found.values():
        people.sort(key=lambda h: (ROLE_ORDER.get(Role(h.role), 9), h.name))
    return found


def check_process(options: Choices, code: str) -> str:
    """The process code, refused unless it is one the person may choose."""
    if not code:
        raise ValidationError("process", _("choose the process concerned"))
    if code not in options.codes():  # never offered: a request made by hand
        raise PermissionDenied(
            _("'%(code)s' is not one of your processes: you may not open a record on it")
            % {"code": code}
        )
    return code


def check_person_of(
    session: Session, options: Choices, process: str, handle: str, name: str
) -> str:
    """``handle``, refused unless that person holds a role on ``process`` (field ``name``)."""
    if not handle:
        raise ValidationError(name, _("choose a person"))
    if options.holder(process, handle) is None:
        known = shared.person(session, handle, name)  # unknown: 'unknown person ...'
        raise ValidationError(
            name,
            _("%(name)s holds no role on %(process)s: choose one of its people")
            % {"name": known.name, "process": process},
        )
    return handle


def parse_day(raw: str, name: str) -> date | None:
    """A date as a date field sends it (YYYY-MM-DD); None when left empty."""
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            name, _("'%(text)s' is not a date: write it as YYYY-MM-DD") % {"text": text[:40]}
        ) from None


def labelled(group: str, codes: list[str]) -> list[tuple[str, str]]:
    """``(code, label)`` for a choice list, in the words of the reports."""
    labels = TERMS.get(group, {})
    return [(code, _(labels.get(code) or readable(code))) for code in codes]


def role_label(role: str) -> str:
    return _(TERMS["role"].get(role) or readable(role))
