"""A workflow definition in words, for its page: its states with their labels, and each
step with where it goes and who may take it (the roles of the definition, by label)."""

from __future__ import annotations

from dataclasses import dataclass

from qms.reporting.words import TERMS, readable
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.registry import Registry


@dataclass(frozen=True)
class StateView:
    name: str
    label: str
    initial: bool
    terminal: bool
    requires: tuple[str, ...]  # the fields, made readable


@dataclass(frozen=True)
class StepView:
    trigger: str
    name: str  # the trigger made readable, as the diagram writes it
    label: str
    sources: tuple[str, ...]  # state labels
    dest: str
    roles: tuple[str, ...]  # role labels
    not_by: tuple[str, ...]  # role labels of the people the record names who may not


@dataclass(frozen=True)
class WorkflowView:
    name: str
    kind: str
    label: str
    description: str
    version: int
    states: tuple[StateView, ...]
    steps: tuple[StepView, ...]


def role_label(role: str) -> str:
    return TERMS["role"].get(role) or readable(role)


def workflow_view(defn: WorkflowDefinition) -> WorkflowView:
    labels = {s.name: s.label for s in defn.states.values()}
    states = tuple(
        StateView(
            s.name,
            s.label,
            s.name == defn.initial,
            s.terminal,
            tuple(readable(f) for f in s.requires),
        )
        for s in defn.states.values()
    )
    steps = tuple(
        StepView(
            t.trigger,
            readable(t.trigger),
            t.label,
            tuple(labels.get(s, readable(s)) for s in t.sources),
            labels.get(t.dest, readable(t.dest)),
            tuple(role_label(r) for r in sorted(t.roles)),
            tuple(role_label(r) for r in t.not_by),
        )
        for t in defn.transitions
    )
    return WorkflowView(
        defn.name,
        defn.record_kind,
        defn.label,
        defn.description,
        defn.version,
        states,
        steps,
    )


@dataclass(frozen=True)
class WorkflowLine:
    kind: str
    label: str
    description: str
    states: int
    steps: int


def workflows_index(registry: Registry) -> list[WorkflowLine]:
    """Every workflow of the installation, by label."""
    found = [registry.current(name) for name in registry.names]
    return sorted(
        (
            WorkflowLine(d.record_kind, d.label, d.description, len(d.states), len(d.transitions))
            for d in found
        ),
        key=lambda line: line.label,
    )
