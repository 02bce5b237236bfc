"""Findings on the auditor's pages: raised from a checklist question (prefilled), or
outside the checklist; a nonconformity finding shows the nonconformity and corrective
action it raised; bad input named; typed text escaped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import AuditFinding
from qms.services.audits import checklist as audits_checklist
from tests.factories import snapshot
from tests.web.auditing_setup import (
    LEAD,
    MEMBER,
    OUTSIDER,
    XSS,
    accounts_for_all,
    running_audit,
    signed_in,
)
from tests.web.conftest import Browser

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow


def findings(app: Services) -> list[AuditFinding]:
    with app.database.reading() as session:
        return list(session.scalars(select(AuditFinding).order_by(AuditFinding.id)))


def test_a_finding_raised_from_a_question_starts_from_its_clause_and_question(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    audits_checklist.answer(app, LEAD, audit_id, 2, "conform", "Interviews of two agents")
    signed_in(browser, MEMBER, f"/auditing/{audit_id}")
    page = browser.get(f"/auditing/{audit_id}/findings/new?item=2").text  # type: ignore[attr-defined]
    assert '<option value="2" selected>' in page
    assert "5.1.2 — Are applicants" in page and "Interviews of two agents</textarea>" in page
    assert 'value="observation" checked' in page  # answered conform: not a nonconformity
    for kind in ("nonconformity", "observation", "opportunity_for_improvement", "strength"):
        assert f'name="type" value="{kind}"' in page
    assert 'name="grade" value="major"' in page and "corrective action due in 30 days" in page
    response = browser.post(
        f"/auditing/{audit_id}/findings",
        {
            "type": "observation",
            "title": "Roles known, not written down",
            "criterion": "5.1.2 Customer focus",
            "evidence": "Interviews of two agents",
            "item": "2",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]  # type: ignore[attr-defined]
    (found,) = findings(app)
    assert response.headers["location"] == (  # type: ignore[attr-defined]
        f"/auditing/{audit_id}/findings?added={found.id}#finding-{found.id}"
    )
    assert found.finding_type == "observation" and found.nonconformity_id is None
    page = browser.get(f"/auditing/{audit_id}/findings?added={found.id}").text  # type: ignore[attr-defined]
    assert f"Audit finding #{found.id} recorded." in page
    assert "Roles known, not written down" in page and "Question 2 of the checklist" in page
    page = browser.get(f"/auditing/{audit_id}").text  # type: ignore[attr-defined]
    assert f"/auditing/{audit_id}/findings#finding-{found.id}" in page  # on its question's card


def test_a_nonconformity_finding_shows_its_nonconformity_and_corrective_action(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    audits_checklist.answer(app, LEAD, audit_id, 1, "not_conform", "2 files of 5 incomplete")
    signed_in(browser, LEAD, f"/auditing/{audit_id}/findings/new?item=1")
    page = browser.get(f"/auditing/{audit_id}/findings/new?item=1").text  # type: ignore[attr-defined]
    assert 'value="nonconformity" checked' in page  # answered not conform
    before = snapshot(app.database)
    data = {
        "type": "nonconformity",
        "title": "Admission files incomplete",
        "criterion": "ISO 9001 8.2.3",
        "evidence": "2 files of 5 without the signed form",
        "item": "1",
    }
    response = browser.post(f"/auditing/{audit_id}/findings", data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert 'id="grade-error"' in response.text  # type: ignore[attr-defined]
    assert "choose the nonconformity" in response.text.lower()  # type: ignore[attr-defined]
    assert "Admission files incomplete" in response.text  # what was typed is kept # type: ignore[attr-defined]
    assert snapshot(app.database) == before
    response = browser.post(
        f"/auditing/{audit_id}/findings", {**data, "grade": "major"}, follow_redirects=False
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    (found,) = findings(app)
    assert found.finding_type == "major_nonconformity"
    assert found.nonconformity_id is not None and found.action_id is not None
    page = browser.get(f"/auditing/{audit_id}/findings?added={found.id}").text  # type: ignore[attr-defined]
    assert f'href="/records/nonconformity/{found.nonconformity_id}"' in page
    assert f'href="/records/improvement_action/{found.action_id}"' in page
    assert f"It raised Nonconformity #{found.nonconformity_id}" in page
    assert "Major nonconformity" in page and "due 25 Dec 2026" in page
    assert "Émilie Benoit" in page  # the process pilot owns the action


def test_a_nonconformity_must_rest_on_a_question_answered_not_conform_or_say_why(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, LEAD, f"/auditing/{audit_id}/findings/new")
    before = snapshot(app.database)
    data = {
        "type": "nonconformity",
        "grade": "minor",
        "title": "No survey since 2024",
        "criterion": "9.1.2",
        "evidence": "Last survey report dated 2024",
    }
    response = browser.post(f"/auditing/{audit_id}/findings", data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert 'id="item-error"' in response.text  # type: ignore[attr-defined]
    response = browser.post(
        f"/auditing/{audit_id}/findings", {**data, "title": "", "outside_checklist": "Seen"}
    )
    assert 'id="title-error"' in response.text  # type: ignore[attr-defined]
    assert snapshot(app.database) == before
    response = browser.post(
        f"/auditing/{audit_id}/findings",
        {**data, "outside_checklist": "Seen while reading the indicators"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    (found,) = findings(app)
    assert found.data["outside_checklist_reason"] == "Seen while reading the indicators"
    page = browser.get(f"/auditing/{audit_id}/findings").text  # type: ignore[attr-defined]
    assert "Outside the checklist" in page and "Seen while reading the indicators" in page


def test_only_the_team_raises_findings(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, OUTSIDER, f"/auditing/{audit_id}/findings")
    page = browser.get(f"/auditing/{audit_id}/findings").text  # type: ignore[attr-defined]
    assert "Raise a finding outside the checklist" not in page
    before = snapshot(app.database)
    response = browser.post(
        f"/auditing/{audit_id}/findings",
        {"type": "strength", "title": "t", "criterion": "c", "evidence": "e"},
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    changed = {t for t, rows in snapshot(app.database).items() if rows != before[t]}
    assert changed <= {"web_session"}


def test_finding_text_comes_back_escaped(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    audits_checklist.answer(app, LEAD, audit_id, 1, "not_conform", XSS)
    signed_in(browser, LEAD, f"/auditing/{audit_id}/findings/new?item=1")
    data = {"type": "nonconformity", "grade": "minor", "title": XSS, "criterion": XSS}
    data |= {"evidence": XSS, "description": XSS, "item": "1"}
    refused = browser.post(f"/auditing/{audit_id}/findings", {**data, "grade": ""}).text  # type: ignore[attr-defined]
    assert browser.post(f"/auditing/{audit_id}/findings", data).status_code == 200  # type: ignore[attr-defined]
    for page in (
        refused,
        browser.get(f"/auditing/{audit_id}/findings/new?item=1").text,  # type: ignore[attr-defined]
        browser.get(f"/auditing/{audit_id}/findings").text,  # type: ignore[attr-defined]
        browser.get(f"/auditing/{audit_id}").text,  # type: ignore[attr-defined]
        browser.get("/auditing").text,  # type: ignore[attr-defined]
    ):
        assert "<script>alert(1)</script>" not in page and '"onmouseover="x' not in page
        assert "&lt;script&gt;" in page or "/auditing/" in page
