"""What the internal auditor's pages read (clause 9.2.2 d-f): the audits a person is on
the team of, and an audit's sheet: its checklist with the answers, its findings with the
nonconformity and action each raised, and what the person may do on it now. The rules stay
where they are: answers in ``checklist``, findings in ``findings`` (the form's one call in
``auditor_findings``), the report in ``report`` (its preview in ``auditor_report``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import PermissionDenied, ValidationError
from qms.models import (
    AuditFinding,
    ChecklistItem,
    InternalAudit,
    Person,
    Role,
    TeamMember,
)
from qms.reporting.words import Words, words_for
from qms.services import record_view, shared
from qms.services.audits.checklist import PREPARING
from qms.services.audits.common import (
    audit,
    coordinator,
    holds_institution_role,
    team,
)
from qms.services.audits.queries import checklist_items, findings_of
from qms.services.audits.report_context import heading

KIND = "internal_audit"
DONE_STATES = ("report_issued", "follow_up", "closed", "cancelled")


@dataclass(frozen=True)
class MyAudit:
    """One audit of "My audits": the person's role on its team and where it stands."""

    id: int
    heading: str
    process_code: str
    process_name: str
    start: date | None
    end: date | None
    role: str  # the person's role on the team, as a label
    state: str
    state_label: str
    answered: int
    total: int
    findings: int

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES


def my_audits(app: Services, handle: str) -> list[MyAudit]:
    """The audits ``handle`` is on the team of: upcoming and in progress first (soonest
    first), then the done ones (latest first)."""
    with app.database.reading() as session:
        words = words_for(session, app.registry)
        person = shared.person(session, handle, "actor")
        rows = session.execute(
            select(TeamMember.role, InternalAudit)
            .join(InternalAudit, InternalAudit.id == TeamMember.audit_id)
            .where(TeamMember.person_id == person.id)
        ).all()
        ids = [record.id for _, record in rows]
        answered, total = _progress(session, ids)
        found = dict(
            session.execute(
                select(AuditFinding.audit_id, func.count())
                .where(AuditFinding.audit_id.in_(ids))
                .group_by(AuditFinding.audit_id)
            ).all()
        )
        audits = [
            MyAudit(
                id=record.id,
                heading=heading(record),
                process_code=record.process.code if record.process else "",
                process_name=record.process.name if record.process else "",
                start=record.planned_start,
                end=record.planned_end,
                role=words.term("role", role.value),
                state=record.state,
                state_label=words.state(KIND, record.state),
                answered=answered.get(record.id, 0),
                total=total.get(record.id, 0),
                findings=found.get(record.id, 0),
            )
            for role, record in rows
        ]
    return sorted(audits, key=_order)


def _order(row: MyAudit) -> tuple[bool, int, int]:
    day = (row.start or date.max).toordinal()
    return (row.done, -day if row.done else day, row.id)


def _progress(session: Session, ids: Sequence[int]) -> tuple[dict[int, int], dict[int, int]]:
    rows = session.execute(
        select(ChecklistItem.audit_id, ChecklistItem.answer.is_not(None), func.count())
        .where(ChecklistItem.audit_id.in_(ids))
        .group_by(ChecklistItem.audit_id, ChecklistItem.answer.is_not(None))
    ).all()
    answered: dict[int, int] = {}
    total: dict[int, int] = {}
    for audit_id, given, count in rows:
        total[audit_id] = total.get(audit_id, 0) + count
        if given:
            answered[audit_id] = answered.get(audit_id, 0) + count
    return answered, total


@dataclass(frozen=True)
class FindingView:
    id: int
    reference: str
    type_label: str
    grade_label: str | None  # a nonconformity's grade
    title: str
    criterion: str
    evidence: str
    description: str
    state_label: str
    found_on: date | None
    item_position: int | None  # the checklist question it rests on
    outside_reason: str  # or why it lies outside the checklist
    nc_id: int | None
    nc_state: str
    action_id: int | None
    action_state: str
    action_owner: str
    action_due: date | None


@dataclass(frozen=True)
class ItemView:
    id: int
    position: int
    clause: str
    question: str
    answer: str | None
    evidence: str
    reason: str
    answered_by: str | None  # by name
    answered_at: datetime | None  # local time
    findings: tuple[FindingView, ...]


@dataclass(frozen=True)
class AuditSheet:
    """An audit as its auditors see it: the plan, the checklist, the findings, and what
    the person may do on it now."""

    id: int
    reference: str
    heading: str
    process_code: str
    process_name: str
    state: str
    state_label: str
    version: int
    start: date | None
    end: date | None
    location: str
    lead: str
    team: tuple[tuple[str, str], ...]  # (name, role label)
    my_role: str | None  # their role on the team, if they are on it
    items: tuple[ItemView, ...]
    findings: tuple[FindingView, ...]
    may_answer: bool  # the checklist is answered and findings raised by them now
    may_prepare: bool  # they may make or extend the checklist now
    triggers: tuple[str, ...]  # the audit's steps offered to them now (a guard may refuse)

    @property
    def answered(self) -> int:
        return sum(1 for item in self.items if item.answer is not None)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / len(self.items)) if self.items else 0

    def item(self, position: int) -> ItemView:
        for found in self.items:
            if found.position == position:
                return found
        raise ValidationError("item", f"{self.reference} has no checklist question {position}")


def sheet(app: Services, audit_id: int, handle: str) -> AuditSheet:
    """The audit's sheet for ``handle``; PermissionDenied if they may not see the audit."""
    today = app.engine.today()
    with app.database.reading() as session:
        record = audit(session, audit_id)
        record_view.seen(session, KIND, audit_id, handle, today)
        person = shared.person(session, handle, "actor")
        words = words_for(session, app.registry)
        members = team(session, record)
        mine = next((m for m in members if m.person_id == person.id), None)
        listed = checklist_items(session, record.id)
        positions = {item.id: item.position for item in listed}
        found = [finding_view(words, f, positions) for f in findings_of(session, record.id)]
        items = tuple(_item_view(app, item, found) for item in listed)
        auditor = mine is not None or holds_institution_role(
            session, person, Role.QUALITY_MANAGER, today
        )
        offered = app.engine.available_triggers(session, record, person)
        return AuditSheet(
            id=record.id,
            reference=words.ref(KIND, record.id),
            heading=heading(record),
            process_code=record.process.code if record.process else "",
            process_name=record.process.name if record.process else "",
            state=record.state,
            state_label=words.state(KIND, record.state),
            version=record.version,
            start=record.planned_start,
            end=record.planned_end,
            location=record.location,
            lead=record.lead_auditor.name if record.lead_auditor else "",
            team=tuple((m.person.name, words.term("role", m.role.value)) for m in members),
            my_role=words.term("role", mine.role.value) if mine else None,
            items=items,
            findings=tuple(found),
            may_answer=auditor and record.state == "in_progress",
            may_prepare=record.state in PREPARING and _coordinates(session, handle, today),
            triggers=tuple(a.trigger for a in offered),
        )


def _coordinates(session: Session, handle: str, today: date) -> bool:
    """Whether ``handle`` may prepare checklists (the rule of ``checklist.create``)."""
    try:
        coordinator(session, handle, today, "prepare checklists")
    except (PermissionDenied, ValidationError):
        return False
    return True


def _item_view(app: Services, item: ChecklistItem, found: list[FindingView]) -> ItemView:
    at = item.answered_at.astimezone(app.settings.zone) if item.answered_at else None
    return ItemView(
        id=item.id,
        position=item.position,
        clause=item.clause,
        question=item.question,
        answer=item.answer.value if item.answer else None,
        evidence=item.evidence,
        reason=item.not_applicable_reason,
        answered_by=item.answered_by.name if item.answered_by else None,
        answered_at=at,
        findings=tuple(f for f in found if f.item_position == item.position),
    )


def finding_view(words: Words, finding: AuditFinding, positions: dict[int, int]) -> FindingView:
    """A finding in words; ``positions`` gives each checklist item's question number."""
    item_id = finding.data.get("checklist_item_id")
    position = positions.get(int(item_id)) if item_id is not None else None
    nc, action = finding.nonconformity, finding.action
    owner: Person | None = action.owner if action is not None else None
    return FindingView(
        id=finding.id,
        reference=words.ref("audit_finding", finding.id),
        type_label=words.term("finding_type", finding.finding_type),
        grade_label=words.term("severity", finding.grade) if finding.grade else None,
        title=finding.title,
        criterion=finding.criterion,
        evidence=finding.evidence,
        description=str(finding.data.get("description") or ""),
        state_label=words.state("audit_finding", finding.state),
        found_on=finding.found_on,
        item_position=position,
        outside_reason=str(finding.data.get("outside_checklist_reason") or ""),
        nc_id=finding.nonconformity_id,
        nc_state=words.state("nonconformity", nc.state) if nc is not None else "",
        action_id=finding.action_id,
        action_state=words.state("improvement_action", action.state) if action else "",
        action_owner=owner.name if owner is not None else "",
        action_due=action.due_date if action is not None else None,
    )
