"""How a document names things for the people who read it: names, not handles; labels, not codes.

A report or an e-mail is read by a director or a certification auditor, who knows
"Thomas Brunet" and "Corrective action planned", not ``tbrunet`` and ``action_planned``.
:class:`Words` is built once per document from the database (people) and the workflow
files (states and record kinds, in their own words); every other code (a source, a finding
type, a role, a decision's category) has its label here, and anything unknown reads as
its code made readable ("opportunity_for_improvement" -> "Opportunity for improvement"),
never as a raw code.

Plurals and counts live here too, so that no document says "1 breach proposals" or
"18.4 start-ups".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import Person
from qms.workflow.registry import Registry

# Labels of the codes that are not workflow states, by the group they belong to.
TERMS: dict[str, dict[str, str]] = {
    "source": {
        "internal_audit": "Internal audit",
        "external_audit": "External audit",
        "complaint": "Complaint",
        "indicator_breach": "Indicator breach",
        "incident": "Incident",
        "other": "Other",
    },
    "origin": {
        "nonconformity": "Nonconformity",
        "audit_finding": "Audit finding",
        "indicator_breach": "Indicator breach",
        "management_review": "Management review",
        "process_review": "Process review",
        "suggestion": "Suggestion",
    },
    "action_kind": {
        "correction": "Correction",
        "corrective": "Corrective action",
        "preventive": "Preventive action",
        "improvement": "Improvement",
    },
    "priority": {"low": "Low", "normal": "Normal", "high": "High"},
    "severity": {"major": "Major", "minor": "Minor"},
    "finding_type": {
        "conformity": "Conformity",
        "strength": "Strength",
        "major_nonconformity": "Major nonconformity",
        "minor_nonconformity": "Minor nonconformity",
        "observation": "Observation",
        "opportunity_for_improvement": "Opportunity for improvement",
    },
    "role": {
        "pilot": "Process pilot",
        "correspondent": "Quality correspondent",
        "contributor": "Contributor",
        "auditor": "Internal auditor",
        "director": "Director",
        "quality_manager": "Quality manager",
        "lead_auditor": "Lead auditor",
        "observer": "Observer",
        "technical_expert": "Technical expert",
        "owner": "Owner",
    },
    "audit_type": {
        "internal": "Internal audit",
        "external": "External audit",
        "follow_up": "Follow-up audit",
    },
    "answer": {
        "conform": "Conform",
        "not_conform": "Not conform",
        "not_applicable": "Not applicable",
        "unanswered": "Not answered",
    },
    "status": {"on_target": "On target", "off_target": "Off target", "alert": "Alert"},
    "category": {
        "improvement": "Opportunities for improvement",
        "qms_change": "Changes to the quality management system",
        "resources": "Resource needs",
    },
    "entry": {"planned": "Planned", "started": "Started", "done": "Done", "late": "Late"},
    "frequency": {
        "monthly": "Monthly",
        "quarterly": "Quarterly",
        "semester": "Each semester",
        "yearly": "Yearly",
    },
}

# Nouns counted in documents whose plural is not the singular plus "s".
IRREGULAR: dict[str, str] = {
    "nonconformity": "nonconformities",
    "opportunity": "opportunities",
    "activity": "activities",
    "entry": "entries",
    "person": "people",
    "criterion": "criteria",
    "analysis": "analyses",
    "process": "processes",
    "breach": "breaches",
}


def readable(code: str) -> str:
    """A code a person can read: ``major_nonconformity`` -> ``Major nonconformity``."""
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "—"


def plural_of(noun: str) -> str:
    """The plural of the last word of ``noun`` ("breach proposal" -> "breach proposals")."""
    head, _, last = noun.rpartition(" ")
    if last in IRREGULAR:
        word = IRREGULAR[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def plural(count: float, noun: str, many: str | None = None) -> str:
    """``count`` and the noun agreeing with it: "1 action", "3 actions", "0 actions"."""
    number = whole(count)
    return f"{number} {noun if count == 1 else (many or plural_of(noun))}"


def whole(value: float) -> str:
    """A count as a whole number, with thousands separated: 5000 -> "5,000"."""
    return f"{round(value):,}"


def number(value: float | None, decimals: int = 1) -> str:
    """A measured value: at most ``decimals`` digits, none when the value is whole."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    rounded = round(value, decimals)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Words:
    """The labels of one document: who is who, and what each code means."""

    people: Mapping[str, str] = field(default_factory=dict)  # handle -> full name
    kinds: Mapping[str, str] = field(default_factory=dict)  # record kind -> label
    states: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (kind, state)

    def person(self, handle: str | None) -> str:
        """The person's name ("Thomas Brunet"); the handle only for someone unknown."""
        if not handle:
            return "—"
        return self.people.get(handle, handle)

    def people_named(self, handles: Iterable[str]) -> str:
        return ", ".join(self.person(h) for h in handles) or "—"

    def kind(self, record_kind: str) -> str:
        """The record kind as its workflow file names it ("Nonconformity")."""
        return self.kinds.get(record_kind) or readable(record_kind)

    def state(self, record_kind: str, state: str | None) -> str:
        """The state's label from the workflow file ("Corrective action planned")."""
        if not state:
            return "—"
        return self.states.get((record_kind, state)) or readable(state)

    def ref(self, record_kind: str, record_id: int | None) -> str:
        """A record as a reader cites it: "Nonconformity #12", "Internal audit #3"."""
        return f"{self.kind(record_kind)} #{record_id}"

    def term(self, group: str, code: str | None) -> str:
        """A code of ``group`` (see TERMS: source, finding_type, role, ...) as its label."""
        if not code:
            return "—"
        return TERMS.get(group, {}).get(code) or readable(code)


def words_for(session: Session, registry: Registry) -> Words:
    """The labels for a document read now: every person of the map, every workflow's words.

    States come from the current version of each workflow file; a state an older version
    had and the current one dropped still reads as its code made readable.
    """
    rows = session.execute(select(Person.handle, Person.name)).all()
    people = {row.handle: row.name for row in rows}  # dict(result) would read it as a mapping
    kinds: dict[str, str] = {}
    states: dict[tuple[str, str], str] = {}
    for name in registry.names:
        definition = registry.current(name)
        kinds.setdefault(definition.record_kind, definition.label)
        for state in definition.states.values():
            states.setdefault((definition.record_kind, state.name), state.label)
    return Words(people, kinds, states)
