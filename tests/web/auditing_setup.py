"""An audit under way for the auditor's pages' tests: TRN-04 (pilot ebenoit, correspondent
grenaud) audited by jcarre (lead) and cvidal (auditor), its checklist made from the
process's template; accounts for the people the tests sign in as."""

from __future__ import annotations

from datetime import date

from qms.bootstrap import Services
from qms.services import accounts
from qms.services.audits import checklist as audits_checklist
from qms.services.audits import service as audits
from qms.services.audits import team as audits_team
from tests.web.conftest import PASSWORD, Browser

PILOT, CORRESPONDENT, OTHER = "ebenoit", "grenaud", "ymasson"
LEAD, MEMBER, OUTSIDER = "jcarre", "cvidal", "mleclerc"  # mleclerc: an auditor off the team
MANAGER, DIRECTOR = "tbrunet", "hmarchal"
EXTRA = (PILOT, CORRESPONDENT, MEMBER, OUTSIDER)  # the accounts conftest does not make
XSS = '<script>alert(1)</script>"onmouseover="x'


def accounts_for_all(app: Services) -> None:
    for handle in EXTRA:
        accounts.create(app, handle, PASSWORD)


def planned_audit(app: Services) -> int:
    """An audit of TRN-04 outside the programme (a follow-up audit), its plan issued."""
    spec = audits.AuditPlan(
        process="TRN-04",
        audit_type="follow_up",
        start=date(2026, 11, 26),
        end=date(2026, 11, 27),
        lead=LEAD,
        details={
            "scope": "Admissions 2026",
            "criteria": "ISO 9001 8.2\nISO 9001 8.5.1",
            "objectives": "Check the follow-up of the previous findings",
            "location": "Admissions office",
        },
    )
    record = audits.plan(app, MANAGER, spec)
    audits_team.assign(app, MANAGER, record.id, MEMBER, "auditor")
    audits.fire(app, record.id, "issue_plan", LEAD, {"audit_plan": "One day, interviews"})
    return record.id


def running_audit(app: Services, checklist: bool = True) -> int:
    """The audit opened by its lead, with the checklist of the process's template."""
    audit_id = planned_audit(app)
    audits.fire(app, audit_id, "start", LEAD, {"started_on": "2026-11-25"})
    if checklist:
        audits_checklist.create(app, MANAGER, audit_id)
    return audit_id


def answer_all(app: Services, audit_id: int, value: str = "conform") -> None:
    from qms.services.audits import queries

    with app.database.reading() as session:
        rows = queries.checklist_rows(session, audit_id)
    for row in rows:
        if row.answer is None:
            audits_checklist.answer(app, LEAD, audit_id, row.position, value, "seen on site")


def signed_in(browser: Browser, handle: str, page: str = "/auditing") -> None:
    assert browser.sign_in(handle).status_code == 303  # type: ignore[attr-defined]
    browser.get(page)  # the session's token, as a page holds it
