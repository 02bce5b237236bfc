"""Edits: changing the fields a record's state lets change (``editable:`` in its workflow).

An edit changes no state; it is a trail row of its own (trigger ``edit``) holding the new
values, so the record's history shows who changed what and when (clause 7.5.3). Who may
edit is who may move the record on from its state: a role of a transition leaving it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qms.errors import PermissionDenied, ValidationError
from qms.models import HistoryEntry, WorkflowRecord
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.inputs import jsonable
from qms.workflow.permissions import ActorRoles

EDIT = "edit"

# What the person a record names in a role its workflow keeps from some steps (not_by) may
# not change themselves: who holds the role, when their work is due, what it is judged by.
JUDGED_BY = {
    "owner": ("owner", "due_date", "effectiveness_criteria", "effectiveness_check_date"),
    "lead_auditor": ("lead_auditor", "scope", "criteria"),
}


def editable(defn: WorkflowDefinition, record: WorkflowRecord) -> tuple[str, ...]:
    return defn.states[record.state].editable


def check(
    defn: WorkflowDefinition, record: WorkflowRecord, roles: ActorRoles, names: list[str]
) -> None:
    """Refuse fields the record's state does not let change, and people who may not."""
    allowed = editable(defn, record)
    refused = [n for n in names if n not in allowed]
    if refused:
        where = f"{record.reference} is {record.state}"
        raise ValidationError(
            refused[0],
            f"{where}: {', '.join(refused)} cannot be changed there "
            f"(editable in that state: {', '.join(allowed) or 'nothing'})",
        )
    editors = frozenset().union(*(t.roles for t in defn.transitions_from(record.state)))
    held = roles.on_record(record)
    guarded = {role for t in defn.transitions for role in t.not_by} & held
    kept = [n for n in names for role in guarded if n in JUDGED_BY.get(role, ())]
    if kept:
        actor = roles.actor
        raise PermissionDenied(
            f"{actor.name} ({actor.handle}) may not change {', '.join(kept)} of "
            f"{record.reference}: they are its {' and '.join(sorted(guarded))}, and a person "
            "does not set who judges their work, when it is due or what it is judged by "
            "(segregation of duties, the institution's rule under clause 5.3); the pilot or a "
            "correspondent changes it"
        )
    if not editors & held:
        actor = roles.actor
        raise PermissionDenied(
            f"{actor.name} ({actor.handle}) may not edit {record.reference}: it needs the role "
            f"{' or '.join(sorted(editors))} (who moves it on from {record.state})"
        )


def changed(record: WorkflowRecord, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from what the record holds (column or data)."""
    return {n: v for n, v in values.items() if record.field_value(n) != v}


def apply(record: WorkflowRecord, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set the values; returns them as the trail row states them."""
    for name, value in values.items():
        record.set_field(name, value)
    return jsonable(dict(values))


def is_edit(entry: HistoryEntry) -> bool:
    return entry.trigger == EDIT
