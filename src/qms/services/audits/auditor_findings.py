"""The finding form of the auditor's pages, as one call: the configured finding types
as the form offers them (one "nonconformity" with its grades, then the others), and a
finding given as the form gives it (a type and grade, the checklist question's number),
recorded through :func:`qms.services.audits.findings.add`, where every rule is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from qms.bootstrap import Services
from qms.config import Settings
from qms.errors import ValidationError
from qms.models import AuditFinding, ChecklistItem
from qms.reporting.words import Words
from qms.services.audits import findings as audits_findings
from qms.services.audits.common import due_days, finding_types

NONCONFORMITY = "nonconformity"  # the form's type for the graded finding types


@dataclass(frozen=True)
class FindingChoices:
    kinds: tuple[tuple[str, str], ...]  # (code, label): "nonconformity" for the graded ones
    grades: tuple[tuple[str, str, int], ...]  # (grade, label, days to act) of a nonconformity


def finding_choices(settings: Settings) -> FindingChoices:
    """The configured finding types as the form offers them: one "nonconformity" with its
    grades, then the others in their configured order."""
    words = Words()
    types = finding_types(settings)
    graded = [t for t in types.values() if t.grade is not None]
    kinds = [(NONCONFORMITY, "Nonconformity")] if graded else []
    kinds += [(t.name, words.term("finding_type", t.name)) for t in types.values() if not t.grade]
    grades = tuple(
        (str(t.grade), words.term("severity", t.grade), due_days(settings, str(t.grade)))
        for t in graded
    )
    return FindingChoices(tuple(kinds), grades)


def finding_type_for(settings: Settings, kind: str, grade: str) -> str:
    """The configured finding type the form's type (and grade, for a nonconformity) means."""
    types = finding_types(settings)
    if kind == NONCONFORMITY:
        for found in types.values():
            if found.grade is not None and found.grade == grade:
                return found.name
        grades = ", ".join(str(t.grade) for t in types.values() if t.grade)
        raise ValidationError("grade", f"choose the nonconformity's grade ({grades})")
    if kind in types and types[kind].grade is None:
        return kind
    raise ValidationError("type", "choose the type of the finding")


@dataclass(frozen=True)
class FindingInput:
    """A finding as the form gives it; ``position`` is the checklist question it rests on."""

    audit_id: int
    kind: str
    grade: str
    title: str
    criterion: str
    evidence: str
    description: str = ""
    position: int | None = None
    outside_checklist: str = ""


def add_finding(app: Services, actor: str, given: FindingInput) -> AuditFinding:
    """Record the finding through ``findings.add`` (a nonconformity raises its
    nonconformity and corrective action there)."""
    finding_type = finding_type_for(app.settings, given.kind, given.grade)
    item_id = None
    if given.position is not None:
        with app.database.reading() as session:
            item_id = session.scalar(
                select(ChecklistItem.id).where(
                    ChecklistItem.audit_id == given.audit_id,
                    ChecklistItem.position == given.position,
                )
            )
        if item_id is None:
            raise ValidationError("item", f"there is no checklist question {given.position}")
    spec = audits_findings.NewFinding(
        audit_id=given.audit_id,
        finding_type=finding_type,
        title=given.title,
        criterion=given.criterion,
        evidence=given.evidence,
        description=given.description,
        checklist_item=item_id,
        outside_checklist=given.outside_checklist,
    )
    return audits_findings.add(app, actor, spec)
