"""Audit findings (ISO 19011 6.4.8): each cites a criterion and its evidence. A nonconformity
finding raises, in the same transaction, a nonconformity and a corrective action due within
the days set for its grade (clause 9.2.2 e), linked both ways."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import PermissionDenied, ValidationError
from qms.models import (
    Answer,
    AuditFinding,
    ChecklistItem,
    InternalAudit,
    Nonconformity,
    Person,
    Process,
    Role,
    RoleAssignment,
    TeamMember,
)
from qms.models.text import FREE_TEXT
from qms.services import shared
from qms.services.audits.common import (
    audit,
    commit,
    due_days,
    finding_types,
    holds_institution_role,
    required,
)
from qms.services.capa import register
from qms.services.capa.vocabulary import NcSource
from qms.services.shared import checked_text, text_for

EFFECTIVENESS_DELAY = timedelta(days=30)


@dataclass(frozen=True)
class NewFinding:
    audit_id: int
    finding_type: str
    title: str
    criterion: str
    evidence: str
    description: str = ""
    checklist_item: int | None = None  # the id of the checklist item it rests on
    outside_checklist: str = ""  # or why it lies outside the checklist


def add(app: Services, actor: str, spec: NewFinding) -> AuditFinding:
    """Record a finding; a nonconformity finding also gets its nonconformity and action."""
    types = finding_types(app.settings)
    with app.database.unit_of_work() as uow:
        session = uow.session
        today = app.engine.today()
        record = audit(session, spec.audit_id)
        person = _auditor(session, record, actor, today)
        kind = types.get(spec.finding_type)
        if kind is None:
            raise ValidationError("type", f"{spec.finding_type!r} is not one of {', '.join(types)}")
        description = checked_text(FREE_TEXT, "description", spec.description)
        link = _checklist_link(session, record, kind.grade is not None, spec)
        finding = AuditFinding(
            audit_id=record.id,
            process_id=record.process_id,
            finding_type=kind.name,
            grade=kind.grade,
            title=text_for(AuditFinding, "title", required("title", spec.title)),
            criterion=text_for(AuditFinding, "criterion", required("criterion", spec.criterion)),
            evidence=text_for(AuditFinding, "evidence", required("evidence", spec.evidence)),
            found_on=today,
            data={**({"description": description} if description else {}), **link},
        )
        app.engine.start(session, finding, person)
        if kind.grade is not None:
            _raise_nonconformity(app, session, record, finding, person, today)
        commit(uow, finding.reference)
        return finding


def _checklist_link(
    session: Session, record: InternalAudit, nonconformity: bool, spec: NewFinding
) -> dict[str, int | str]:
    """What the finding rests on: a checklist item of this audit (answered not conform, for
    a nonconformity), or the reason it lies outside the checklist (ISO 19011 6.4.8)."""
    reason = checked_text(FREE_TEXT, "outside_checklist", spec.outside_checklist)
    if spec.checklist_item is not None and reason:
        raise ValidationError(
            "outside_checklist", "give the checklist item or the reason it is outside, not both"
        )
    if reason:
        return {"outside_checklist_reason": reason}
    if spec.checklist_item is None:
        if nonconformity:
            raise ValidationError(
                "item",
                "a nonconformity finding names the checklist item answered not_conform it "
                "rests on, or says why it lies outside the checklist (clause 9.2.2; "
                "ISO 19011 6.4.8)",
            )
        return {}
    item = _item_of(session, record, spec.checklist_item)
    if nonconformity and item.answer != Answer.NOT_CONFORM:
        answered = f"answered {item.answer}" if item.answer else "not answered"
        raise ValidationError(
            "item",
            f"checklist item #{item.id} (question {item.position}, {item.clause}) is "
            f"{answered}: a nonconformity finding rests on a question answered not_conform "
            "(clause 9.2.2; ISO 19011 6.4.8)",
        )
    return {"checklist_item_id": item.id}


def _item_of(session: Session, record: InternalAudit, item_id: int) -> ChecklistItem:
    item = session.get(ChecklistItem, item_id)
    if item is None:
        raise ValidationError("item", f"there is no checklist item #{item_id}")
    if item.audit_id != record.id:
        raise ValidationError(
            "item",
            f"checklist item #{item_id} is question {item.position} of internal_audit "
            f"#{item.audit_id}, not of {record.reference}",
        )
    return item


def _auditor(session: Session, record: InternalAudit, handle: str, today: date) -> Person:
    person = shared.active_person(session, handle, "actor", on=today)
    if record.state != "in_progress":
        raise ValidationError(
            "audit",
            f"{record.reference} is {record.state}: findings are recorded while it is in progress",
        )
    on_team = session.scalar(
        select(TeamMember.id).where(
            TeamMember.audit_id == record.id, TeamMember.person_id == person.id
        )
    )
    if on_team is None and not holds_institution_role(session, person, Role.QUALITY_MANAGER, today):
        raise PermissionDenied(
            f"{person.name} ({handle}) is not on the team of {record.reference}: only its "
            "auditors record findings"
        )
    return person


def _raise_nonconformity(
    app: Services,
    session: Session,
    record: InternalAudit,
    finding: AuditFinding,
    person: Person,
    today: date,
) -> None:
    assert finding.grade is not None and record.process is not None
    due = today + timedelta(days=due_days(app.settings, finding.grade))
    nc = Nonconformity(
        title=finding.title,
        description=f"{finding.evidence}\n\nCriterion: {finding.criterion}",
        process_id=record.process_id,
        source=NcSource.INTERNAL_AUDIT,
        severity=finding.grade,
        detected_on=today,
        detected_by_id=person.id,
        data={"reference": finding.reference},
    )
    app.engine.start(session, nc, person, f"raised by {finding.reference}")
    action = register.corrective_action(
        app,
        nc,
        title=f"Corrective action: {finding.title}",
        description=f"Correct the cause of {finding.grade} nonconformity #{nc.id} found by "
        f"{finding.reference} ({record.reference}). Criterion: {finding.criterion}",
        owner_id=_pilot(session, record.process, today).id,
        due_date=due,
        criteria=f"No recurrence at the follow-up of {record.reference}",
        check_date=due + EFFECTIVENESS_DELAY,
    )
    app.engine.start(session, action, person, f"raised by {finding.reference}")
    links = {
        "nonconformity_id": nc.id,
        "action_id": action.id,
        "action_due_date": due.isoformat(),
        "action_reference": f"improvement_action #{action.id}",
    }
    finding.nonconformity_id, finding.action_id = nc.id, action.id
    finding.set_field("action_due_date", due)
    finding.set_field("action_reference", links["action_reference"])
    app.engine.note(session, finding, "raise_nonconformity", person, links)


def _pilot(session: Session, process: Process, day: date) -> Person:
    rows = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.process_id == process.id, RoleAssignment.role == Role.PILOT
        )
    )
    for row in rows:
        if row.holds_on(day):
            return row.person
    raise ValidationError("process", f"{process.code} has no pilot on {day}")
