"""Improvement actions (clauses 10.2, 10.3): propose one and follow it to a verified result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import HistoryEntry, ImprovementAction, Nonconformity, Person, WorkflowRecord
from qms.services import editing, shared
from qms.services.capa.vocabulary import ActionKind, Origin, Priority
from qms.services.shared import one_of, required_text, text_for

KIND = "improvement_action"


@dataclass(frozen=True)
class NewAction:
    title: str
    process: str
    owner: str
    due_date: date
    kind: str = ActionKind.IMPROVEMENT
    description: str = ""
    priority: str = Priority.NORMAL
    origin: str = Origin.SUGGESTION
    origin_ref: str = ""  # e.g. the nonconformity's id when origin is 'nonconformity'
    effectiveness_criteria: str = ""
    effectiveness_check_date: date | None = None


def new(
    app: Services,
    actor: str,
    spec: NewAction,
    *,
    allow_past_due: bool = False,
    after: Callable[[Session, WorkflowRecord, Person], None] | None = None,
) -> ImprovementAction:
    """Propose an action; every field is checked before anything is written."""
    today = app.engine.today()

    def prepare(session: Session) -> WorkflowRecord:
        _check_dates(spec, today, allow_past_due)
        action = ImprovementAction(
            title=required_text("title", spec.title, (ImprovementAction, "title")),
            description=text_for(ImprovementAction, "description", spec.description),
            process_id=shared.process(session, spec.process, on=today).id,
            owner_id=shared.active_person(session, spec.owner, "owner", on=today).id,
            due_date=spec.due_date,
            kind=one_of("kind", spec.kind, ActionKind),
            priority=one_of("priority", spec.priority, Priority),
            origin=one_of("origin", spec.origin, Origin),
            origin_ref=text_for(ImprovementAction, "origin_ref", spec.origin_ref),
            effectiveness_criteria=text_for(
                ImprovementAction, "effectiveness_criteria", spec.effectiveness_criteria
            ),
            effectiveness_check_date=spec.effectiveness_check_date,
            data={},
        )
        if spec.origin == Origin.NONCONFORMITY:
            action.nonconformity_id = _origin_nonconformity(session, spec.origin_ref).id
        return action

    record = shared.start_with(app.database, app.engine, actor, prepare, after=after)
    assert isinstance(record, ImprovementAction)
    return record


def _check_dates(spec: NewAction, today: date, allow_past_due: bool) -> None:
    if spec.due_date < today and not allow_past_due:
        raise ValidationError("due_date", f"{spec.due_date} is in the past")
    check = spec.effectiveness_check_date
    if check is not None and check < spec.due_date:
        raise ValidationError(
            "effectiveness_check_date", f"{check} is before the due date {spec.due_date}"
        )


def _origin_nonconformity(session: Session, ref: str) -> Nonconformity:
    number = ref.strip().lstrip("#")
    if not number.isdigit():
        raise ValidationError(
            "origin_ref", f"give the id of the nonconformity the action comes from (got {ref!r})"
        )
    found = session.get(Nonconformity, int(number))
    if found is None:
        raise ValidationError("origin_ref", f"no nonconformity #{number}")
    if found.state not in NC_TAKES_ACTIONS:
        raise ValidationError(
            "origin_ref",
            f"{found.reference} is {found.state}: actions are added to a nonconformity until "
            "it is implemented (after an ineffective check, reanalyse it first; a new problem "
            "is a new nonconformity)",
        )
    return found


# The states in which a nonconformity's corrective actions can still be added.
NC_TAKES_ACTIONS = ("detected", "contained", "analysed", "action_planned")


def edit(
    app: Services,
    record_id: int,
    actor: str,
    changes: Mapping[str, Any],
    comment: str = "",
    expected_version: int | None = None,
) -> HistoryEntry:
    """Change what the action's state lets change (``qms action edit``); one trail row."""
    return editing.edit(
        app, KIND, record_id, actor, changes, comment, expected_version, _check_edit
    )


def _check_edit(
    session: Session, record: WorkflowRecord, values: dict[str, Any], today: date
) -> None:
    assert isinstance(record, ImprovementAction)
    if "title" in values and not values["title"]:
        raise ValidationError("title", "the title cannot be empty")
    if "priority" in values:
        one_of("priority", values["priority"], Priority)
    if record.kind == "corrective" and values.get("effectiveness_criteria", "x") == "":
        raise ValidationError(
            "effectiveness_criteria",
            "a corrective action keeps its effectiveness criteria (clause 10.2.1 d): change "
            "them, do not clear them",
        )
    due = values.get("due_date", record.due_date)
    if "due_date" in values and due is not None and due < today:
        raise ValidationError("due_date", f"{due} is in the past")
    check = values.get("effectiveness_check_date", record.effectiveness_check_date)
    if "effectiveness_check_date" in values and check is not None and check < today:
        raise ValidationError("effectiveness_check_date", f"{check} is in the past")
    if check is not None and due is not None and check < due:
        raise ValidationError(
            "effectiveness_check_date",
            f"{check} is before the due date {due}: effectiveness is checked once the work is "
            "done (clause 10.2.1 d)",
        )
