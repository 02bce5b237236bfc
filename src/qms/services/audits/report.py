"""The audit report (ISO 19011 6.5, clause 9.2.2 d): rendered from ``reports/audit/`` to HTML
and PDF; frozen with its hashes when issued (later changes make a new revision); issuing
queues an e-mail to the process pilot and the directors in the outbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import NotFound, ValidationError
from qms.models import InternalAudit, OutboxMessage, Person, ReportRevision, Role, RoleAssignment
from qms.reporting.pdf import Printed
from qms.reporting.render import content_hash, printed, render
from qms.reporting.words import words_for
from qms.services.audits.common import audit, commit, finding_types, require_institution_role
from qms.services.audits.report_context import (
    Issue,
    audit_day,
    context,
    document_ref,
    heading,
)
from qms.services.audits.report_context import exceptions as exceptions  # `qms audit show`

COVER_AFTER_PAGES = 4
TEMPLATE = "audit/report.html"
STYLESHEETS = ("base.css", "audit/report.css")
EMAIL_TOPIC = "email.audit_report"
ISSUED_STATES = ("report_issued", "follow_up", "closed")
DISCLAIMER = (
    "An audit examines a sample of the information available: findings rest on the evidence "
    "seen during the audit, and nonconformities may exist in what was not sampled "
    "(ISO 19011, 6.5.1)."
)


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
    """The report as HTML: with a cover page when it runs over COVER_AFTER_PAGES pages."""
    text, _ = _document(app, session, record, issue)
    return text


def pdf(app: Services, text: str) -> bytes:
    return _printed(app, text).pdf


def document(
    app: Services, session: Session, record: InternalAudit, issue: Issue | None
) -> tuple[str, bytes]:
    """The report as HTML and as the PDF of that very HTML."""
    text, printed = _document(app, session, record, issue)
    return text, printed.pdf


def _document(
    app: Services, session: Session, record: InternalAudit, issue: Issue | None
) -> tuple[str, Printed]:
    """Rendered without a cover first; a report longer than a few pages gets one (its
    title block then fills a page of its own, with the table of contents)."""
    context = _context(app, session, record, issue)
    text = _render(app, {**context, "cover": False})
    printed = _printed(app, text)
    if printed.pages > COVER_AFTER_PAGES:
        text = _render(app, {**context, "cover": True})
        printed = _printed(app, text)
    return text, printed


def _render(app: Services, context: dict[str, Any]) -> str:
    settings = app.settings
    return render(settings.reports_dir, TEMPLATE, context, settings.timezone, settings.date_format)


def _printed(app: Services, text: str) -> Printed:
    """The PDF of ``text`` and its page count."""
    workers = app.settings.pdf_workers or None
    return printed(text, Path(app.settings.reports_dir).resolve(), workers)


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
    text, document_pdf = document(app, session, record, issue)
    revision = ReportRevision(
        audit_id=record.id,
        revision=number,
        issued_at=issue.issued_at,
        issued_by=actor,
        reason=reason,
        html=text,
        pdf=document_pdf,
        html_sha256=content_hash(text),
        pdf_sha256=content_hash(document_pdf),
    )
    session.add(revision)
    session.flush()
    _queue_email(app, session, record, revision)
    return revision


def _queue_email(
    app: Services, session: Session, record: InternalAudit, revision: ReportRevision
) -> None:
    people = recipients(session, record, app.engine.today())
    words = words_for(session, app.registry)
    process = record.process.code if record.process else "-"
    reference = words.ref(record.record_kind, record.id)
    issuer = words.person(revision.issued_by)
    subject = f"Audit report of {process}: {heading(record)} (revision {revision.revision})"
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
                "link": f"{app.settings.base_url}/auditing/{record.id}/report"
                f"?revision={revision.revision}",
                "body": f"The report of {reference} ({heading(record)}), revision "
                f"{revision.revision}, was issued by {issuer}. Its PDF is attached "
                f"(sha256 {revision.pdf_sha256}).",
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
    raise NotFound(f"internal audit #{audit_id} has no report revision {number}")


def _context(
    app: Services, session: Session, record: InternalAudit, issue: Issue | None
) -> dict[str, Any]:
    words = words_for(session, app.registry)
    today = app.engine.today()
    day = audit_day(record, today)
    history = [r for r in revisions(session, record.id) if issue and r.revision < issue.revision]
    types = list(finding_types(app.settings))
    return {
        **context(session, record, words, types, today, recipients(session, record, day)),
        "css": _stylesheets(app),
        "issue": issue,
        "history": history,
        "doc_ref": document_ref(record, words, issue),
        "disclaimer": DISCLAIMER,
    }


def _stylesheets(app: Services) -> Markup:
    """The report's stylesheets, inlined so a frozen report reads the same anywhere.

    They come from reports/, never from users, so they are not escaped (escaping would
    break their quotes).
    """
    folder = Path(app.settings.reports_dir)
    css = "\n".join((folder / name).read_text(encoding="utf-8") for name in STYLESHEETS)
    return Markup(css)  # noqa: S704 - our own stylesheets from reports/, not user input
