"""Workflow definitions: the state machines of ``workflows/<name>.workflow.yaml``, as values.

:func:`load_definition` reads one file and raises :class:`~qms.errors.WorkflowDefinitionError`
listing every problem with its line; :func:`load_all` reads a folder.  A definition is
immutable; :meth:`WorkflowDefinition.to_dict` is its canonical form (what is stored with
each version, and what :attr:`~WorkflowDefinition.content_hash` is taken of), and
:meth:`WorkflowDefinition.from_dict` rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from qms import yamldoc
from qms.errors import Problem, WorkflowDefinitionError
from qms.workflow import validate
from qms.workflow.validate import InputType, WorkflowSpec

__all__ = [
    "InputDef",
    "InputType",
    "StateDef",
    "TransitionDef",
    "WorkflowDefinition",
    "check_paths",
    "load_all",
    "load_definition",
    "load_paths",
]

SUFFIX = ".workflow.yaml"


@dataclass(frozen=True)
class InputDef:
    """One value the person firing a transition is asked for."""

    name: str
    type: InputType
    required: bool
    label: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class StateDef:
    name: str
    label: str
    terminal: bool
    requires: tuple[str, ...]  # fields that must be non-empty for a record to enter the state
    editable: tuple[str, ...] = ()  # fields a person may still change in this state


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    label: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    guards: tuple[str, ...]
    inputs: tuple[InputDef, ...]
    not_by: tuple[str, ...] = ()  # people the record names who may not fire it (clause 5.3)


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    record_kind: str
    label: str
    description: str
    initial: str
    fields: tuple[str, ...]
    states: Mapping[str, StateDef] = field(hash=False)  # in file order
    transitions: tuple[TransitionDef, ...]
    source: str = field(compare=False)  # the path as given; not part of the content
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "states", MappingProxyType(dict(self.states)))
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        object.__setattr__(
            self, "content_hash", hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        )

    def transitions_from(self, state: str) -> list[TransitionDef]:
        """The transitions a record in ``state`` may take, in file order."""
        return [t for t in self.transitions if state in t.sources]

    def transition(self, state: str, trigger: str) -> TransitionDef | None:
        """The transition ``trigger`` fires from ``state``, or None if it is not allowed there."""
        return next((t for t in self.transitions_from(state) if t.trigger == trigger), None)

    def to_dict(self) -> dict[str, Any]:
        """The canonical, JSON-serialisable form (without ``source``)."""
        return {
            "workflow": self.name,
            "version": self.version,
            "record_kind": self.record_kind,
            "label": self.label,
            "description": self.description,
            "initial": self.initial,
            "fields": list(self.fields),
            "states": [_state_dict(s) for s in self.states.values()],
            "transitions": [_transition_dict(t) for t in self.transitions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str) -> WorkflowDefinition:
        """Rebuild a definition from :meth:`to_dict` output (e.g. a stored version)."""
        states = [_state_from(s) for s in data["states"]]
        return cls(
            name=data["workflow"],
            version=data["version"],
            record_kind=data["record_kind"],
            label=data["label"],
            description=data["description"],
            initial=data["initial"],
            fields=tuple(data["fields"]),
            states={s.name: s for s in states},
            transitions=tuple(_transition_from(t) for t in data["transitions"]),
            source=source,
        )


def _state_dict(state: StateDef) -> dict[str, Any]:
    found = {
        "name": state.name,
        "label": state.label,
        "terminal": state.terminal,
        "requires": list(state.requires),
    }
    if state.editable:  # only when set: a definition without it keeps its content hash
        found["editable"] = list(state.editable)
    return found


def _transition_dict(transition: TransitionDef) -> dict[str, Any]:
    return {
        "trigger": transition.trigger,
        "label": transition.label,
        "from": list(transition.sources),
        "to": transition.dest,
        "roles": sorted(transition.roles),
        "guards": list(transition.guards),
        "inputs": [_input_dict(i) for i in transition.inputs],
        **({"not_by": list(transition.not_by)} if transition.not_by else {}),
    }


def _input_dict(spec: InputDef) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type.value,
        "required": spec.required,
        "label": spec.label,
        "choices": list(spec.choices),
    }


def _state_from(data: Mapping[str, Any]) -> StateDef:
    return StateDef(
        name=data["name"],
        label=data["label"],
        terminal=data["terminal"],
        requires=tuple(data["requires"]),
        editable=tuple(data.get("editable", ())),
    )


def _transition_from(data: Mapping[str, Any]) -> TransitionDef:
    return TransitionDef(
        trigger=data["trigger"],
        label=data["label"],
        sources=tuple(data["from"]),
        dest=data["to"],
        roles=frozenset(data["roles"]),
        guards=tuple(data["guards"]),
        inputs=tuple(_input_from(i) for i in data["inputs"]),
        not_by=tuple(data.get("not_by", ())),
    )


def _input_from(data: Mapping[str, Any]) -> InputDef:
    return InputDef(
        name=data["name"],
        type=InputType(data["type"]),
        required=data["required"],
        label=data["label"],
        choices=tuple(data["choices"]),
    )


def _from_spec(spec: WorkflowSpec, source: str) -> WorkflowDefinition:
    return WorkflowDefinition(
        name=spec.workflow,
        version=spec.version,
        record_kind=spec.record_kind,
        label=spec.label,
        description=" ".join(spec.description.split()),
        initial=spec.initial,
        fields=tuple(spec.fields),
        states={
            name: StateDef(name, s.label, s.terminal, tuple(s.requires), tuple(s.editable))
            for name, s in spec.states.items()
        },
        transitions=tuple(_transition_from_spec(t) for t in spec.transitions),
        source=source,
    )


def _transition_from_spec(spec: validate.TransitionSpec) -> TransitionDef:
    inputs = tuple(
        InputDef(
            i.name,
            i.type,
            i.required,
            i.label or i.name.replace("_", " ").capitalize(),
            tuple(i.choices),
        )
        for i in spec.inputs
    )
    return TransitionDef(
        spec.trigger,
        spec.label,
        tuple(spec.from_states),
        spec.to,
        frozenset(spec.roles),
        tuple(spec.guards),
        inputs,
        tuple(spec.not_by),
    )


def _read(path: Path | str) -> tuple[WorkflowDefinition, yamldoc.Document]:
    try:
        doc = yamldoc.load(path, error=WorkflowDefinitionError)
    except WorkflowDefinitionError as exc:
        raise WorkflowDefinitionError([validate.readable(p) for p in exc.problems]) from exc
    spec = yamldoc.parse_checked(
        doc, WorkflowSpec, validate.check, WorkflowDefinitionError, validate.check_entries
    )
    return _from_spec(spec, doc.path), doc


def load_definition(path: Path | str) -> WorkflowDefinition:
    """Read and check one workflow file; raise WorkflowDefinitionError listing every problem."""
    return _read(path)[0]


def _read_files(files: Iterable[Path]) -> dict[str, WorkflowDefinition]:
    """Every file read; all their problems raised together, duplicate names included."""
    found: dict[str, tuple[WorkflowDefinition, yamldoc.Document]] = {}
    problems: list[Problem] = []
    for file in files:
        try:
            definition, doc = _read(file)
        except WorkflowDefinitionError as exc:
            problems.extend(exc.problems)
            continue
        if definition.name in found:
            problems.append(_duplicate(definition, doc, *found[definition.name]))
        else:
            found[definition.name] = definition, doc
    if problems:
        raise WorkflowDefinitionError(problems)
    return {name: definition for name, (definition, _) in found.items()}


def _duplicate(
    definition: WorkflowDefinition,
    doc: yamldoc.Document,
    first: WorkflowDefinition,
    first_doc: yamldoc.Document,
) -> Problem:
    line = first_doc.line(("workflow",))
    return doc.problem(
        ("workflow",),
        f"workflow '{definition.name}' is also defined in "
        f"{first.source}:{line}; workflow names must be unique",
    )


def load_all(folder: Path | str) -> dict[str, WorkflowDefinition]:
    """Every ``*.workflow.yaml`` of ``folder``, keyed by workflow name.

    Raises WorkflowDefinitionError with the problems of every file at once.
    """
    if not Path(folder).is_dir():
        raise WorkflowDefinitionError([Problem(str(folder), 0, "no such folder")])
    return _read_files(sorted(Path(folder).glob(f"*{SUFFIX}")))


def load_paths(paths: Sequence[Path | str]) -> dict[str, WorkflowDefinition]:
    """The definitions of the files and folders given (a folder: its ``*.workflow.yaml``)."""
    files: list[Path] = []
    empty: list[Problem] = []
    for path in map(Path, paths):
        found = sorted(path.glob(f"*{SUFFIX}")) if path.is_dir() else [path]
        if not found:
            empty.append(Problem(str(path), 0, f"no workflow definitions (*{SUFFIX}) here"))
        files += found
    try:
        definitions = _read_files(files)
    except WorkflowDefinitionError as exc:
        raise WorkflowDefinitionError(empty + exc.problems) from exc
    if empty:
        raise WorkflowDefinitionError(empty)
    return definitions


def check_paths(paths: Sequence[Path | str]) -> list[Problem]:
    """Every problem in the files and folders given; [] when all are valid."""
    try:
        load_paths(paths)
    except WorkflowDefinitionError as exc:
        return exc.problems
    return []
