"""The audit report on the auditor's pages: the HTML preview (from the report's own
template), drafted by the lead, issued by the quality manager as a frozen PDF revision
whose download is the stored bytes, new revisions, and typed text escaped in the preview."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import ReportRevision
from qms.services import shared
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import findings as audits_findings
from tests.factories import snapshot
from tests.web.auditing_setup import (
    DIRECTOR,
    LEAD,
    MANAGER,
    OTHER,
    PILOT,
    XSS,
    accounts_for_all,
    answer_all,
    running_audit,
    signed_in,
)
from tests.web.conftest import Browser

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

VERSION = re.compile(r'name="version" value="(\d+)"')


def version_in(page: str) -> str:
    found = VERSION.search(page)
    assert found is not None
    return found.group(1)


def with_a_finding(app: Services, audit_id: int, title: str = "Jury minutes unsigned") -> int:
    item = audits_checklist.answer(app, LEAD, audit_id, 3, "not_conform", "3 minutes of 4")
    spec = audits_findings.NewFinding(
        audit_id,
        "minor_nonconformity",
        title,
        "ISO 9001 7.5",
        "3 minutes of 4",
        checklist_item=item.id,
    )
    return audits_findings.add(app, LEAD, spec).id


def drafted(browser: Browser, audit_id: int) -> None:
    """The lead auditor drafts the report from the page."""
    signed_in(browser, LEAD, f"/auditing/{audit_id}/report")
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert f'action="/auditing/{audit_id}/report/draft"' in page
    assert f'action="/auditing/{audit_id}/report/issue"' not in page  # not the lead's step
    response = browser.post(
        f"/auditing/{audit_id}/report/draft",
        {
            "version": version_in(page),
            "closing_meeting_on": "2026-11-25",
            "conclusions": "The process meets its requirements but for the minutes.",
            "criteria_fulfilment": "Largely met",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:800]  # type: ignore[attr-defined]


def test_the_preview_is_the_report_with_its_findings(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    finding = with_a_finding(app, audit_id)
    signed_in(browser, PILOT, f"/auditing/{audit_id}/report")  # the auditee reads it too
    response = browser.get(f"/auditing/{audit_id}/report")
    page = response.text  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert 'class="report-preview"' in page and "<body" not in page.split("<main")[1]
    assert "Draft, not issued" in page and "Preview: the report as the audit stands" in page
    assert f"Audit finding #{finding}" in page and "Jury minutes unsigned" in page
    for section in ("1. Audit objectives", "7. Findings with their evidence", "8. Checklist"):
        assert section in page
    assert "Admissions 2026" in page  # the scope
    assert "<style>" not in page  # the report's own stylesheets stay in its PDF
    assert "None yet." in page  # no revision issued


def test_drafted_by_the_lead_issued_by_the_quality_manager_downloaded_as_frozen(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    with_a_finding(app, audit_id)
    answer_all(app, audit_id)
    drafted(browser, audit_id)
    signed_in(browser, MANAGER, f"/auditing/{audit_id}/report")
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert f'action="/auditing/{audit_id}/report/issue"' in page and "Issue the report" in page
    response = browser.post(
        f"/auditing/{audit_id}/report/issue", {"version": version_in(page)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:800]  # type: ignore[attr-defined]
    with app.database.reading() as session:
        (stored,) = session.scalars(select(ReportRevision)).all()
        frozen, digest = bytes(stored.pdf), stored.pdf_sha256
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert "Revision 1, as issued (frozen)" in page and "Issued by Thomas Brunet" in page
    assert f">{digest[:12]}</code>" in page and f'title="{digest}"' in page
    assert f'href="/auditing/{audit_id}/report/1.pdf"' in page
    download = browser.get(f"/auditing/{audit_id}/report/1.pdf")
    assert download.status_code == 200  # type: ignore[attr-defined]
    assert download.headers["content-type"] == "application/pdf"  # type: ignore[attr-defined]
    disposition = download.headers["content-disposition"]  # type: ignore[attr-defined]
    assert disposition.startswith("attachment;") and "revision-1.pdf" in disposition
    body = download.content  # type: ignore[attr-defined]
    assert body == frozen and hashlib.sha256(body).hexdigest() == digest
    assert "Draft, not issued" in browser.get(f"/auditing/{audit_id}/report?draft=1").text  # type: ignore[attr-defined]
    assert browser.get(f"/auditing/{audit_id}/report/2.pdf").status_code == 404  # type: ignore[attr-defined]
    assert browser.get(f"/auditing/{audit_id}/report?revision=2").status_code == 404  # type: ignore[attr-defined]
    signed_in(browser, OTHER)  # may not see the audit: nor its report
    assert browser.get(f"/auditing/{audit_id}/report/1.pdf").status_code == 403  # type: ignore[attr-defined]


def test_the_report_waits_for_every_question_and_says_so(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    drafted(browser, audit_id)
    signed_in(browser, DIRECTOR, f"/auditing/{audit_id}/report")
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert "Not possible now." in page and "Issue the report" in page
    assert f'action="/auditing/{audit_id}/report/issue"' not in page
    assert f"/records/internal_audit/{audit_id}/fire/return_draft" in page
    before = snapshot(app.database)
    response = browser.post(f"/auditing/{audit_id}/report/issue", {"version": "9"})
    assert response.status_code in (400, 409)  # type: ignore[attr-defined]
    changed = {t for t, rows in snapshot(app.database).items() if rows != before[t]}
    assert changed <= {"web_session"}


def test_a_new_revision_says_what_changed(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    finding = with_a_finding(app, audit_id)
    answer_all(app, audit_id)
    drafted(browser, audit_id)
    from qms.services.audits import service as audits

    audits.fire(app, audit_id, "issue_report", MANAGER)
    signed_in(browser, MANAGER, f"/auditing/{audit_id}/report")
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert f'action="/auditing/{audit_id}/report/revise"' in page
    before = snapshot(app.database)
    response = browser.post(f"/auditing/{audit_id}/report/revise", {"reason": " "})
    assert response.status_code == 400 and 'id="reason-error"' in response.text  # type: ignore[attr-defined]
    response = browser.post(f"/auditing/{audit_id}/report/revise", {"reason": "Typo"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Nothing changed since revision 1" in response.text  # type: ignore[attr-defined]
    assert snapshot(app.database) == before
    shared.fire(app.database, app.engine, "audit_finding", finding, "acknowledge", PILOT)
    response = browser.post(
        f"/auditing/{audit_id}/report/revise",
        {"reason": "The finding is acknowledged"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert "Revision 2, as issued (frozen)" in page and "The finding is acknowledged" in page
    assert f"/auditing/{audit_id}/report/2.pdf" in page and "report/1.pdf" in page


def test_typed_text_is_escaped_in_the_preview(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    with_a_finding(app, audit_id, title=XSS)
    audits_checklist.answer(app, LEAD, audit_id, 1, "conform", XSS)
    audits_checklist.answer(app, LEAD, audit_id, 2, "not_applicable", "", XSS)
    signed_in(browser, LEAD, f"/auditing/{audit_id}/report")
    page = browser.get(f"/auditing/{audit_id}/report").text  # type: ignore[attr-defined]
    assert "<script>alert(1)</script>" not in page and '"onmouseover="x' not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
