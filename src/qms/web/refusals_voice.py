"""How a refusal names what it is about: steps, states and fields by their workflow labels,
people by name, roles as the ones who may act ("the pilot", "a quality correspondent"),
dates as the ``day`` filter writes them, clauses as "ISO 9001, 10.2.1 d" (used by
:mod:`qms.web.refusals` and :mod:`qms.web.refusals_guards`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.models import WorkflowRecord
from qms.reporting import render
from qms.reporting.words import Words, words_for
from qms.web.i18n import N_, _
from qms.web.records_words import field_label
from qms.workflow.definition import WorkflowDefinition

# A role as the one who may take a step: "Only the pilot or a quality correspondent ...".
ROLE_PHRASES = {
    "pilot": N_("the pilot"),
    "correspondent": N_("a quality correspondent"),
    "contributor": N_("a contributor"),
    "owner": N_("the owner"),
    "lead_auditor": N_("the lead auditor"),
    "auditor": N_("an internal auditor"),
    "observer": N_("an observer"),
    "technical_expert": N_("a technical expert"),
    "quality_manager": N_("the quality manager"),
    "director": N_("a director"),
}


@dataclass(frozen=True)
class Voice:
    """What a refusal about one record is said with: names and labels (``words``), the
    record's workflow (its steps, states and inputs by label), its process ("STE-02 Quality
    steering") and the institution's date format."""

    words: Words
    definition: WorkflowDefinition
    process: str
    date_format: str

    def day(self, value: date | None) -> str:
        return render.day(value, self.date_format)

    def step(self, trigger: str) -> str:
        found = next((t for t in self.definition.transitions if t.trigger == trigger), None)
        return found.label if found is not None else field_label(trigger)

    def state(self, state: str) -> str:
        return self.words.state(self.definition.record_kind, state)

    def field(self, name: str, trigger: str = "") -> str:
        """A field by the label its input has in the step, else in another step of the
        workflow, else as the record's field ("lead_auditor_id": "Lead auditor")."""
        steps = sorted(self.definition.transitions, key=lambda t: t.trigger != trigger)
        for step in steps:
            for spec in step.inputs:
                if spec.name == name:
                    return spec.label
        return field_label(name.removesuffix("_id"))

    def fields(self, names: Iterable[str], trigger: str = "") -> str:
        return joined([self.field(n, trigger) for n in names])

    def role(self, role: str) -> str:
        return _(ROLE_PHRASES[role]) if role in ROLE_PHRASES else self.words.term("role", role)


def voice_for(session: Session, app: Services, record: WorkflowRecord) -> Voice:
    process = record.process
    return Voice(
        words=words_for(session, app.registry),
        definition=app.engine.definition(session, record),
        process=f"{process.code} {process.name}" if process is not None else "",
        date_format=app.settings.date_format,
    )


def joined(items: list[str], last: str = "and") -> str:
    """``A``, ``A and B``, ``A, B and C`` (``or`` for choices)."""
    if len(items) < 2:
        return "".join(items)
    pattern = _("%(items)s and %(last)s") if last == "and" else _("%(items)s or %(last)s")
    return pattern % {"items": _(", ").join(items[:-1]), "last": items[-1]}


def clause(code: str) -> str:
    """A clause of the standard as a page cites it: "ISO 9001, 10.2.1 d"."""
    return _("ISO 9001, %(clause)s") % {"clause": code}


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]
