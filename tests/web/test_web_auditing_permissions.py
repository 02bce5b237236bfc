"""The permission matrix of the auditor's pages: each kind of person against each
state-changing route of /auditing, on an audit of TRN-04 (see tests/web/auditing_setup).
Allowed answers 303; refused answers 403 and writes nothing, whatever the form says.

Who may, by the services' rules: the audit team (and the quality manager) answer the
checklist and raise findings; the lead auditor opens the audit and drafts the report; the
quality manager or a director issues it (the workflow's ``issue_report``); the quality
manager issues a new revision; the quality manager or any quality correspondent prepares
checklists (here ebenoit, grenaud, ymasson and cvidal are correspondents somewhere)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import InternalAudit, Organisation
from qms.reporting.pdf import Printed
from qms.services.audits import service as audits
from tests.factories import snapshot
from tests.web.auditing_setup import (
    CORRESPONDENT,
    DIRECTOR,
    LEAD,
    MANAGER,
    MEMBER,
    OTHER,
    OUTSIDER,
    PILOT,
    accounts_for_all,
    answer_all,
    planned_audit,
    running_audit,
    signed_in,
)
from tests.web.conftest import Browser

# Each role against each route: minutes on two cores, so `make test-slow` (CI runs it).
pytestmark = pytest.mark.slow

PEOPLE = (PILOT, CORRESPONDENT, OTHER, OUTSIDER, LEAD, MEMBER, MANAGER, DIRECTOR)
SESSION_TABLES = {"web_session", "sign_in_attempt"}


@pytest.fixture(autouse=True)
def _quick_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issuing freezes a PDF: a stand-in here (the real one is in test_web_auditing_report)."""
    from qms.services.audits import report

    monkeypatch.setattr(
        report, "printed", lambda html, *a, **k: Printed(b"%PDF-1.7 " + html.encode(), 1)
    )


def version(app: Services, audit_id: int) -> str:
    with app.database.reading() as session:
        record = session.get(InternalAudit, audit_id)
        assert record is not None
        return str(record.version)


def answer(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = running_audit(app)
    return f"/auditing/{audit_id}/items/1", {"answer": "conform", "evidence": "Seen"}


def finding(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = running_audit(app)
    data = {"type": "observation", "title": "Calendar late", "criterion": "8.2"}
    return f"/auditing/{audit_id}/findings", {**data, "evidence": "Seen", "item": "1"}


def start(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = planned_audit(app)
    return f"/auditing/{audit_id}/start", {
        "started_on": "2026-11-25",
        "version": version(app, audit_id),
    }


def prepare(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = running_audit(app, checklist=False)
    return f"/auditing/{audit_id}/checklist", {"source": "template"}


def question(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = running_audit(app)
    return f"/auditing/{audit_id}/questions", {"clause": "8.2.3", "question": "Published?"}


def draft(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = running_audit(app)
    answer_all(app, audit_id)
    return f"/auditing/{audit_id}/report/draft", {
        "version": version(app, audit_id),
        "conclusions": "Requirements met",
        "criteria_fulfilment": "Fully",
    }


def drafted(app: Services) -> int:
    audit_id = running_audit(app)
    answer_all(app, audit_id)
    inputs = {"conclusions": "Met", "criteria_fulfilment": "Fully"}
    audits.fire(app, audit_id, "draft_report", LEAD, inputs)
    return audit_id


def issue(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = drafted(app)
    return f"/auditing/{audit_id}/report/issue", {"version": version(app, audit_id)}


def revise(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = drafted(app)
    audits.fire(app, audit_id, "issue_report", MANAGER)
    with app.database.unit_of_work() as uow:  # the school renamed: the report changed
        organisation = uow.session.scalars(select(Organisation)).one()
        organisation.name = organisation.name + " (renamed)"
        uow.commit()
    return f"/auditing/{audit_id}/report/revise", {"reason": "The school's new name"}


Route = Callable[[Services], tuple[str, dict[str, str]]]
COORDINATORS = {PILOT, CORRESPONDENT, OTHER, MEMBER, MANAGER}
MATRIX: list[tuple[str, Route, set[str]]] = [
    ("answer a question", answer, {LEAD, MEMBER, MANAGER}),
    ("raise a finding", finding, {LEAD, MEMBER, MANAGER}),
    ("open the audit", start, {LEAD}),
    ("prepare the checklist", prepare, COORDINATORS),
    ("add a question", question, COORDINATORS),
    ("draft the report", draft, {LEAD}),
    ("issue the report", issue, {MANAGER, DIRECTOR}),
    ("issue a new revision", revise, {MANAGER}),
]
IDS = [m[0] for m in MATRIX]


def allowed_cases() -> Iterator[object]:
    for what, route, allowed in MATRIX:
        for person in sorted(allowed):
            yield pytest.param(what, route, person, id=f"{what}-{person}")


def changed_tables(before: dict[str, list[tuple[object, ...]]], app: Services) -> set[str]:
    after = snapshot(app.database)
    return {t for t in after if after[t] != before[t]} - SESSION_TABLES


@pytest.mark.parametrize(("what", "route", "allowed"), MATRIX, ids=IDS)
def test_everyone_else_is_refused_and_nothing_is_written(
    browser: Browser, app: Services, what: str, route: Route, allowed: set[str]
) -> None:
    accounts_for_all(app)
    url, data = route(app)
    before = snapshot(app.database)
    for person in PEOPLE:
        if person in allowed:
            continue
        signed_in(browser, person, "/auditing")
        response = browser.post(url, data, follow_redirects=False)
        status = response.status_code  # type: ignore[attr-defined]
        assert status == 403, (what, person, status, response.text[:300])  # type: ignore[attr-defined]
        assert changed_tables(before, app) == set(), (what, person)


@pytest.mark.parametrize(("what", "route", "person"), list(allowed_cases()))
def test_the_allowed_person_goes_ahead(
    browser: Browser, app: Services, what: str, route: Route, person: str
) -> None:
    accounts_for_all(app)
    url, data = route(app)
    signed_in(browser, person, "/auditing")
    response = browser.post(url, data, follow_redirects=False)
    assert response.status_code == 303, (what, person, response.text[:800])  # type: ignore[attr-defined]
