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
from qms.errors import PermissionDenied
from qms.models import HistoryEntry, ImprovementAction, Nonconformity, Person, WorkflowRecord
from qms.models.text import column_length
from qms.services import shared
from qms.services.capa import actions
from qms.services.capa.vocabulary import ActionKind, Origin, Priority
from qms.workflow.permissions import ActorRoles

PLANNERS = frozenset({"pilot", "correspondent"})  # who fires plan_action


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


def corrective_action(
    app: Services,
    nc: Nonconformity,
    *,
    title: str,
    description: str,
    owner_id: int,
    due_date: date,
    criteria: str,
    check_date: date,
) -> ImprovementAction:
    """A corrective action of ``nc``, not started yet: on its process, linked to it, high
    priority for the most severe grade (its plan, or the audit finding that raised it)."""
    return ImprovementAction(
        title=title[: column_length(ImprovementAction, "title")],
        description=description,
        kind=ActionKind.CORRECTIVE,
        process_id=nc.process_id,
        owner_id=owner_id,
        due_date=due_date,
        priority=priority_for(app, nc),
        origin=Origin.NONCONFORMITY,
        origin_ref=str(nc.id),
        nonconformity_id=nc.id,
        effectiveness_criteria=criteria,
        effectiveness_check_date=check_date,
        data={},
    )


def plan_from(app: Services, session: Session, nc: Nonconformity, entry: HistoryEntry) -> None:
    """The corrective action that ``plan_action``'s inputs describe, started at once (its
    inputs were checked by the transition's guard)."""
    given = entry.inputs
    plan = str(given["action_plan"]).strip()
    action = corrective_action(
        app,
        nc,
        title=plan.splitlines()[0],
        description=plan,
        owner_id=shared.active_person(
            session, str(given["action_owner"]), "action_owner", on=app.engine.today()
        ).id,
        due_date=date.fromisoformat(str(given["action_due_date"])),
        criteria=str(given["effectiveness_criteria"]),
        check_date=date.fromisoformat(str(given["effectiveness_check_date"])),
    )
    actor = shared.person(session, entry.actor, "actor")
    app.engine.start(session, action, actor, f"planned on {nc.reference} (clause 10.2.1 c)")


def add_action(
    app: Services, actor: str, nc_id: int, spec: NewCorrectiveAction
) -> ImprovementAction:
    """Add a corrective action (or a correction) to a nonconformity that is still open, by
    who plans its actions (its pilot or a correspondent); the nonconformity's trail says so."""
    today = app.engine.today()
    with app.database.reading() as session:
        nc = shared.record(session, "nonconformity", nc_id)
        assert isinstance(nc, Nonconformity)
        roles = ActorRoles.for_handle(session, actor, today)
        process = nc.process.code if nc.process else ""
        if not roles.on_record(nc) & PLANNERS:
            raise PermissionDenied(
                f"{roles.who} may not add an action to {nc.reference}: it needs the role "
                f"{' or '.join(sorted(PLANNERS))} of process {process} (who plans its "
                "corrective actions, clause 10.2.1 c)"
            )
        priority = spec.priority or priority_for(app, nc)

    def noted(session: Session, action: WorkflowRecord, person: Person) -> None:
        found = session.get(Nonconformity, nc_id)
        assert found is not None
        app.engine.note(session, found, "add_action", person, {},
                        f"corrective action {action.reference} added: {action.title}")  # fmt: skip

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
        after=noted,
    )


def actions_of(session: Session, nc_id: int) -> list[ImprovementAction]:
    return list(
        session.scalars(
            select(ImprovementAction)
            .where(ImprovementAction.nonconformity_id == nc_id)
            .order_by(ImprovementAction.id)
        )
    )


def priority_for(app: Services, nc: Nonconformity) -> str:
    return Priority.HIGH if nc.severity == app.settings.severities[0] else Priority.NORMAL
