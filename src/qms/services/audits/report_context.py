"""What the audit report says, read from the audit and named for its readers.

A director or a certification auditor reads the report: people by name with their role,
records as "Audit finding #3", states and finding types by their labels (from the workflow
files and :mod:`qms.reporting.words`), never a handle or a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.models import (
    AuditFinding,
    ChecklistItem,
    ImpartialityException,
    InternalAudit,
    Organisation,
    Person,
    Role,
    RoleAssignment,
)
from qms.reporting.words import Words
from qms.services.audits.common import team
from qms.services.audits.queries import carried_over, checklist_items, findings_of
from qms.workflow import seal as seals

DOCUMENT = "Internal audit report"
AUDITEE_ROLES = (Role.PILOT, Role.CORRESPONDENT)
DATA_KEYS = (
    "audit_plan",
    "started_on",
    "closing_meeting_on",
    "conclusions",
    "criteria_fulfilment",
    "unresolved_disagreements",
    "follow_up_summary",
)


@dataclass(frozen=True)
class Issue:
    """The revision a rendering is for; None renders a draft."""

    revision: int
    issued_at: datetime
    issued_by: str
    reason: str


def heading(record: InternalAudit) -> str:
    """The audit's title in title form, with the process named in full: the stored title
    "internal audit of ECO-01" reads "Internal audit of ECO-01 Industrial partnerships"."""
    title = record.title.strip()
    title = title[:1].upper() + title[1:]
    process = record.process
    if process is not None and process.code in title and process.name not in title:
        title = title.replace(process.code, f"{process.code} {process.name}", 1)
    return title


def document_ref(record: InternalAudit, words: Words, issue: Issue | None) -> str:
    """The footer's reference: what the document is, of what, and which revision."""
    process = record.process.code if record.process else "—"
    revision = f"revision {issue.revision}" if issue else "draft"
    return f"{DOCUMENT} · {process} · {words.ref(record.record_kind, record.id)} · {revision}"


def audit_day(record: InternalAudit, today: date) -> date:
    """The day the audit ran (its opening meeting), else the day it was planned for."""
    started = record.data.get("started_on")
    if isinstance(started, str) and started:
        return date.fromisoformat(started[:10])
    return record.planned_start or today


def auditees(
    session: Session, record: InternalAudit, day: date, words: Words
) -> list[dict[str, str]]:
    """The process's pilot and correspondents on the audit day, pilot first, by name."""
    rows = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.process_id == record.process_id,
            RoleAssignment.role.in_(AUDITEE_ROLES),
        )
    )
    chosen = sorted(
        (r for r in rows if r.holds_on(day) and r.person.active_on(day)),
        key=lambda r: (AUDITEE_ROLES.index(r.role), r.person.name),
    )
    return [{"name": r.person.name, "role": words.term("role", r.role.value)} for r in chosen]


def team_rows(
    session: Session, record: InternalAudit, words: Words, excepted: set[int]
) -> list[dict[str, Any]]:
    return [
        {
            "name": m.person.name,
            "role": words.term("role", m.role.value),
            "exception": m.person_id in excepted,
        }
        for m in team(session, record)
    ]


def exceptions(session: Session, record: InternalAudit) -> list[ImpartialityException]:
    return list(
        session.scalars(
            select(ImpartialityException)
            .where(ImpartialityException.audit_id == record.id)
            .order_by(ImpartialityException.id)
        )
    )


def conflicting_roles(text: str, words: Words) -> str:
    """ "pilot, correspondent" as "process pilot and quality correspondent"."""
    labels = [words.term("role", r.strip()).lower() for r in text.split(",") if r.strip()]
    return " and ".join(labels) or "—"


def grouped(findings: list[AuditFinding], order: list[str], words: Words) -> list[dict[str, Any]]:
    """The findings by type, in the configured order of the types."""
    order = order + sorted({f.finding_type for f in findings} - set(order))
    return [
        {
            "code": name,
            "type": words.term("finding_type", name),
            "findings": [f for f in findings if f.finding_type == name],
        }
        for name in order
        if any(f.finding_type == name for f in findings)
    ]


def rests_on(findings: list[AuditFinding], items: list[ChecklistItem]) -> dict[int, ChecklistItem]:
    """The checklist item each finding rests on, by finding id (ISO 19011 6.4.8)."""
    by_id = {item.id: item for item in items}
    found = {}
    for finding in findings:
        item = by_id.get(finding.data.get("checklist_item_id") or 0)
        if item is not None:
            found[finding.id] = item
    return found


def answer_counts(items: list[ChecklistItem]) -> dict[str, int]:
    counts = {"conform": 0, "not_conform": 0, "not_applicable": 0, "unanswered": 0}
    for item in items:
        counts[item.answer.value if item.answer else "unanswered"] += 1
    return counts


def disagreements(findings: list[AuditFinding]) -> list[AuditFinding]:
    return [f for f in findings if f.state in ("disputed", "unresolved")]


def data(record: InternalAudit) -> dict[str, str]:
    return {k: str(record.data.get(k) or "") for k in DATA_KEYS}


def context(
    session: Session,
    record: InternalAudit,
    words: Words,
    types: list[str],
    today: date,
    recipients: list[Person],
) -> dict[str, Any]:
    """Everything the template reads, but the stylesheets, the issue and the history."""
    organisation = session.scalar(select(Organisation).limit(1))
    items = checklist_items(session, record.id)
    findings = findings_of(session, record.id)
    found_exceptions = exceptions(session, record)
    day = audit_day(record, today)
    return {
        "organisation": organisation.name if organisation else "",
        "words": words,
        "audit": record,
        "heading": heading(record),
        "reference": words.ref(record.record_kind, record.id),
        "process": record.process,
        "lead_auditor": record.lead_auditor.name if record.lead_auditor else "—",
        "auditees": auditees(session, record, day, words),
        "audit_day": day,
        "team": team_rows(session, record, words, {e.person_id for e in found_exceptions}),
        "criteria": [c.strip() for c in record.criteria.splitlines() if c.strip()],
        "data": data(record),
        "findings": findings,
        "groups": grouped(findings, types, words),
        "checklist": items,
        "answered": answer_counts(items),
        "rests_on": rests_on(findings, items),
        "carried": carried_over(session, record),
        "disagreements": disagreements(findings),
        "exceptions": found_exceptions,
        "conflicting_roles": lambda text: conflicting_roles(text, words),
        "recipients": recipients,
        "generated_on": today,
        "trail_seal": seals.in_force(session),
    }
