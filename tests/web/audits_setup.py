"""The audit programme and audits for the programme pages' tests (cycle 2027, planned on
2026-11-25): a draft or approved programme, an audit scheduled from it, a follow-up audit
of STE-03 outside it; accounts for the people the tests sign in as.

STE-03 (Communication): sroux pilots it, amoulin corresponds for it, kchevalier contributes;
TRN-04: ebenoit pilots it, grenaud corresponds, cfontaine (an internal auditor) contributes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import AuditProgramme, InternalAudit, Process, ProgrammeEntry
from qms.services import accounts
from qms.services.audits import programme
from qms.services.audits import service as audits
from tests.web.conftest import PASSWORD, Browser

CYCLE = 2027
PILOT, CORRESPONDENT, OTHER, CONTRIBUTOR = "sroux", "amoulin", "ymasson", "lnguyen"
AUDITOR, MANAGER, DIRECTOR = "jcarre", "tbrunet", "ngarnier"
EXTRA = ("sroux", "amoulin", "lnguyen", "ngarnier", "grenaud")  # not made by conftest
XSS = '<script>alert(1)</script>"onmouseover="x'


def accounts_for_all(app: Services) -> None:
    for handle in EXTRA:
        accounts.create(app, handle, PASSWORD)


def draft(app: Services) -> None:
    programme.plan(app, MANAGER, CYCLE)


def approved(app: Services) -> None:
    draft(app)
    programme.fire(app, CYCLE, "approve", "hmarchal", {"approval_note": "Two days each"})
    programme.fire(app, CYCLE, "put_in_effect", MANAGER)


def entry_of(app: Services, process: str) -> int:
    """The first entry of ``process`` in the cycle's programme."""
    with app.database.reading() as session:
        found = session.scalar(
            select(ProgrammeEntry.id)
            .join(Process, Process.id == ProgrammeEntry.process_id)
            .join(AuditProgramme, AuditProgramme.id == ProgrammeEntry.programme_id)
            .where(Process.code == process, AuditProgramme.cycle == CYCLE)
            .order_by(ProgrammeEntry.planned_on)
        )
    assert found is not None
    return int(found)


def scheduled(app: Services, process: str = "TRN-04") -> int:
    """An internal audit of ``process`` scheduled from the approved programme."""
    approved(app)
    return audits.plan(app, MANAGER, audits.AuditPlan(process=process, cycle=CYCLE)).id


def follow_up(app: Services, process: str = "STE-03") -> int:
    """A follow-up audit outside the programme (none needed), led by jcarre."""
    spec = audits.AuditPlan(
        process=process,
        audit_type="follow_up",
        start=date(2026, 12, 2),
        end=date(2026, 12, 3),
        lead=AUDITOR,
        details={"scope": "Website", "criteria": "ISO 9001 7.4", "objectives": "Follow up"},
    )
    return audits.plan(app, MANAGER, spec).id


def audit_row(app: Services, audit_id: int) -> InternalAudit:
    with app.database.reading() as session:
        found = session.get(InternalAudit, audit_id)
        assert found is not None
        session.expunge(found)
        return found


def signed_in(browser: Browser, handle: str, url: str = "/audits") -> Browser:
    assert browser.sign_in(handle).status_code == 303  # type: ignore[attr-defined]
    browser.get(url)  # the session's token, as a page holds it
    return browser
