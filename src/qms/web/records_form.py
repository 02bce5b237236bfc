"""A step's form: exactly the inputs its transition declares, as typed fields, and the
service that fires it (the capability's own where it has one, as ``qms record fire``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from qms.bootstrap import Services
from qms.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from qms.models import HistoryEntry
from qms.reporting.words import Words, words_for
from qms.services import record_view, shared
from qms.services.audits import service as audits
from qms.services.capa import nonconformities
from qms.web.i18n import _
from qms.web.records_view import REVIEW_KINDS, REVIEW_STEPS
from qms.web.records_words import choice_label
from qms.workflow.definition import InputDef, InputType, TransitionDef

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
    PermissionDenied for one the person may not take (or a record they may not see)."""
    today = app.engine.today()
    with app.database.reading() as session:
        record, _scope = record_view.seen(session, kind, record_id, handle, today)
        definition = app.engine.definition(session, record)
        words = words_for(session, app.registry)
        transition = definition.transition(record.state, trigger)
        if transition is None:
            _not_now(
                definition.transitions,
                words,
                words.ref(kind, record.id),
                record.state,
                trigger,
                kind,
            )
        assert transition is not None
        people: tuple[tuple[str, str], ...] = ()
        if any(i.type == InputType.PERSON for i in transition.inputs):
            people = tuple(
                (person.handle, _person_option(words, person.name, role))
                for person, role in record_view.people_of(session, record.process_id, today)
            )
        form = StepForm(
            kind=kind,
            kind_label=words.kind(kind),
            id=record.id,
            title=record.title,
            state_label=words.state(kind, record.state),
            version=record.version,
            trigger=trigger,
            label=transition.label,
            dest_label=words.state(kind, transition.dest),
            blocked=None,
            fields=tuple(_field(spec, people) for spec in transition.inputs),
        )
        roles = " or ".join(words.term("role", r) for r in sorted(transition.roles))
        where = f" of {record.process.code}" if record.process is not None else ""
        who = words.person(handle)
    offered = shared.available(app.database, app.engine, kind, record_id, handle)
    item = next((a for a in offered if a.trigger == trigger), None)
    if item is None:
        raise PermissionDenied(
            _("%(who)s may not “%(step)s” on %(ref)s: it needs the role %(roles)s%(where)s.")
            % {
                "who": who,
                "step": form.label,
                "ref": form.reference,
                "roles": roles,
                "where": where,
            }
        )
    return replace(form, blocked=_(REVIEW_STEPS) if kind in REVIEW_KINDS else item.blocked)


def _not_now(
    transitions: tuple[TransitionDef, ...],
    words: Words,
    reference: str,
    state: str,
    trigger: str,
    kind: str,
) -> None:
    known = next((t for t in transitions if t.trigger == trigger), None)
    if known is None:
        raise NotFound(
            _("%(ref)s has no step called '%(trigger)s'") % {"ref": reference, "trigger": trigger}
        )
    raise InvalidTransition(
        _("“%(step)s” cannot be done on %(ref)s now: it is %(state)s.")
        % {"step": known.label, "ref": reference, "state": words.state(kind, state)}
    )


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
    """Fire through the service ``qms record fire`` calls for this kind of record."""
    if kind in REVIEW_KINDS:
        raise ValidationError("kind", _(REVIEW_STEPS))
    if kind == "nonconformity":
        return nonconformities.fire(app, record_id, trigger, actor, values, "", version)
    if kind == "internal_audit":
        return audits.fire(app, record_id, trigger, actor, values, "", version)
    return shared.fire(
        app.database, app.engine, kind, record_id, trigger, actor, values, "", version
    )
