"""A record's values as a person reads them: people by name, processes by code and name,
dates as dates (the template's ``day``), choices by label, yes or no; nothing as a raw
code or id. Used for the record's fields and for the inputs its trail rows hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, inspect, select
from sqlalchemy.orm import Session

from qms.models import RECORD_MODELS, Person, Process, WorkflowRecord
from qms.reporting.words import TERMS, Words, readable
from qms.web.i18n import N_, _
from qms.workflow.definition import InputType

# Fields named by the workflow files' `fields:` or by a model's columns, in words.
FIELD_LABELS = {
    "description": N_("Description"),
    "process": N_("Process"),
    "source": N_("Source"),
    "severity": N_("Severity"),
    "detected_on": N_("Detected on"),
    "detected_by": N_("Detected by"),
    "reference": N_("Reference"),
    "cause_category": N_("Category of the cause"),
    "kind": N_("Kind"),
    "owner": N_("Owner"),
    "due_date": N_("Due"),
    "priority": N_("Priority"),
    "origin": N_("Origin"),
    "origin_ref": N_("Origin reference"),
    "effectiveness_criteria": N_("Effectiveness criteria"),
    "effectiveness_check_date": N_("Effectiveness checked on"),
    "finding_type": N_("Type of finding"),
    "grade": N_("Grade"),
    "criterion": N_("Criterion"),
    "evidence": N_("Evidence"),
    "found_on": N_("Found on"),
    "lead_auditor": N_("Lead auditor"),
    "audit_type": N_("Type of audit"),
    "planned_start": N_("Planned start"),
    "planned_end": N_("Planned end"),
    "planned_on": N_("Planned on"),
    "period_start": N_("Period from"),
    "period_end": N_("Period to"),
    "starts_on": N_("Starts on"),
    "ends_on": N_("Ends on"),
    "title": N_("Title"),
}

# Values the database computes from other records.
COMPUTED_LABELS = {"action_due_date": N_("Open actions due")}

# Fields whose codes have labels in reporting.words.TERMS, by the group they belong to.
TERM_GROUPS = {
    "source": "source",
    "severity": "severity",
    "grade": "severity",
    "priority": "priority",
    "origin": "origin",
    "kind": "action_kind",
    "finding_type": "finding_type",
    "audit_type": "audit_type",
    "role": "role",
}

# Names of values a trail note holds without a declared type that are days.
DAY_SUFFIXES = ("_date", "_on", "_start", "_end")
REFERENCE = re.compile(r"^([a-z_]+) #(\d+)$")  # a record as the engine cites it


@dataclass(frozen=True)
class Fact:
    """One value with its label; ``kind`` is text, date (shown with ``day``), person,
    process or record (``href`` then links to its page)."""

    label: str
    value: Any
    kind: str = "text"
    href: str | None = None


class Speaker:
    """Says the values of records of one database: built once per page, in its session."""

    def __init__(self, session: Session, words: Words) -> None:
        self.words = words
        self.people = {row.id: (row.handle, row.name) for row in session.execute(_PEOPLE)}
        self.processes = {row.id: (row.code, row.name) for row in session.execute(_PROCESSES)}
        self.handles = frozenset(handle for handle, _name in self.people.values())

    def fact(
        self,
        label: str,
        name: str,
        value: Any,
        spec: InputType | None = None,
        column: Column[Any] | None = None,
    ) -> Fact | None:
        """``value`` of the field ``name`` in words; None when there is nothing to show."""
        if value is None or value == "" or value == [] or value == {}:
            return None
        target = _target(column)
        if isinstance(value, Person):
            return self.person(label, value.handle)
        if isinstance(value, Process):
            return self.process(label, value.id)
        if target == "person" or spec == InputType.PERSON:
            return self.person(label, value)
        if target == "process":
            return self.process(label, value)
        if target in RECORD_MODELS and isinstance(value, int):
            reference = self.words.ref(target, value)
            return Fact(label, reference, "record", f"/records/{target}/{value}")
        return self._plain(label, name, value, spec, column)

    def _plain(
        self, label: str, name: str, value: Any, spec: InputType | None, column: Column[Any] | None
    ) -> Fact:
        python_type = _python_type(column)
        if isinstance(value, bool) or spec == InputType.BOOL or python_type is bool:
            return Fact(label, _("Yes") if _truthy(value) else _("No"))
        if isinstance(value, date | datetime):
            return Fact(label, value, "date")
        if spec == InputType.DATE or python_type is date:
            return Fact(label, value, "date")  # ISO text: the day filter reads it
        if spec == InputType.CHOICE or name in TERM_GROUPS:
            return Fact(label, self.words.term(TERM_GROUPS.get(name, name), str(value)))
        if isinstance(value, list):
            return Fact(label, ", ".join(str(item) for item in value))
        return self._text(label, name, str(value))

    def _text(self, label: str, name: str, text: str) -> Fact:
        """Text a trail note or a record's data holds: a day, a record cited as the engine
        cites it ("improvement_action #14"), a person by handle, else the text itself."""
        if name.endswith(DAY_SUFFIXES) and _iso_day(text) is not None:
            return Fact(label, text, "date")
        cited = REFERENCE.match(text)
        if cited is not None and cited.group(1) in RECORD_MODELS:
            kind, number = cited.group(1), int(cited.group(2))
            return Fact(label, self.words.ref(kind, number), "record", f"/records/{kind}/{number}")
        if text in self.handles:
            return self.person(label, text)
        return Fact(label, text)

    def person(self, label: str, value: Any) -> Fact:
        handle = self.people.get(value, (None, None))[0] if isinstance(value, int) else value
        if handle is None:
            return Fact(label, str(value))
        return Fact(label, self.words.person(str(handle)), "person", f"/people/{handle}")

    def process(self, label: str, value: Any) -> Fact:
        found = self.processes.get(value) if isinstance(value, int) else None
        if found is None:
            return Fact(label, str(value))
        return Fact(label, f"{found[0]} {found[1]}", "process", f"/processes/{found[0]}")


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else readable(name)


def choice_label(name: str, code: str) -> str:
    """A choice of a step's input in words ("method" -> "Method", "major" -> "Major")."""
    group = TERM_GROUPS.get(name, name)
    return TERMS.get(group, {}).get(code) or readable(code)


def relations(model: type[WorkflowRecord]) -> dict[str, str]:
    """Each many-to-one foreign key column of ``model`` -> the relationship it loads
    (``owner_id`` -> ``owner``): the workflow files name fields either way."""
    found: dict[str, str] = {}
    for relation in inspect(model).relationships:
        if relation.direction.name == "MANYTOONE":
            for column in relation.local_columns:
                found[str(column.name)] = relation.key
    return found


def _target(column: Column[Any] | None) -> str | None:
    """The table a foreign key column points at (person, process, nonconformity, ...)."""
    if column is None:
        return None
    for key in column.foreign_keys:
        return str(key.column.table.name)
    return None


def _python_type(column: Column[Any] | None) -> type | None:
    if column is None:
        return None
    try:
        found: type = column.type.python_type
    except NotImplementedError:
        return None
    return found


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "y", "oui")
    return bool(value)


_PEOPLE = select(Person.id, Person.handle, Person.name)
_PROCESSES = select(Process.id, Process.code, Process.name)
