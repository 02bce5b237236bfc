"""The audit report (ISO 19011 6.5, clause 9.2.2 d): rendered from ``reports/audit/`` to HTML
and PDF; frozen with its hashes when issued (later changes make a new revision); issuing
queues an e-mail to the process pilot and the directors in the outbox."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import NotFound, ValidationError
from qms.models import (
    AuditFinding,
    ChecklistItem,
    ImpartialityException,
    InternalAudit,
    Organisation,
    OutboxMessage,
    Person,
    ReportRevision,
    Role,
    RoleAssignment,
)
from qms.reporting.render import content_hash, html_to_pdf, render
from qms.services.audits.common import (
    audit,
    commit,
    finding_types,
    require_institution_role,
    team,
)
from qms.services.audits.queries import carried_over, checklist_items, findings_of
from qms.workflow import seal as seals

TEMPLATE = "audit/report.html"
STYLESHEETS = ("base.css", "audit/report.css")
EMAIL_TOPIC = "email.audit_report"
ISSUED_STATES = ("report_issued", "follow_up", "closed")
DISCLAIMER = (
    "An audit examines a sample of the information available: findings rest on the evidence "
    "seen during the audit, and nonconformities may exist in what was not sampled "
    "(ISO 19011, 6.5.1)."
)


@dataclass(frozen=True)
class Issue:
    """The revision a rendering is for; None renders a draft."""

    revision: int
    issued_at: datetime
    issued_by: str
    reason: str


def recipients(session: Session, record: InternalAudit, day: date) -> list[Person]:
    """The process pilot and the directors on ``day`` (clause 9.2.2 d: relevant management)."""
    rows = session.scalars(
        select(RoleAssignment).where(
            ((RoleAssignment.role == Role.PILOT) & (RoleAssignment.process_id == record.process_id))
            | ((RoleAssignment.role == Role.DIRECTOR) & RoleAssignment.process_id.is_(None))
        )
    )
    people: dict[int, Person] = {}
    for row in sorted(rows, key=lambda r: (r.role != Role.PILOT, r.person.handle)):
        if row.holds_on(day) and row.person.active_on(day):
            people.setdefault(row.person_id, row.person)
    return list(people.values())


def recipients_text(session: Session, record: InternalAudit, day: date) -> str:
    return ", ".join(f"{p.name} <{p.email}>" for p in recipients(session, record, day))


def revisions(session: Session, audit_id: int) -> list[ReportRevision]:
    return list(
        session.scalars(
            select(ReportRevision)
            .where(ReportRevision.audit_id == audit_id)
            .order_by(ReportRevision.revision)
        )
    )


def html(app: Services, session: Session, record: InternalAudit, issue: Issue | None) -> str:
    context = _context(app, session, record, issue)
    return render(app.settings.reports_dir, TEMPLATE, context, app.settings.timezone)


def pdf(app: Services, text: str) -> bytes:
    with warnings.catch_warnings():
        # WeasyPrint warns on import where the system lacks HarfBuzz-Subset (fonts are then
        # embedded whole); the PDF is complete, so the warning is not the reader's concern.
        warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
        import weasyprint  # noqa: F401 - imported once here, under the filter

    return html_to_pdf(text, Path(app.settings.reports_dir).resolve())


def freeze(
    app: Services, session: Session, record: InternalAudit, actor: str, reason: str
) -> ReportRevision:
    """Store the report as issued now, with its hashes, and queue its e-mail."""
    number = (
        session.scalar(
            select(func.max(ReportRevision.revision)).where(ReportRevision.audit_id == record.id)
        )
        or 0
    ) + 1
    issue = Issue(number, app.engine.clock.now(), actor, reason)
    text = html(app, session, record, issue)
    document = pdf(app, text)
    revision = ReportRevision(
        audit_id=record.id,
        revision=number,
        issued_at=issue.issued_at,
        issued_by=actor,
        reason=reason,
        html=text,
        pdf=document,
        html_sha256=content_hash(text),
        pdf_sha256=content_hash(document),
    )
    session.add(revision)
    session.flush()
    _queue_email(app, session, record, revision)
    return revision


def _queue_email(
    app: Services, session: Session, record: InternalAudit, revision: ReportRevision
) -> None:
    people = recipients(session, record, app.engine.today())
    process = record.process.code if record.process else "-"
    subject = f"Audit report of {process}: {record.title} (revision {revision.revision})"
    session.add(
        OutboxMessage(
            topic=EMAIL_TOPIC,
            dedupe_key=f"audit_report:{record.id}:revision:{revision.revision}",
            payload={
                "to": [{"handle": p.handle, "name": p.name, "email": p.email} for p in people],
                "subject": subject,
                "record_kind": record.record_kind,
                "record_id": record.id,
                "reference": record.reference,
                "report_revision_id": revision.id,
                "revision": revision.revision,
                "pdf_sha256": revision.pdf_sha256,
                "link": f"{app.settings.base_url}/audits/{record.id}/report/{revision.revision}",
                "body": f"The report of {record.reference} ({record.title}) was issued by "
                f"{revision.issued_by}. Its PDF is attached (sha256 {revision.pdf_sha256}).",
            },
            created_at=revision.issued_at,
            available_at=revision.issued_at,
        )
    )


def revise(app: Services, actor: str, audit_id: int, reason: str) -> ReportRevision:
    """Issue a new revision of an issued report, when its content changed since the last."""
    with app.database.unit_of_work() as uow:
        session = uow.session
        require_institution_role(session, actor, app.engine.today(), Role.QUALITY_MANAGER)
        record = audit(session, audit_id)
        if record.state not in ISSUED_STATES:
            raise ValidationError(
                "audit", f"{record.reference} is {record.state}: its report is not issued yet"
            )
        if not reason.strip():
            raise ValidationError("reason", "say what changed since the last revision")
        last = revisions(session, record.id)[-1]
        again = Issue(last.revision, last.issued_at, last.issued_by, last.reason)
        if content_hash(html(app, session, record, again)) == last.html_sha256:
            raise ValidationError(
                "audit", f"nothing changed since revision {last.revision} of the report"
            )
        revision = freeze(app, session, record, actor, reason.strip())
        commit(uow, record.reference)
        return revision


def stored(session: Session, audit_id: int, number: int | None = None) -> ReportRevision | None:
    found = revisions(session, audit_id)
    if number is None:
        return found[-1] if found else None
    for revision in found:
        if revision.revision == number:
            return revision
    raise NotFound(f"internal_audit #{audit_id} has no report revision {number}")


def _context(
    app: Services, session: Session, record: InternalAudit, issue: Issue | None
) -> dict[str, Any]:
    organisation = session.scalar(select(Organisation).limit(1))
    items = checklist_items(session, record.id)
    day = record.planned_start or app.engine.today()
    return {
        "css": _stylesheets(app),
        "organisation": organisation.name if organisation else "",
        "audit": record,
        "process": record.process,
        "pilot": _pilot_name(session, record, day),
        "team": _team(session, record),
        "criteria": [c.strip() for c in record.criteria.splitlines() if c.strip()],
        "data": _data(record),
        "groups": _grouped(app, session, record),
        "checklist": items,
        "answered": _answer_counts(items),
        "rests_on": _rests_on(session, record, items),
        "carried": carried_over(session, record),
        "disagreements": _disagreements(session, record),
        "exceptions": exceptions(session, record),
        "recipients": recipients(session, record, day),
        "issue": issue,
        "history": [
            r for r in revisions(session, record.id) if issue and r.revision < issue.revision
        ],
        "disclaimer": DISCLAIMER,
        "generated_on": app.engine.today(),
        "trail_seal": seals.in_force(session),
    }


def _stylesheets(app: Services) -> Markup:
    """The report's stylesheets, inlined so a frozen report reads the same anywhere.

    They come from reports/, never from users, so they are not escaped (escaping would
    break their quotes).
    """
    folder = Path(app.settings.reports_dir)
    css = "\n".join((folder / name).read_text(encoding="utf-8") for name in STYLESHEETS)
    return Markup(css)  # noqa: S704 - our own stylesheets from reports/, not user input


def _pilot_name(session: Session, record: InternalAudit, day: date) -> str:
    people = recipients(session, record, day)
    return people[0].name if people else "—"


def _team(session: Session, record: InternalAudit) -> list[dict[str, Any]]:
    excepted = {e.person_id for e in exceptions(session, record)}
    return [
        {
            "name": m.person.name,
            "handle": m.person.handle,
            "role": m.role.value.replace("_", " "),
            "exception": m.person_id in excepted,
        }
        for m in team(session, record)
    ]


def _data(record: InternalAudit) -> dict[str, str]:
    keys = (
        "audit_plan",
        "started_on",
        "conclusions",
        "criteria_fulfilment",
        "unresolved_disagreements",
        "follow_up_summary",
    )
    return {k: str(record.data.get(k) or "") for k in keys}


def _grouped(app: Services, session: Session, record: InternalAudit) -> list[dict[str, Any]]:
    findings = findings_of(session, record.id)
    order = list(finding_types(app.settings))
    order += sorted({f.finding_type for f in findings} - set(order))
    return [
        {
            "type": name.replace("_", " "),
            "findings": [f for f in findings if f.finding_type == name],
        }
        for name in order
        if any(f.finding_type == name for f in findings)
    ]


def _rests_on(
    session: Session, record: InternalAudit, items: list[ChecklistItem]
) -> dict[int, ChecklistItem]:
    """The checklist item each finding rests on, by finding id (ISO 19011 6.4.8)."""
    by_id = {item.id: item for item in items}
    found = {}
    for finding in findings_of(session, record.id):
        item = by_id.get(finding.data.get("checklist_item_id") or 0)
        if item is not None:
            found[finding.id] = item
    return found


def _answer_counts(items: list[Any]) -> dict[str, int]:
    counts = {"conform": 0, "not_conform": 0, "not_applicable": 0, "unanswered": 0}
    for item in items:
        counts[item.answer.value if item.answer else "unanswered"] += 1
    return counts


def _disagreements(session: Session, record: InternalAudit) -> list[AuditFinding]:
    return [f for f in findings_of(session, record.id) if f.state in ("disputed", "unresolved")]


def exceptions(session: Session, record: InternalAudit) -> list[ImpartialityException]:
    return list(
        session.scalars(
            select(ImpartialityException)
            .where(ImpartialityException.audit_id == record.id)
            .order_by(ImpartialityException.id)
        )
    )
