"""What the record page shows, read in one session: the record's fields, the records linked
to it and its trail, in people's words (:mod:`qms.web.records_words`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.models import (
    ENGINE_COLUMNS,
    HistoryEntry,
    ImprovementAction,
    Nonconformity,
    WorkflowRecord,
)
from qms.models.records import ACTION_OPEN_STATES
from qms.reporting.words import Words, readable, words_for
from qms.services import record_view, shared
from qms.web.i18n import N_, _
from qms.web.records_words import (
    COMPUTED_LABELS,
    FIELD_LABELS,
    Fact,
    Speaker,
    field_label,
    relations,
)
from qms.web.refusals import blocked_said
from qms.web.refusals_voice import Voice, voice_for
from qms.workflow import trail
from qms.workflow.definition import InputDef, WorkflowDefinition
from qms.workflow.engine import CREATE_TRIGGER, Available

REGISTERS = {
    "nonconformity": ("/nonconformities", N_("Nonconformities")),
    "improvement_action": ("/actions", N_("Actions")),
}
REVIEW_KINDS = ("management_review", "process_review")
# Records with a page of their own for their work (the audits', the reviews' pages).
OWN_PAGES = {
    "internal_audit": ("/audits/{id}", N_("The audit's page: plan, team, checklist, report")),
    "management_review": ("/reviews/management_review/{id}", N_("The review's page: its steps")),
    "process_review": ("/reviews/process_review/{id}", N_("The review's page: its steps")),
}
REVIEW_STEPS = N_("A review moves with its own steps (gather, hold, decide, close), on its page.")
RELATIONS = {
    "action": N_("Action"),
    "finding": N_("Finding"),
    "audit": N_("Audit"),
    "repeat_of": N_("Repeat of"),
    "programme": N_("Programme"),
    "previous": N_("Previous"),
}
ORIGINS = ("nonconformity", "finding", "review")  # where an action comes from


@dataclass(frozen=True)
class Link:
    relation: str
    href: str
    reference: str
    title: str
    state: str
    owner: str | None = None
    due: date | None = None
    late: bool = False


@dataclass(frozen=True)
class Step:
    """One trail row: who, when (local time), what, from which state to which, the inputs."""

    id: int
    at: datetime
    who: str
    who_href: str
    what: str
    from_state: str | None
    to_state: str
    inputs: tuple[Fact, ...]
    comment: str


@dataclass(frozen=True)
class Trigger:
    trigger: str
    label: str
    dest: str
    href: str
    blocked: str | None


@dataclass(frozen=True)
class RecordPage:
    kind: str
    kind_label: str
    id: int
    title: str
    state_label: str
    closed: bool  # ended well (closed), not cancelled or rejected
    terminal: bool
    version: int
    process: Fact | None
    days_late: int
    register: tuple[str, str] | None  # (address, name) of its register
    own_page: tuple[str, str] | None  # (address, what it is) of its area's page, if any
    facts: tuple[Fact, ...]
    links: tuple[Link, ...]
    trail: tuple[Step, ...]  # newest first
    triggers: tuple[Trigger, ...]

    @property
    def reference(self) -> str:
        return f"{self.kind_label} #{self.id}"

    def flash(self, history_id: int | None) -> str | None:
        """What the step just taken did, from its trail row ("Contained: ...")."""
        step = next((s for s in self.trail if s.id == history_id), None)
        if step is None:
            return None
        return _("%(state)s: %(what)s, by %(who)s.") % {
            "state": step.to_state,
            "what": step.what,
            "who": step.who,
        }


def record_page(app: Services, kind: str, record_id: int, handle: str) -> RecordPage:
    """The page of the record, if ``handle`` may see it (PermissionDenied otherwise)."""
    today = app.engine.today()
    with app.database.reading() as session:
        record, scope = record_view.seen(session, kind, record_id, handle, today)
        definition = app.engine.definition(session, record)
        words = words_for(session, app.registry)
        speaker = Speaker(session, words)
        linked = record_view.links(session, record, scope)
        links = [_link(words, record, item, today) for item in linked]
        links += _breach(session, record)
        steps = [
            _step(app, session, speaker, record, row)
            for row in trail.history_of(session, kind, record_id)
        ]
        state = definition.states.get(record.state)
        process = speaker.fact(_("Process"), "process", record.process)
        page = RecordPage(
            kind=kind,
            kind_label=words.kind(kind),
            id=record.id,
            title=record.title,
            state_label=words.state(kind, record.state),
            closed=record.state == "closed",
            terminal=bool(state and state.terminal),
            version=record.version,
            process=process,
            days_late=_days_late(record, today),
            register=REGISTERS.get(kind),
            own_page=(OWN_PAGES[kind][0].format(id=record.id), OWN_PAGES[kind][1])
            if kind in OWN_PAGES
            else None,
            facts=tuple(_facts(speaker, record, definition)),
            links=tuple(links),
            trail=tuple(reversed(steps)),
            triggers=(),
        )
        actor = shared.person(session, handle, "actor")
        available = app.engine.available_triggers(session, record, actor)  # in the same read
        voice = voice_for(session, app, record) if any(i.blocked for i in available) else None
        triggers = tuple(_trigger(words, page, item, voice) for item in available)
    return replace(page, triggers=triggers)


def _trigger(words: Words, page: RecordPage, item: Available, voice: Voice | None) -> Trigger:
    """A step the person may take, and why it would be refused now (in words), if it would."""
    blocked = item.blocked
    if blocked is not None and voice is not None:
        blocked = blocked_said(blocked, voice, item.trigger)
    if page.kind in REVIEW_KINDS:
        blocked = _(REVIEW_STEPS)
    href = f"/records/{page.kind}/{page.id}/fire/{item.trigger}"
    return Trigger(item.trigger, item.label, words.state(page.kind, item.dest), href, blocked)


def _days_late(record: WorkflowRecord, today: date) -> int:
    due: date | None = None
    if isinstance(record, ImprovementAction) and record.state in ACTION_OPEN_STATES:
        due = record.due_date
    elif isinstance(record, Nonconformity):
        due = record.action_due_date
    return max((today - due).days, 0) if due is not None else 0


# The record's fields.

SKIPPED = {"title", "process", "data", *ENGINE_COLUMNS}


def _facts(
    speaker: Speaker, record: WorkflowRecord, definition: WorkflowDefinition
) -> Iterator[Fact]:
    """Its fields (the workflow's ``fields:``), its other columns, then what its steps
    recorded, in the order of its workflow; the records it links to are listed apart."""
    model = type(record)
    columns = cast(Table, model.__table__).columns
    via = relations(model)
    inputs = _inputs(definition)
    shown = set(SKIPPED) | set(model.derived_fields)
    if isinstance(record, ImprovementAction) and record.nonconformity_id is not None:
        shown.add("origin_ref")  # the nonconformity is linked below
    names = [*definition.fields, *columns.keys(), *inputs, *sorted(record.data or {})]
    for name in names:
        attribute = via.get(name, name)
        if attribute in shown or name in shown:
            continue
        shown |= {attribute, name}
        column = columns.get(name)
        value = record.field_value(attribute)
        if isinstance(value, WorkflowRecord):
            continue
        spec = inputs.get(name)
        label = _label(attribute, spec)
        fact = speaker.fact(label, attribute, value, spec.type if spec else None, column)
        if fact is not None:
            yield fact
    for name in sorted(model.computed_fields):
        label = _(COMPUTED_LABELS.get(name, name))
        fact = speaker.fact(label, name, getattr(record, name))
        if fact is not None:
            yield fact


def _label(name: str, spec: InputDef | None) -> str:
    """A field's label: its own (FIELD_LABELS), else the one its step gives it."""
    if name in FIELD_LABELS or spec is None:
        return field_label(name)
    return spec.label


def _inputs(definition: WorkflowDefinition) -> dict[str, InputDef]:
    """Every input the workflow's steps ask for, by name, the first step's declaration."""
    found: dict[str, InputDef] = {}
    for transition in definition.transitions:
        for spec in transition.inputs:
            found.setdefault(spec.name, spec)
    return found


# Its trail.


def _step(
    app: Services, session: Session, speaker: Speaker, record: WorkflowRecord, row: HistoryEntry
) -> Step:
    definition = app.registry.by_hash(session, row.workflow_hash)
    transition = next(
        (
            t
            for t in definition.transitions
            if t.trigger == row.trigger and row.from_state in t.sources
        ),
        None,
    )
    specs = {i.name: i for i in transition.inputs} if transition is not None else {}
    columns = cast(Table, type(record).__table__).columns
    via = relations(type(record))
    inputs = []
    for name, value in row.inputs.items():
        spec = specs.get(name)
        label = _label(via.get(name, name), spec)
        fact = speaker.fact(label, name, value, spec.type if spec else None, columns.get(name))
        if fact is not None:
            inputs.append(fact)
    words = speaker.words
    return Step(
        id=row.id,
        at=row.at.astimezone(app.settings.zone),
        who=words.person(row.actor),
        who_href=f"/people/{row.actor}",
        what=_what(row.trigger, transition.label if transition else None),
        from_state=words.state(row.record_kind, row.from_state) if row.from_state else None,
        to_state=words.state(row.record_kind, row.to_state),
        inputs=tuple(inputs),
        comment=row.comment,
    )


def _what(trigger: str, label: str | None) -> str:
    if label:
        return label
    return _("Recorded") if trigger == CREATE_TRIGGER else readable(trigger)


# Its links.


def _link(words: Words, shown: WorkflowRecord, item: record_view.Linked, today: date) -> Link:
    found = item.record
    owner = due = None
    late = False
    if isinstance(found, ImprovementAction):
        owner = found.owner.name if found.owner is not None else None
        due = found.due_date
        late = due is not None and due < today and found.state in ACTION_OPEN_STATES
    return Link(
        relation=_relation(words, shown, item),
        href=f"/records/{found.record_kind}/{found.id}",
        reference=words.ref(found.record_kind, found.id),
        title=found.title,
        state=words.state(found.record_kind, found.state),
        owner=owner,
        due=due,
        late=late,
    )


def _relation(words: Words, shown: WorkflowRecord, item: record_view.Linked) -> str:
    """How the linked record stands to the one shown, in words ("Origin", "Raised by")."""
    found = item.record
    if isinstance(found, ImprovementAction) and item.relation == "action":
        return words.term("action_kind", found.kind)
    if isinstance(shown, ImprovementAction) and item.relation in ORIGINS:
        return _("Origin")
    if isinstance(shown, Nonconformity) and item.relation == "finding":
        return _("Raised by")
    if item.relation == "nonconformity":
        return _("Nonconformity raised")
    return _(RELATIONS.get(item.relation, item.relation))


def _breach(session: Session, record: WorkflowRecord) -> list[Link]:
    if not isinstance(record, ImprovementAction) or record.origin != "indicator_breach":
        return []
    breach = record_view.breach_of(session, record.id)
    if breach is None:
        return []
    code = breach.indicator.code
    return [
        Link(
            relation=_("Indicator breach"),
            href=f"/indicators/{code}",
            reference=f"{code} {breach.period}",
            title=breach.indicator.name,
            state=readable(str(breach.state)),
        )
    ]
