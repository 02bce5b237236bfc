"""The audit report as the auditor's page shows it (clause 9.2.2 d): the draft of the
audit as it stands, rendered from ``reports/audit/report.html`` with the context the PDF
is made from (:mod:`qms.services.audits.report_context`), or an issued revision's frozen
HTML; the revisions with their hashes; an issued revision's frozen PDF, as stored.

The page shows the document's body: the report's own stylesheets are for the PDF (and a
page's Content-Security-Policy allows no inline style), the page styles it with its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import QmsError
from qms.models import InternalAudit, ReportRevision, Role
from qms.reporting.render import content_hash, render
from qms.reporting.words import words_for
from qms.services import record_view, shared
from qms.services.audits import report as audits_report
from qms.services.audits.common import audit, finding_types, holds_institution_role
from qms.services.audits.report_context import audit_day, context, document_ref, heading

KIND = "internal_audit"
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)
SHORT_HASH = 12


@dataclass(frozen=True)
class RevisionRow:
    revision: int
    issued_at: datetime  # local time
    issued_by: str  # by name
    reason: str
    pdf_sha256: str

    @property
    def short_hash(self) -> str:
        return self.pdf_sha256[:SHORT_HASH]


@dataclass(frozen=True)
class ReportView:
    id: int
    reference: str
    heading: str
    state: str
    state_label: str
    version: int
    body: str  # the document's body, rendered with autoescape (a text typed stays text)
    shown: int | None  # the issued revision shown; None: the draft of the current state
    revisions: tuple[RevisionRow, ...]
    triggers: tuple[str, ...]  # the audit's steps offered to the person now
    may_revise: bool  # an issued report, and a quality manager

    @property
    def issued(self) -> bool:
        return self.state in audits_report.ISSUED_STATES


def report_view(
    app: Services, audit_id: int, handle: str, revision: int | None, draft_asked: bool = False
) -> ReportView:
    """The report page for ``handle``: revision ``revision`` as issued, else the latest
    issued one, else (or when ``draft_asked``) the draft of the audit as it stands.
    PermissionDenied if they may not see the audit, NotFound for a revision not issued."""
    today = app.engine.today()
    with app.database.reading() as session:
        record = audit(session, audit_id)
        record_view.seen(session, KIND, audit_id, handle, today)
        person = shared.person(session, handle, "actor")
        words = words_for(session, app.registry)
        rows = audits_report.revisions(session, record.id)
        if revision is None and rows and not draft_asked:
            revision = rows[-1].revision
        if revision is None:
            text = draft(app, session, record)
        else:
            stored = audits_report.stored(session, record.id, revision)
            assert stored is not None  # a number not issued is NotFound
            text = stored.html
        offered = app.engine.available_triggers(session, record, person)
        manager = holds_institution_role(session, person, Role.QUALITY_MANAGER, today)
        return ReportView(
            id=record.id,
            reference=words.ref(KIND, record.id),
            heading=heading(record),
            state=record.state,
            state_label=words.state(KIND, record.state),
            version=record.version,
            body=body_of(text),
            shown=revision,
            revisions=tuple(_row(app, words.person(r.issued_by), r) for r in rows),
            triggers=tuple(a.trigger for a in offered),
            may_revise=manager and record.state in audits_report.ISSUED_STATES,
        )


def _row(app: Services, name: str, revision: ReportRevision) -> RevisionRow:
    return RevisionRow(
        revision=revision.revision,
        issued_at=revision.issued_at.astimezone(app.settings.zone),
        issued_by=name,
        reason=revision.reason,
        pdf_sha256=revision.pdf_sha256,
    )


def draft(app: Services, session: Session, record: InternalAudit) -> str:
    """The report of the audit as it stands, as the PDF's HTML would be (without its
    cover page, which only a long printed report gets)."""
    settings = app.settings
    words = words_for(session, app.registry)
    today = app.engine.today()
    recipients = audits_report.recipients(session, record, audit_day(record, today))
    values: dict[str, Any] = {
        **context(session, record, words, list(finding_types(settings)), today, recipients),
        "css": Markup(""),
        "issue": None,
        "history": [],
        "doc_ref": document_ref(record, words, None),
        "disclaimer": audits_report.DISCLAIMER,
        "cover": False,
    }
    return render(
        settings.reports_dir,
        audits_report.TEMPLATE,
        values,
        settings.timezone,
        settings.date_format,
    )


def body_of(text: str) -> str:
    """The document's body: what follows its head (whose inlined stylesheets may name
    ``<body>`` in a comment)."""
    head_end = text.find("</head>")
    found = BODY.search(text, max(head_end, 0))
    return found.group(1) if found else text


@dataclass(frozen=True)
class FrozenPdf:
    content: bytes
    filename: str
    sha256: str


def revision_pdf(app: Services, audit_id: int, number: int, handle: str) -> FrozenPdf:
    """The PDF of issued revision ``number`` as it was frozen (never rendered again);
    refused if its bytes no longer match the hash stored with them."""
    with app.database.reading() as session:
        record = audit(session, audit_id)
        record_view.seen(session, KIND, audit_id, handle, app.engine.today())
        stored = audits_report.stored(session, record.id, number)
        assert stored is not None  # a number not issued is NotFound
        if content_hash(stored.pdf) != stored.pdf_sha256:
            raise QmsError(
                f"the stored PDF of revision {number} does not match its sha256 "
                f"{stored.pdf_sha256}: the stored report was altered"
            )
        process = record.process.code if record.process else "audit"
        name = f"internal-audit-{record.id}-{process}-report-revision-{number}.pdf"
        return FrozenPdf(bytes(stored.pdf), name, stored.pdf_sha256)
