"""Files an e-mail carries: the stored PDF of an issued audit report, never rendered again."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qms.models import InternalAudit, ReportRevision
from qms.notify.email import Attachment
from qms.reporting.render import content_hash
from qms.scheduler.failures import Undeliverable

AUDIT_REPORT = "email.audit_report"


def report_pdf(session: Session, payload: dict[str, Any]) -> tuple[Attachment, ...]:
    """The PDF of the issued report revision the e-mail announces: the stored bytes, as
    frozen when it was issued (never rendered again)."""
    wanted = payload.get("report_revision_id")
    if not wanted:
        raise Undeliverable(
            f"{AUDIT_REPORT}: the payload names no report revision, so no PDF to attach"
        )
    revision = session.get(ReportRevision, int(wanted))
    if revision is None:
        raise Undeliverable(
            f"{AUDIT_REPORT}: report revision #{wanted} is not stored, and the e-mail says "
            "its PDF is attached"
        )
    if content_hash(revision.pdf) != revision.pdf_sha256:
        raise Undeliverable(
            f"the stored PDF of audit report revision #{revision.id} does not match its sha256"
        )
    return (Attachment(_report_name(session, revision), revision.pdf, "application", "pdf"),)


def _report_name(session: Session, revision: ReportRevision) -> str:
    """audit-report-ECO-01-rev1.pdf: the process audited and the revision."""
    record = session.get(InternalAudit, revision.audit_id)
    process = record.process.code if record and record.process else f"audit-{revision.audit_id}"
    return f"audit-report-{process}-rev{revision.revision}.pdf"
