"""What a record page reads beyond the record itself: whether the person may see it, the
records it is linked to, the people of its process. Read-only: nothing here writes.

A person sees a record when its process is in their scope (``services.visibility``); an
action also when they own it. Links follow the models' relationships: a nonconformity and
its actions, an action and where it comes from (its nonconformity, the audit finding that
raised it, the review decision it follows), a finding and its audit, nonconformity and
action, an audit and its findings, a review and the actions its decisions opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import NotFound, PermissionDenied
from qms.models import (
    RECORD_MODELS,
    AuditFinding,
    AuditProgramme,
    BreachProposal,
    ImprovementAction,
    InternalAudit,
    ManagementReview,
    Nonconformity,
    Person,
    ProcessReview,
    ReviewDecision,
    RoleAssignment,
    WorkflowRecord,
)
from qms.services import shared, visibility
from qms.services.capa import register
from qms.workflow.permissions import in_force


@dataclass(frozen=True)
class Linked:
    """A record linked to the one shown; ``relation`` says how (see :func:`links`)."""

    relation: str  # action, nonconformity, finding, audit, review, repeat_of, programme, previous
    record: WorkflowRecord


def seen(
    session: Session, kind: str, record_id: int, handle: str, today: date
) -> tuple[WorkflowRecord, visibility.Scope]:
    """The record, if ``handle`` may see it today, and what they may see; NotFound for a
    kind or record that does not exist, PermissionDenied outside their scope."""
    if kind not in RECORD_MODELS:
        raise NotFound(f"there is no kind of record called '{kind}'")
    record = shared.record(session, kind, record_id)
    person = shared.person(session, handle, "actor")
    scope = visibility.scope(session, person, today)
    if not sees(scope, record):
        where = f"process {record.process.code}" if record.process is not None else "no process"
        raise PermissionDenied(
            f"{person.name} may not see {record.reference}: it belongs to {where}, "
            f"where they hold no role on {today.isoformat()}"
        )
    return record, scope


def sees(scope: visibility.Scope, record: WorkflowRecord) -> bool:
    if isinstance(record, ImprovementAction):
        return scope.sees_action(record.process_id, record.owner_id)
    return scope.sees_process(record.process_id)


def links(session: Session, record: WorkflowRecord, scope: visibility.Scope) -> list[Linked]:
    """The records linked to ``record`` that the person of ``scope`` may see."""
    return [link for link in _links(session, record) if sees(scope, link.record)]


def _links(session: Session, record: WorkflowRecord) -> list[Linked]:
    match record:
        case Nonconformity():
            return _of_nonconformity(session, record)
        case ImprovementAction():
            return _of_action(session, record)
        case AuditFinding():
            related = (("audit", record.audit), ("nonconformity", record.nonconformity))
            return _present(*related, ("action", record.action))
        case InternalAudit():
            findings = _where(session, AuditFinding, AuditFinding.audit_id == record.id)
            own = _present(("programme", record.programme), ("previous", record.previous_audit))
            return own + [Linked("finding", f) for f in findings]
        case AuditProgramme():
            audits = _where(session, InternalAudit, InternalAudit.programme_id == record.id)
            return [Linked("audit", a) for a in audits]
        case ManagementReview() | ProcessReview():
            return _present(("previous", record.previous_review)) + _decided(session, record)
    return []


def _of_nonconformity(session: Session, nc: Nonconformity) -> list[Linked]:
    actions = [Linked("action", a) for a in register.actions_of(session, nc.id)]
    findings = _where(session, AuditFinding, AuditFinding.nonconformity_id == nc.id)
    return (
        actions + [Linked("finding", f) for f in findings] + _present(("repeat_of", nc.repeat_of))
    )


def _of_action(session: Session, action: ImprovementAction) -> list[Linked]:
    found = _present(("nonconformity", action.nonconformity))
    findings = _where(session, AuditFinding, AuditFinding.action_id == action.id)
    found += [Linked("finding", f) for f in findings]
    decisions = session.scalars(select(ReviewDecision).where(ReviewDecision.action_id == action.id))
    for decision in decisions:
        review = session.get(RECORD_MODELS[decision.review_kind.value], decision.review_id)
        found += _present(("review", review))
    return found


def _decided(session: Session, review: WorkflowRecord) -> list[Linked]:
    """The actions a review's decisions opened (clause 9.3.3)."""
    actions = session.scalars(
        select(ImprovementAction)
        .join(ReviewDecision, ReviewDecision.action_id == ImprovementAction.id)
        .where(ReviewDecision.review_kind == review.record_kind)
        .where(ReviewDecision.review_id == review.id)
        .order_by(ImprovementAction.id)
    )
    return [Linked("action", a) for a in actions]


def _present(*pairs: tuple[str, WorkflowRecord | None]) -> list[Linked]:
    return [Linked(relation, found) for relation, found in pairs if found is not None]


def _where(
    session: Session, model: type[WorkflowRecord], condition: object
) -> list[WorkflowRecord]:
    return list(session.scalars(select(model).where(condition).order_by(model.id)))  # type: ignore[arg-type]


def breach_of(session: Session, action_id: int) -> BreachProposal | None:
    """The indicator breach an action was opened for, if any."""
    return session.scalar(select(BreachProposal).where(BreachProposal.action_id == action_id))


RANK = {"pilot": 0, "correspondent": 1, "contributor": 2}


def people_of(session: Session, process_id: int | None, today: date) -> list[tuple[Person, str]]:
    """The people holding a role on the process today, each with their first role (pilot,
    correspondent, contributor), by name; everyone active, without a role, when the record
    belongs to no process. Whom a step may name (an action's owner)."""
    if process_id is None:
        everyone = select(Person).where(Person.active_on(today)).order_by(Person.name)
        return [(person, "") for person in session.scalars(everyone)]
    rows = session.execute(
        select(Person, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.process_id == process_id, *in_force(today))
        .where(Person.active_on(today))
    ).all()
    best: dict[int, tuple[Person, str]] = {}
    for person, role in rows:
        held = best.get(person.id)
        if held is None or RANK.get(str(role), 9) < RANK.get(held[1], 9):
            best[person.id] = (person, str(role))
    return sorted(best.values(), key=lambda pair: (pair[0].name, pair[0].handle))
