"""What changed between two versions of a workflow definition, in words a quality manager reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qms.workflow.definition import StateDef, TransitionDef, WorkflowDefinition


def diff(old: WorkflowDefinition, new: WorkflowDefinition) -> list[str]:
    """One line per change: '+' added, '-' removed, '~' changed. Empty when equal."""
    lines: list[str] = []
    for key in ("version", "record_kind", "label", "description", "initial"):
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            lines.append(f"~ {key}: {before!r} -> {after!r}")
    if old.fields != new.fields:
        lines.append(f"~ fields: {_names(old.fields)} -> {_names(new.fields)}")
    lines.extend(_states(old.states, new.states))
    lines.extend(_transitions(old.transitions, new.transitions))
    return lines


def _names(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _states(before: Mapping[str, StateDef], after: Mapping[str, StateDef]) -> list[str]:
    lines = [f"+ state '{n}' ({after[n].label})" for n in after if n not in before]
    lines += [f"- state '{n}' ({before[n].label})" for n in before if n not in after]
    for name in (n for n in after if n in before and after[n] != before[n]):
        a, b = before[name], after[name]
        for attr in ("label", "terminal"):
            if getattr(a, attr) != getattr(b, attr):
                lines.append(
                    f"~ state '{name}' {attr}: {getattr(a, attr)!r} -> {getattr(b, attr)!r}"
                )
        if a.requires != b.requires:
            lines.append(f"~ state '{name}' requires: {_names(a.requires)} -> {_names(b.requires)}")
    return lines


def _key(t: TransitionDef) -> str:
    return f"'{t.trigger}' ({', '.join(t.sources)} -> {t.dest})"


def _transitions(old: tuple[TransitionDef, ...], new: tuple[TransitionDef, ...]) -> list[str]:
    before = {(t.trigger, t.sources): t for t in old}
    after = {(t.trigger, t.sources): t for t in new}
    lines = [f"+ transition {_key(t)}" for k, t in after.items() if k not in before]
    lines += [f"- transition {_key(t)}" for k, t in before.items() if k not in after]
    for key in (k for k in after if k in before and after[k] != before[k]):
        a, b = before[key], after[key]
        if a.dest != b.dest:
            lines.append(f"~ transition {_key(a)} now goes to '{b.dest}'")
        if a.roles != b.roles:
            lines.append(
                f"~ transition {_key(b)} roles: {_names(sorted(a.roles))} -> "
                f"{_names(sorted(b.roles))}"
            )
        if a.guards != b.guards:
            lines.append(f"~ transition {_key(b)} guards: {_names(a.guards)} -> {_names(b.guards)}")
        if a.inputs != b.inputs:
            lines.append(
                f"~ transition {_key(b)} inputs: {_names(i.name for i in a.inputs)} -> "
                f"{_names(i.name for i in b.inputs)}"
            )
        if a.label != b.label:
            lines.append(f"~ transition {_key(b)} label: {a.label!r} -> {b.label!r}")
    return lines
