"""The internal auditor's screens: My audits, the checklist answered item by item (with
htmx and without), opening the audit, preparing the checklist, and what is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import ChecklistItem, InternalAudit
from tests.factories import snapshot
from tests.web.auditing_setup import (
    LEAD,
    MANAGER,
    MEMBER,
    OTHER,
    OUTSIDER,
    XSS,
    accounts_for_all,
    planned_audit,
    running_audit,
    signed_in,
)
from tests.web.conftest import Browser

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

HTMX = {"HX-Request": "true"}
VERSION = re.compile(r'name="version" value="(\d+)"')


def version_in(page: str) -> str:
    found = VERSION.search(page)
    assert found is not None
    return found.group(1)


def item(app: Services, audit_id: int, position: int) -> ChecklistItem:
    with app.database.reading() as session:
        found = session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.audit_id == audit_id, ChecklistItem.position == position
            )
        )
    assert found is not None
    return found


def test_my_audits_lists_the_audits_of_my_teams_with_my_role_and_progress(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, LEAD)
    page = browser.get("/auditing").text  # type: ignore[attr-defined]
    assert "Upcoming and in progress" in page
    assert f'href="/auditing/{audit_id}"' in page and "TRN-04" in page
    assert "Admissions and student life" in page and "Lead auditor" in page
    assert "Checklist: 0 of 10 answered" in page and "0 findings" in page
    assert "Audit in progress" in page and f'href="/audits/{audit_id}"' in page
    signed_in(browser, MEMBER)
    assert "Internal auditor" in browser.get("/auditing").text  # type: ignore[attr-defined]
    signed_in(browser, OUTSIDER)
    page = browser.get("/auditing").text  # type: ignore[attr-defined]
    assert "You are on no audit team" in page and f"/auditing/{audit_id}" not in page


def test_the_checklist_is_one_card_a_question_with_the_four_parts(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, MEMBER)
    response = browser.get(f"/auditing/{audit_id}")
    page = response.text  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert page.count('class="card item') == 10
    assert f'hx-post="/auditing/{audit_id}/items/1"' in page
    assert f'action="/auditing/{audit_id}/items/1"' in page
    for value in ("conform", "not_conform", "not_applicable"):
        assert f'name="answer" value="{value}"' in page
    assert 'name="reason"' in page and 'name="evidence"' in page
    assert "0</strong> of 10 questions answered" in page
    assert f"/auditing/{audit_id}/findings/new?item=1" in page


def test_an_answer_saved_with_htmx_comes_back_as_its_card(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, LEAD, f"/auditing/{audit_id}")
    response = browser.post(
        f"/auditing/{audit_id}/items/1",
        {"answer": "conform", "evidence": "Procedure AD-3, version 4, seen"},
        headers=HTMX,
    )
    page = response.text  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["vary"] == "HX-Request"  # type: ignore[attr-defined]
    assert "<html" not in page and page.count('class="card item') == 1
    assert 'id="item-1"' in page and "Saved at" in page
    assert 'value="conform" checked' in page
    assert 'id="audit-progress" hx-swap-oob="true"' in page and "1</strong> of 10" in page
    saved = item(app, audit_id, 1)
    assert saved.answer == "conform" and saved.evidence == "Procedure AD-3, version 4, seen"


def test_without_javascript_an_answer_goes_back_to_its_anchor(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, MEMBER, f"/auditing/{audit_id}")
    response = browser.post(
        f"/auditing/{audit_id}/items/2",
        {"answer": "not_conform", "evidence": "2 files of 5 without the signed form"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location == f"/auditing/{audit_id}?saved=2#item-2"
    page = browser.get(location.split("#")[0])
    assert "<html" in page.text  # type: ignore[attr-defined]
    assert page.headers["vary"] == "HX-Request"  # type: ignore[attr-defined]
    assert "Saved at" in page.text and "1</strong> of 10" in page.text  # type: ignore[attr-defined]
    assert item(app, audit_id, 2).answer == "not_conform"


def test_not_applicable_without_a_reason_is_refused_next_to_the_field(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, LEAD, f"/auditing/{audit_id}")
    before = snapshot(app.database)
    for headers, status in (({}, 400), (HTMX, 200)):
        response = browser.post(
            f"/auditing/{audit_id}/items/3",
            {"answer": "not_applicable", "evidence": "", "reason": "  "},
            headers=headers,
        )
        page = response.text  # type: ignore[attr-defined]
        assert response.status_code == status, page[:300]  # type: ignore[attr-defined]
        assert 'id="r-3-error"' in page and "Say why the question does not apply" in page
        assert 'aria-describedby="r-3-error"' in page and "Not saved" in page
        assert 'value="not_applicable" checked' in page  # what was chosen is kept
    assert snapshot(app.database) == before
    response = browser.post(
        f"/auditing/{audit_id}/items/3",
        {"answer": "not_applicable", "reason": "No distance learning at the school"},
        headers=HTMX,
    )
    assert "Saved at" in response.text  # type: ignore[attr-defined]
    assert item(app, audit_id, 3).not_applicable_reason == "No distance learning at the school"


def test_bad_answers_are_named(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, LEAD, f"/auditing/{audit_id}")
    before = snapshot(app.database)
    page = browser.post(f"/auditing/{audit_id}/items/1", {"evidence": "x"}, headers=HTMX).text  # type: ignore[attr-defined]
    assert 'id="a-1-error"' in page and "Choose an answer." in page
    page = browser.post(f"/auditing/{audit_id}/items/1", {"answer": "conform"}).text  # type: ignore[attr-defined]
    assert 'id="e-1-error"' in page and "Say what was seen, heard or read" in page
    response = browser.post(
        f"/auditing/{audit_id}/items/99", {"answer": "conform", "evidence": "x"}
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert snapshot(app.database) == before


def test_someone_off_the_team_is_refused_and_reads_the_checklist_only(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, OUTSIDER, f"/auditing/{audit_id}")
    page = browser.get(f"/auditing/{audit_id}").text  # type: ignore[attr-defined]
    assert "Only the audit team answers the checklist." in page and "hx-post" not in page
    before = snapshot(app.database)
    response = browser.post(
        f"/auditing/{audit_id}/items/1", {"answer": "conform", "evidence": "x"}, headers=HTMX
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "is not on the team" in response.text  # type: ignore[attr-defined]
    changed = {t for t, rows in snapshot(app.database).items() if rows != before[t]}
    assert changed <= {"web_session"}
    signed_in(browser, OTHER)  # a correspondent of another process does not see the audit
    assert browser.get(f"/auditing/{audit_id}").status_code == 403  # type: ignore[attr-defined]
    assert browser.get("/auditing/9999").status_code == 404  # type: ignore[attr-defined]


def test_the_lead_opens_the_audit_from_the_checklist_page(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = planned_audit(app)
    signed_in(browser, MEMBER, f"/auditing/{audit_id}")
    assert "Open the audit" not in browser.get(f"/auditing/{audit_id}").text  # type: ignore[attr-defined]
    signed_in(browser, LEAD, f"/auditing/{audit_id}")
    page = browser.get(f"/auditing/{audit_id}").text  # type: ignore[attr-defined]
    assert f'action="/auditing/{audit_id}/start"' in page and 'name="started_on"' in page
    version = version_in(page)
    response = browser.post(f"/auditing/{audit_id}/start", {"started_on": "", "version": version})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "started_on-error" in response.text  # type: ignore[attr-defined]
    response = browser.post(
        f"/auditing/{audit_id}/start",
        {"started_on": "2026-11-25", "version": version},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]  # type: ignore[attr-defined]
    with app.database.reading() as session:
        record = session.get(InternalAudit, audit_id)
        assert record is not None and record.state == "in_progress"
        assert record.data["started_on"] == "2026-11-25"


def test_a_quality_manager_prepares_the_checklist_from_the_template(
    browser: Browser, app: Services
) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app, checklist=False)
    signed_in(browser, LEAD, f"/auditing/{audit_id}")
    page = browser.get(f"/auditing/{audit_id}").text  # type: ignore[attr-defined]
    assert "No checklist yet" in page and f"/auditing/{audit_id}/checklist" not in page
    signed_in(browser, MANAGER, f"/auditing/{audit_id}")
    response = browser.post(
        f"/auditing/{audit_id}/checklist", {"source": "previous"}, follow_redirects=False
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "has no previous audit" in response.text  # type: ignore[attr-defined]
    response = browser.post(
        f"/auditing/{audit_id}/checklist", {"source": "template"}, follow_redirects=False
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    response = browser.post(
        f"/auditing/{audit_id}/questions",
        {"clause": "8.2.3", "question": "Are the admission rules published?"},
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/auditing/{audit_id}#item-11"  # type: ignore[attr-defined]
    page = browser.get(f"/auditing/{audit_id}").text  # type: ignore[attr-defined]
    assert page.count('class="card item') == 11 and "Are the admission rules published?" in page
    response = browser.post(f"/auditing/{audit_id}/questions", {"clause": "8.2", "question": ""})
    assert response.status_code == 400 and "q-question-error" in response.text  # type: ignore[attr-defined]


def test_typed_text_comes_back_escaped_on_the_checklist(browser: Browser, app: Services) -> None:
    accounts_for_all(app)
    audit_id = running_audit(app)
    signed_in(browser, LEAD, f"/auditing/{audit_id}")
    browser.post(f"/auditing/{audit_id}/items/1", {"answer": "conform", "evidence": XSS})
    browser.post(f"/auditing/{audit_id}/items/2", {"answer": "not_applicable", "reason": XSS})
    for headers in ({}, HTMX):
        page = browser.get(f"/auditing/{audit_id}", headers=headers).text  # type: ignore[attr-defined]
        assert "<script>alert(1)</script>" not in page and '"onmouseover="x' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;onmouseover=&#34;x" in page
    card = browser.post(
        f"/auditing/{audit_id}/items/3", {"answer": "not_applicable", "reason": XSS}, headers=HTMX
    ).text  # type: ignore[attr-defined]
    assert "<script>" not in card and "&lt;script&gt;" in card


def test_my_audits_puts_the_done_ones_last(browser: Browser, app: Services) -> None:
    from datetime import date

    from qms.services.audits import service as audits

    accounts_for_all(app)
    running = running_audit(app)
    spec = audits.AuditPlan(
        process="STE-01", audit_type="follow_up", start=date(2026, 11, 2), lead=LEAD
    )
    cancelled = audits.plan(app, MANAGER, spec).id
    audits.fire(app, cancelled, "cancel", MANAGER, {"cancellation_reason": "Merged"})
    signed_in(browser, LEAD)
    page = browser.get("/auditing").text  # type: ignore[attr-defined]
    upcoming, done = page.split('id="h-done"')
    assert f'href="/auditing/{running}"' in upcoming and f'href="/auditing/{cancelled}"' in done
    assert "Cancelled" in done and f'href="/auditing/{running}"' not in done
