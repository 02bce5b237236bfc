"""A step's form: exactly the inputs its transition declares, as typed fields, and the
service that fires it (the capability's own where it has one, as ``qms record fire``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from qms.bootstrap import Services
from qms.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    QmsError,
    ValidationError,
    WorkflowError,
)
from qms.models import HistoryEntry, WorkflowRecord
from qms.reporting.words import Words
from qms.services import record_view, shared
from qms.services.audits import service as audits
from qms.services.capa import nonconformities
from qms.web import refusals
from qms.web.i18n import _
from qms.web.records_view import REVIEW_KINDS, REVIEW_STEPS
from qms.web.records_words import choice_label
from qms.web.refusals import Voice
from qms.workflow import duties
from qms.workflow.definition import InputDef, InputType
from qms.workflow.guards import about
from qms.workflow.permissions import ActorRoles

# Text inputs that hold a reference rather than a paragraph: a line, not a text area.
ONE_LINE = ("reference", "_ref", "recipients")


@dataclass(frozen=True)
class Field:
    """One input of the step: ``widget`` is textarea, line, date, number, person, choice
    or yesno; ``options`` are (value, label) pairs for person and choice."""

    name: str
    label: str
    widget: str
    required: bool
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StepForm:
    kind: str
    kind_label: str
    id: int
    title: str
    state_label: str
    version: int
    trigger: str
    label: str
    dest_label: str
    blocked: str | None
    fields: tuple[Field, ...]

    @property
    def record_href(self) -> str:
        return f"/records/{self.kind}/{self.id}"

    @property
    def href(self) -> str:
        return f"{self.record_href}/fire/{self.trigger}"

    @property
    def reference(self) -> str:
        return f"{self.kind_label} #{self.id}"

    @property
    def labels(self) -> dict[str, str]:
        return {f.name: f.label for f in self.fields}

    def values_from(self, posted: Mapping[str, object]) -> dict[str, str]:
        """The declared inputs the form sent, as typed (nothing else reaches the engine)."""
        found = {}
        for item in self.fields:
            value = posted.get(item.name)
            if isinstance(value, str):
                found[item.name] = value
        return found


def step_form(app: Services, kind: str, record_id: int, trigger: str, handle: str) -> StepForm:
    """The form of ``trigger`` on the record for ``handle``: NotFound for a step the
    workflow does not have, InvalidTransition for one not possible in the record's state,
    PermissionDenied for one the person may not take (or a record they may not see), each
    said in words (:mod:`qms.web.refusals`)."""
    today = app.engine.today()
    with app.database.reading() as session:
        record, _scope = record_view.seen(session, kind, record_id, handle, today)
        voice = refusals.voice_for(session, app, record)
        transition = voice.definition.transition(record.state, trigger)
        if transition is None:
            raise _not_now(voice, record, trigger)
        people: tuple[tuple[str, str], ...] = ()
        if any(i.type == InputType.PERSON for i in transition.inputs):
            people = tuple(
                (person.handle, _person_option(voice.words, person.name, role))
                for person, role in record_view.people_of(session, record.process_id, today)
            )
        form = StepForm(
            kind=kind,
            kind_label=voice.words.kind(kind),
            id=record.id,
            title=record.title,
            state_label=voice.words.state(kind, record.state),
            version=record.version,
            trigger=trigger,
            label=transition.label,
            dest_label=voice.words.state(kind, transition.dest),
            blocked=None,
            fields=tuple(_field(spec, people) for spec in transition.inputs),
        )
        roles = ActorRoles.for_handle(session, handle, today)
        held, clash = roles.on_record(record), duties.conflicts(transition, record, roles)
        needed = about(record, trigger, roles=tuple(sorted(transition.roles)), day=today)
    offered = shared.available(app.database, app.engine, kind, record_id, handle)
    item = next((a for a in offered if a.trigger == trigger), None)
    if item is None:
        refused = PermissionDenied("", **needed, held=tuple(sorted(held)), actor=handle)
        raise refusals.in_words(refused, voice)
    if kind in REVIEW_KINDS:
        return replace(form, blocked=_(REVIEW_STEPS))
    if item.blocked is not None and clash:  # the segregation of duties (clause 5.3)
        return replace(form, blocked=refusals.duty_said(clash, voice))
    return replace(form, blocked=refusals.blocked_said(item.blocked, voice, trigger))


def _not_now(voice: Voice, record: WorkflowRecord, trigger: str) -> QmsError:
    """NotFound for a step the workflow does not have; else the step is not possible in
    the record's state."""
    ref = voice.words.ref(record.record_kind, record.id)
    if all(t.trigger != trigger for t in voice.definition.transitions):
        return NotFound(
            _("%(ref)s has no step called %(trigger)s") % {"ref": ref, "trigger": trigger}
        )
    allowed = tuple(t.trigger for t in voice.definition.transitions_from(record.state))
    refused = InvalidTransition("", **about(record, trigger, state=record.state, allowed=allowed))
    return refusals.in_words(refused, voice)


def _person_option(words: Words, name: str, role: str) -> str:
    return f"{name} · {words.term('role', role)}" if role else name


def _field(spec: InputDef, people: tuple[tuple[str, str], ...]) -> Field:
    match spec.type:
        case InputType.DATE:
            return Field(spec.name, spec.label, "date", spec.required)
        case InputType.INT:
            return Field(spec.name, spec.label, "number", spec.required)
        case InputType.BOOL:
            return Field(spec.name, spec.label, "yesno", spec.required)
        case InputType.PERSON:
            return Field(spec.name, spec.label, "person", spec.required, people)
        case InputType.CHOICE:
            options = tuple((code, choice_label(spec.name, code)) for code in spec.choices)
            return Field(spec.name, spec.label, "choice", spec.required, options)
    widget = "line" if spec.name.endswith(ONE_LINE) else "textarea"
    return Field(spec.name, spec.label, widget, spec.required)


def version_from(posted: Mapping[str, object]) -> int:
    """The version of the record the form was shown with (a stale form is then refused)."""
    value = posted.get("version")
    try:
        return int(str(value))
    except ValueError:
        raise ValidationError("version", _("the form has no record version: reload it")) from None


def fire(
    app: Services,
    kind: str,
    record_id: int,
    trigger: str,
    actor: str,
    values: Mapping[str, str],
    version: int,
) -> HistoryEntry:
    """Fire through the service ``qms record fire`` calls for this kind of record; the
    engine's refusal said in words, with its values (GuardFailed: shown on the form)."""
    if kind in REVIEW_KINDS:
        raise ValidationError("kind", _(REVIEW_STEPS))
    try:
        return _fire(app, kind, record_id, trigger, actor, values, version)
    except WorkflowError as refused:
        with app.database.reading() as session:
            voice = refusals.voice_for(session, app, shared.record(session, kind, record_id))
        raise refusals.in_words(refused, voice) from refused


def _fire(
    app: Services,
    kind: str,
    record_id: int,
    trigger: str,
    actor: str,
    values: Mapping[str, str],
    version: int,
) -> HistoryEntry:
    if kind == "nonconformity":
        return nonconformities.fire(app, record_id, trigger, actor, values, "", version)
    if kind == "internal_audit":
        return audits.fire(app, record_id, trigger, actor, values, "", version)
    return shared.fire(
        app.database, app.engine, kind, record_id, trigger, actor, values, "", version
    )
