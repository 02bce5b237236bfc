"""The workflow file format (``workflows/<name>.workflow.yaml``): its schema and its checks.

:class:`WorkflowSpec` is the shape of the file (pydantic reports unknown, missing and
mistyped keys with their line); :func:`check` then finds every mistake in its meaning
(unknown states, roles and guards, dead ends, fields nobody sets) as one Problem each,
pointing at the line of the offending key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable

from pydantic import Field

from qms.errors import Problem
from qms.workflow.guards import GUARDS
from qms.workflow.kinds import KNOWN_ROLES, RecordKind
from qms.workflow.permissions import RECORD_ROLE_FIELDS
from qms.yamldoc import Document, Loc, Spec

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DUPLICATE_KEY = re.compile(r'found duplicate key "(?P<key>[^"]*)"')


class InputType(enum.StrEnum):
    """What a person firing a transition is asked for."""

    TEXT = "text"
    DATE = "date"
    BOOL = "bool"
    INT = "int"
    CHOICE = "choice"
    PERSON = "person"


class InputSpec(Spec):
    name: str
    # Not strict: the file gives the type as a string, and the enum's error lists the valid ones.
    type: InputType = Field(strict=False)
    label: str = ""
    required: bool = True
    choices: list[str] = Field(default_factory=list)


class StateSpec(Spec):
    label: str = Field(min_length=1)
    terminal: bool = False
    requires: list[str] = Field(default_factory=list)
    editable: list[str] = Field(default_factory=list)


class TransitionSpec(Spec):
    trigger: str
    label: str = Field(min_length=1)
    sources: str | list[str] = Field(alias="from")
    to: str
    roles: list[str] = Field(min_length=1)
    guards: list[str] = Field(default_factory=list)
    inputs: list[InputSpec] = Field(default_factory=list)
    not_by: list[str] = Field(default_factory=list)

    @property
    def from_states(self) -> list[str]:
        return [self.sources] if isinstance(self.sources, str) else list(self.sources)


class WorkflowSpec(Spec):
    workflow: str
    version: int = Field(ge=1)
    record_kind: str
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    initial: str
    fields: list[str] = Field(default_factory=list)
    states: dict[str, StateSpec] = Field(min_length=1)
    transitions: list[TransitionSpec]


def check(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    """Every mistake in the meaning of a schema-valid workflow file, in no particular order."""
    yield from _check_header(doc, spec)
    yield from _check_states(doc, spec)
    for i, transition in enumerate(spec.transitions):
        yield from _check_transition(doc, ("transitions", i), transition, spec)
    yield from _check_duplicate_triggers(doc, spec)
    yield from _check_unreachable(doc, spec)
    yield from _check_required_fields(doc, spec)


def check_entries(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    """The checks of each entry on its own: what is still checked when the schema left
    some entries out (a state would look like a dead end without its transition)."""
    yield from _check_header(doc, spec)
    for i, transition in enumerate(spec.transitions):
        yield from _check_transition(doc, ("transitions", i), transition, spec)
    yield from _check_duplicate_triggers(doc, spec)


def _name(doc: Document, loc: Loc, value: str, what: str) -> Iterable[Problem]:
    if not NAME.match(value):
        yield doc.problem(
            loc,
            f"{what} '{value}' must be lower_snake_case "
            "(a lowercase letter, then lowercase letters, digits or '_')",
        )


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def _check_header(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    yield from _name(doc, ("workflow",), spec.workflow, "workflow name")
    kinds = {k.value for k in RecordKind}
    if spec.record_kind not in kinds:
        yield doc.problem(
            ("record_kind",), f"unknown record_kind '{spec.record_kind}' (known: {_listed(kinds)})"
        )
    if spec.initial not in spec.states:
        yield doc.problem(
            ("initial",),
            f"initial state '{spec.initial}' is not declared "
            f"under states (declared: {', '.join(spec.states)})",
        )
    for i, field in enumerate(spec.fields):
        yield from _name(doc, ("fields", i), field, "field")


def _check_states(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    leaving = {s for t in spec.transitions for s in t.from_states}
    for name, state in spec.states.items():
        yield from _name(doc, ("states", name), name, "state name")
        for i, field in enumerate(state.editable):
            if field not in spec.fields:
                yield doc.problem(
                    ("states", name, "editable", i),
                    f"state '{name}' lets '{field}' be edited, but it is not one of the "
                    f"record's fields: ({', '.join(spec.fields)})",
                )
        if not state.terminal and name not in leaving:
            yield doc.problem(
                ("states", name),
                f"state '{name}' is a dead end: it is not "
                "terminal and no transition leaves it (add one, or mark it "
                "terminal: true)",
            )
    if not any(state.terminal for state in spec.states.values()):
        yield doc.problem(
            ("states",),
            "no state is terminal: a record could never be closed "
            "(mark the final states with terminal: true)",
        )


def _check_transition(
    doc: Document, loc: Loc, transition: TransitionSpec, spec: WorkflowSpec
) -> Iterable[Problem]:
    what = f"transition '{transition.trigger}'"
    yield from _name(doc, (*loc, "trigger"), transition.trigger, "trigger")
    yield from _check_sources(doc, loc, transition, spec)
    if transition.to not in spec.states:
        yield doc.problem(
            (*loc, "to"),
            f"{what} goes to unknown state '{transition.to}' (declared: {', '.join(spec.states)})",
        )
    yield from _unknown_names(doc, (*loc, "roles"), transition.roles, KNOWN_ROLES, what, "role")
    yield from _unknown_names(doc, (*loc, "guards"), transition.guards, GUARDS, what, "guard")
    yield from _unknown_names(
        doc, (*loc, "not_by"), transition.not_by, RECORD_ROLE_FIELDS, what, "record role"
    )
    yield from _check_inputs(doc, (*loc, "inputs"), transition, what)


def _check_sources(
    doc: Document, loc: Loc, transition: TransitionSpec, spec: WorkflowSpec
) -> Iterable[Problem]:
    what = f"transition '{transition.trigger}'"
    listed = isinstance(transition.sources, list)
    for i, source in enumerate(transition.from_states):
        where: Loc = (*loc, "from", i) if listed else (*loc, "from")
        state = spec.states.get(source)
        if state is None:
            yield doc.problem(
                where,
                f"{what} starts from unknown state '{source}' (declared: {', '.join(spec.states)})",
            )
        elif state.terminal:
            yield doc.problem(
                where,
                f"{what} leaves terminal state '{source}': a terminal "
                "state ends the record's life (remove terminal: true or the "
                "transition)",
            )


def _unknown_names(
    doc: Document, loc: Loc, names: list[str], known: Collection[str], what: str, noun: str
) -> Iterable[Problem]:
    for i, name in enumerate(names):
        if name not in known:
            yield doc.problem(
                (*loc, i), f"{what} names unknown {noun} '{name}' (known {noun}s: {_listed(known)})"
            )


def _check_inputs(
    doc: Document, loc: Loc, transition: TransitionSpec, what: str
) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for i, spec in enumerate(transition.inputs):
        yield from _name(doc, (*loc, i, "name"), spec.name, "input name")
        if spec.name in first:
            yield doc.problem(
                (*loc, i, "name"),
                f"{what} asks for input '{spec.name}' twice "
                f"(first at line {doc.line((*loc, first[spec.name], 'name'))})",
            )
        first.setdefault(spec.name, i)
        if spec.type is InputType.CHOICE and not spec.choices:
            yield doc.problem(
                (*loc, i), f"{what}: choice input '{spec.name}' needs a non-empty choices: list"
            )
        if spec.type is not InputType.CHOICE and spec.choices:
            yield doc.problem(
                (*loc, i, "choices"),
                f"{what}: input '{spec.name}' has "
                f"choices but its type is {spec.type.value}, not choice",
            )


def _check_duplicate_triggers(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    first: dict[tuple[str, str], int] = {}
    for i, transition in enumerate(spec.transitions):
        for source in transition.from_states:
            key = (source, transition.trigger)
            if key in first:
                line = doc.line(("transitions", first[key], "trigger"))
                yield doc.problem(
                    ("transitions", i, "trigger"),
                    f"trigger "
                    f"'{transition.trigger}' is declared twice from state "
                    f"'{source}' (first at line {line}); a person firing it "
                    "could not tell which transition runs",
                )
            first.setdefault(key, i)


def reachable(initial: str, edges: Iterable[tuple[str, str]]) -> set[str]:
    """The states a record starting in ``initial`` can reach along ``edges`` (source, dest)."""
    following: dict[str, set[str]] = {}
    for source, dest in edges:
        following.setdefault(source, set()).add(dest)
    seen, todo = {initial}, [initial]
    while todo:
        for dest in following.get(todo.pop(), set()) - seen:
            seen.add(dest)
            todo.append(dest)
    return seen


def _check_unreachable(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    if spec.initial not in spec.states:
        return
    edges = [(s, t.to) for t in spec.transitions for s in t.from_states]
    seen = reachable(spec.initial, edges)
    for name in spec.states:
        if name not in seen:
            yield doc.problem(
                ("states", name),
                f"state '{name}' cannot be reached from the "
                f"initial state '{spec.initial}' (no chain of transitions "
                "leads to it)",
            )


def _check_required_fields(doc: Document, spec: WorkflowSpec) -> Iterable[Problem]:
    provided = set(spec.fields) | {i.name for t in spec.transitions for i in t.inputs}
    for name, state in spec.states.items():
        for i, field in enumerate(state.requires):
            if field not in provided:
                yield doc.problem(
                    ("states", name, "requires", i),
                    f"state '{name}' requires "
                    f"field '{field}', but neither fields: nor any transition's "
                    "inputs provide it, so the state could never be entered",
                )


def readable(problem: Problem) -> Problem:
    """The YAML parser's duplicate-key message, in words a quality manager can act on."""
    found = DUPLICATE_KEY.search(problem.message)
    if found is None:
        return problem
    key = found["key"]
    return Problem(
        problem.file,
        problem.line,
        f"'{key}' is given twice in the same mapping "
        "(a state, transition key or setting may appear only once)",
    )
