"""One register of actions (clauses 10.2.1 c, 10.3): a nonconformity's corrective actions
are action records of kind ``corrective`` linked to it, each with its owner, due date,
effectiveness criteria and its own workflow.

``plan_action`` on a nonconformity plans one in full; more are added with
:func:`add_action` (``qms nc add-action``). The nonconformity is implemented once they are
all done and found effective once each is (its workflow's guards look at them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.models import HistoryEntry, ImprovementAction, Nonconformity
from qms.models.text import column_length
from qms.services import shared
from qms.services.capa import actions
from qms.services.capa.vocabulary import ActionKind, Origin, Priority


@dataclass(frozen=True)
class NewCorrectiveAction:
    title: str
    owner: str
    due_date: date
    effectiveness_criteria: str
    effectiveness_check_date: date
    description: str = ""
    kind: str = ActionKind.CORRECTIVE
    priority: str | None = None  # default: high for the most severe grade, else normal


def plan_from(app: Services, session: Session, nc: Nonconformity, entry: HistoryEntry) -> None:
    """The corrective action that ``plan_action``'s inputs describe, started at once (its
    inputs were checked by the transition's guard)."""
    given = entry.inputs
    plan = str(given["action_plan"]).strip()
    action = ImprovementAction(
        title=plan.splitlines()[0][: column_length(ImprovementAction, "title")],
        description=plan,
        kind=ActionKind.CORRECTIVE,
        process_id=nc.process_id,
        owner_id=shared.active_person(
            session, str(given["action_owner"]), "action_owner", on=app.engine.today()
        ).id,
        due_date=date.fromisoformat(str(given["action_due_date"])),
        priority=_priority(app, nc),
        origin=Origin.NONCONFORMITY,
        origin_ref=str(nc.id),
        nonconformity_id=nc.id,
        effectiveness_criteria=str(given["effectiveness_criteria"]),
        effectiveness_check_date=date.fromisoformat(str(given["effectiveness_check_date"])),
        data={},
    )
    actor = shared.person(session, entry.actor, "actor")
    app.engine.start(session, action, actor, f"planned on {nc.reference} (clause 10.2.1 c)")


def add_action(
    app: Services, actor: str, nc_id: int, spec: NewCorrectiveAction
) -> ImprovementAction:
    """Add a corrective action (or a correction) to a nonconformity that is still open."""
    with app.database.reading() as session:
        nc = shared.record(session, "nonconformity", nc_id)
        assert isinstance(nc, Nonconformity)
        process = nc.process.code if nc.process else ""
        priority = spec.priority or _priority(app, nc)
    return actions.new(
        app,
        actor,
        actions.NewAction(
            title=spec.title,
            process=process,
            owner=spec.owner,
            due_date=spec.due_date,
            kind=spec.kind,
            description=spec.description,
            priority=priority,
            origin=Origin.NONCONFORMITY,
            origin_ref=str(nc_id),
            effectiveness_criteria=spec.effectiveness_criteria,
            effectiveness_check_date=spec.effectiveness_check_date,
        ),
    )


def actions_of(session: Session, nc_id: int) -> list[ImprovementAction]:
    return list(
        session.scalars(
            select(ImprovementAction)
            .where(ImprovementAction.nonconformity_id == nc_id)
            .order_by(ImprovementAction.id)
        )
    )


def _priority(app: Services, nc: Nonconformity) -> str:
    return Priority.HIGH if nc.severity == app.settings.severities[0] else Priority.NORMAL
