"""Audit checklists: questions per ISO clause from the process's template under
``workflows/checklists/``, or copied from the previous audit of the same process; each
answered conform or not conform with its evidence, or not applicable with a reason; the
report waits until every question is (the ``checklist_answered`` guard, ISO 19011 6.4.7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import PermissionDenied, ValidationError
from qms.models import Answer, ChecklistItem, InternalAudit, Person, Role, TeamMember
from qms.services import shared
from qms.services.audits.common import audit, commit, coordinator, holds_institution_role
from qms.services.audits.files import template_for
from qms.services.audits.queries import checklist_items
from qms.services.shared import one_of, text_for

PREPARING = ("planned", "plan_issued", "in_progress")


def create(app: Services, actor: str, audit_id: int, copy_previous: bool = False) -> int:
    """Fill an audit's empty checklist; returns the number of questions."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        person = coordinator(session, actor, app.engine.today(), "prepare checklists")
        record = audit(session, audit_id)
        if record.state not in PREPARING:
            raise ValidationError("audit", f"{record.reference} is {record.state}")
        if checklist_items(session, record.id):
            raise ValidationError("audit", f"{record.reference} already has a checklist")
        questions = _previous(session, record) if copy_previous else _template(app, record)
        for position, (clause, question) in enumerate(questions, start=1):
            session.add(
                ChecklistItem(
                    audit_id=record.id, position=position, clause=clause, question=question
                )
            )
        source = "the previous audit" if copy_previous else "the process template"
        app.engine.note(session, record, "prepare_checklist", person, {"from": source})
        commit(uow, record.reference)
        return len(questions)


def _template(app: Services, record: InternalAudit) -> list[tuple[str, str]]:
    assert record.process is not None
    return list(template_for(app.settings.workflows_dir, record.process.code).questions)


def _previous(session: Session, record: InternalAudit) -> list[tuple[str, str]]:
    if record.previous_audit_id is None:
        raise ValidationError(
            "copy_previous", f"{record.reference} has no previous audit of the same process"
        )
    found = checklist_items(session, record.previous_audit_id)
    if not found:
        raise ValidationError(
            "copy_previous",
            f"the previous audit (internal_audit #{record.previous_audit_id}) has no checklist",
        )
    return [(item.clause, item.question) for item in found]


def add_question(app: Services, actor: str, audit_id: int, clause: str, question: str) -> int:
    with app.database.unit_of_work() as uow:
        session = uow.session
        coordinator(session, actor, app.engine.today(), "prepare checklists")
        record = audit(session, audit_id)
        if record.state not in PREPARING:
            raise ValidationError("audit", f"{record.reference} is {record.state}")
        last = session.scalar(
            select(func.max(ChecklistItem.position)).where(ChecklistItem.audit_id == record.id)
        )
        position = (last or 0) + 1
        if not clause.strip() or not question.strip():
            raise ValidationError("question", "give a clause and a question")
        session.add(
            ChecklistItem(
                audit_id=record.id,
                position=position,
                clause=text_for(ChecklistItem, "clause", clause),
                question=text_for(ChecklistItem, "question", question),
            )
        )
        commit(uow, record.reference)
        return position


def answer(
    app: Services,
    actor: str,
    audit_id: int,
    position: int,
    value: str,
    evidence: str,
    reason: str = "",
) -> ChecklistItem:
    """Answer one question while the audit is in progress (ISO 19011 6.4.7): conform or not
    conform with its evidence, or not applicable with the reason why."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        record = audit(session, audit_id)
        person = _team_member(session, record, actor, app.engine.today())
        if record.state != "in_progress":
            raise ValidationError(
                "audit", f"{record.reference} is {record.state}: answers are given during the audit"
            )
        item = session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.audit_id == record.id, ChecklistItem.position == position
            )
        )
        if item is None:
            raise ValidationError(
                "item", f"{record.reference} has no checklist question {position}"
            )
        given = Answer(one_of("answer", value, Answer))
        _check_answer(given, evidence, reason)
        item.answer = given
        item.evidence = text_for(ChecklistItem, "evidence", evidence)
        item.not_applicable_reason = text_for(
            ChecklistItem, "not_applicable_reason", reason, "reason"
        )
        item.answered_by_id, item.answered_at = person.id, app.engine.clock.now()
        commit(uow, record.reference)
        return item


def _check_answer(given: Answer, evidence: str, reason: str) -> None:
    if given == Answer.NOT_APPLICABLE:
        if not reason.strip():
            raise ValidationError(
                "reason",
                "say why the question does not apply to this audit (ISO 19011 6.4.7: "
                "each question answered, or not applicable with a reason)",
            )
        return
    if reason.strip():
        raise ValidationError("reason", f"a reason is given for not_applicable, not for {given}")
    if not evidence.strip():
        raise ValidationError("evidence", "say what was seen, heard or read (ISO 19011 6.4.7)")


def _team_member(session: Session, record: InternalAudit, handle: str, today: Any) -> Person:
    person = shared.active_person(session, handle, "actor", on=today)
    member = session.scalar(
        select(TeamMember.id).where(
            TeamMember.audit_id == record.id, TeamMember.person_id == person.id
        )
    )
    if member is None and not holds_institution_role(session, person, Role.QUALITY_MANAGER, today):
        raise PermissionDenied(f"{person.name} ({handle}) is not on the team of {record.reference}")
    return person
