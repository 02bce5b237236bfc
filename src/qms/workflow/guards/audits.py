"""Guards of the audit programme, internal audits and their findings (clause 9.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select

from qms.models import Answer, ChecklistItem
from qms.workflow.guards.context import Guard, GuardContext, needs
from qms.workflow.guards.refusal import Refusal

SHOWN = 10  # unanswered questions named in a refusal; the rest are counted


def checklist_answered(ctx: GuardContext) -> Refusal | None:
    """No report while a checklist question is unanswered, or not applicable with no reason."""
    open_items = list(
        ctx.db().scalars(
            select(ChecklistItem)
            .where(ChecklistItem.audit_id == ctx.record.id)
            .where(
                or_(
                    ChecklistItem.answer.is_(None),
                    (ChecklistItem.answer == Answer.NOT_APPLICABLE)
                    & (ChecklistItem.not_applicable_reason == ""),
                )
            )
            .order_by(ChecklistItem.position)
        )
    )
    if not open_items:
        return None
    named = "; ".join(_item(i) for i in open_items[:SHOWN])
    more = f"; and {len(open_items) - SHOWN} more" if len(open_items) > SHOWN else ""
    count = len(open_items)
    text = (
        f"{count} checklist question{'s are' if count > 1 else ' is'} not answered: {named}{more}. "
        "Answer each, or mark it not_applicable with a reason (clause 9.2.2; ISO 19011 6.4.7)"
    )
    questions = tuple(_question(i) for i in open_items[:SHOWN])
    return Refusal(text, "unanswered", count=count, questions=questions, clause="9.2.2")


@dataclass(frozen=True)
class Question:
    """A checklist question a refusal names: its position, clause, words (shortened) and
    whether it is marked not applicable with no reason (else it has no answer)."""

    position: int
    clause: str
    question: str
    no_reason: bool


def _question(item: ChecklistItem) -> Question:
    question = " ".join(item.question.split())
    short = question if len(question) <= 60 else question[:59].rstrip() + "…"
    return Question(item.position, item.clause, short, item.answer is not None)


def _item(item: ChecklistItem) -> str:
    question = " ".join(item.question.split())
    short = question if len(question) <= 60 else question[:59].rstrip() + "…"
    missing = " (not applicable, no reason)" if item.answer is not None else ""
    return f"{item.position} ({item.clause}) {short}{missing}"


AUDIT_GUARDS: Mapping[str, Guard] = {
    "scope_and_criteria_set": needs("scope", "criteria", clause="9.2.2 b"),
    "audit_team_assigned": needs("lead_auditor_id", clause="9.2.2 c"),
    "checklist_answered": checklist_answered,
}
