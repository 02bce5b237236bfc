"""Text typed into the audit pages' free-text fields (the plan, the approval note, the
exception's justification, a finding's title) comes back escaped: on the pages, and on a
refused form that keeps what was typed; the findings link to their record pages."""

from __future__ import annotations

import pytest

from qms.bootstrap import Services
from qms.services.audits import findings as audits_findings
from qms.services.audits import service as audits
from tests.web.audits_setup import (
    CYCLE,
    MANAGER,
    XSS,
    accounts_for_all,
    draft,
    follow_up,
    scheduled,
    signed_in,
)
from tests.web.conftest import Browser

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

PLAN = ("title", "objectives", "scope", "criteria", "location", "auditee", "audit_client")


@pytest.fixture(autouse=True)
def _accounts(app: Services) -> None:
    accounts_for_all(app)


def escaped(text: str) -> None:
    assert "<script>alert(1)</script>" not in text
    assert '"onmouseover="x' not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_plan_and_the_justification_are_escaped(browser: Browser, app: Services) -> None:
    audit_id = scheduled(app, "TRN-04")
    signed_in(browser, MANAGER)
    dates = {"planned_start": "2027-03-03", "planned_end": "2027-03-04"}
    typed = dict.fromkeys(PLAN, XSS)
    refused = browser.post(
        f"/audits/{audit_id}/plan",
        {**typed, "planned_start": "2027-03-05", "planned_end": "2027-03-01"},
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    escaped(refused.text)  # type: ignore[attr-defined]
    done = browser.post(f"/audits/{audit_id}/plan", {**typed, **dates}, follow_redirects=False)
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = browser.get(f"/audits/{audit_id}").text  # type: ignore[attr-defined]
    escaped(page)
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= len(PLAN) + 1  # and <title>
    short = browser.post(
        f"/audits/{audit_id}/exception", {"person": "cfontaine", "justification": "<b>x</b>"}
    )
    assert short.status_code == 400 and "&lt;b&gt;x&lt;/b&gt;" in short.text  # type: ignore[attr-defined]
    granted = browser.post(
        f"/audits/{audit_id}/exception",
        {"person": "cfontaine", "justification": XSS},
        follow_redirects=False,
    )
    assert granted.status_code == 303  # type: ignore[attr-defined]
    escaped(browser.get(f"/audits/{audit_id}").text)  # type: ignore[attr-defined]
    programme = browser.get(f"/audits?cycle={CYCLE}").text  # type: ignore[attr-defined]
    assert "<script>alert(1)</script>" not in programme


def test_the_approval_note_is_escaped(browser: Browser, app: Services) -> None:
    draft(app)
    signed_in(browser, "hmarchal")
    done = browser.post(
        "/audits/programme/approve",
        {"cycle": str(CYCLE), "approval_note": XSS},
        follow_redirects=False,
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    escaped(browser.get(f"/audits?cycle={CYCLE}").text)  # type: ignore[attr-defined]


def test_the_findings_are_listed_with_their_page(browser: Browser, app: Services) -> None:
    audit_id = follow_up(app)
    audits.fire(app, audit_id, "issue_plan", "jcarre", {"audit_plan": "One morning"})
    audits.fire(app, audit_id, "start", "jcarre", {"started_on": "2026-12-02"})
    spec = audits_findings.NewFinding(audit_id, "observation", XSS, "7.4", "seen")
    finding = audits_findings.add(app, "jcarre", spec)
    signed_in(browser, "sroux")  # the pilot of STE-03 reads its audit
    page = browser.get(f"/audits/{audit_id}").text  # type: ignore[attr-defined]
    assert f'href="/records/audit_finding/{finding.id}"' in page and "Observation" in page
    escaped(page)
    assert "Save the plan" not in page and "Put on the team" not in page  # not theirs to do
