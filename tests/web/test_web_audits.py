"""The audit programme's pages: plan it from the proposal, edit the draft, a director
approves it; schedule an audit, set its plan, its team (the impartiality refusal in words,
the quality manager's exception); the iCalendar files; who sees what; bad input named."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from qms.bootstrap import Services
from qms.models import ImpartialityException, InternalAudit, ProgrammeEntry, TeamMember
from tests.factories import snapshot
from tests.web.audits_setup import (
    CYCLE,
    MANAGER,
    accounts_for_all,
    approved,
    audit_row,
    draft,
    entry_of,
    follow_up,
    scheduled,
    signed_in,
)
from tests.web.conftest import Browser

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _accounts(app: Services) -> None:
    accounts_for_all(app)


def entries(app: Services) -> int:
    with app.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(ProgrammeEntry)) or 0)


def shown(response: object) -> str:
    """The refusals a page shows, for an assertion's message."""
    import re

    text = response.text  # type: ignore[attr-defined]
    found = re.findall(r'class="(?:form-error|error)"[^>]*>(.*?)</(?:div|span|p)>', text, re.S)
    return " | ".join(found)


def unchanged(app: Services, before: dict[str, list[tuple[object, ...]]]) -> None:
    after = snapshot(app.database)
    changed = {t for t in after if after[t] != before[t]}
    assert changed <= {"web_session", "sign_in_attempt"}, changed


def test_the_programme_is_planned_from_the_proposal_shown_first(
    browser: Browser, app: Services
) -> None:
    signed_in(browser, MANAGER)
    shown = browser.get(f"/audits?cycle={CYCLE}")
    assert shown.status_code == 200  # type: ignore[attr-defined]
    assert "Plan the programme" in shown.text and "TRN-04" in shown.text  # type: ignore[attr-defined]
    assert "importance high" in shown.text  # type: ignore[attr-defined]  # why, per process
    assert entries(app) == 0  # the proposal is only shown
    done = browser.post("/audits/programme/plan", {"cycle": str(CYCLE)}, follow_redirects=False)
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == f"/audits?cycle={CYCLE}&done=planned#main"  # type: ignore[attr-defined]
    page = browser.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert "Draft (editable)" in page and "planned as a draft" in page
    assert '<table class="audit-calendar">' in page and '<th scope="col">' in page
    assert page.count('<th scope="row">') >= 2 * 18  # every process, calendar and table
    assert f"<strong>{entries(app)}</strong> planned" in page
    assert "Approve the programme" not in page  # a director's step


def test_a_draft_audit_is_moved_added_and_removed(browser: Browser, app: Services) -> None:
    draft(app)
    signed_in(browser, "amoulin")  # a quality correspondent (STE-03)
    entry = entry_of(app, "STE-03")
    moved = browser.post(
        f"/audits/programme/entries/{entry}/move", {"on": "2027-06-09", "lead": "jcarre"}
    )
    assert moved.status_code == 200 and "The audit is moved." in moved.text  # type: ignore[attr-defined]
    with app.database.reading() as session:
        found = session.get(ProgrammeEntry, entry)
        assert found is not None and found.planned_on == date(2027, 6, 9)
        assert found.lead_auditor is not None and found.lead_auditor.handle == "jcarre"
    count = entries(app)
    added = browser.post(
        "/audits/programme/add",
        {"cycle": str(CYCLE), "process": "STE-03", "on": "2027-10-06", "lead": ""},
        follow_redirects=False,
    )
    assert added.status_code == 303 and entries(app) == count + 1  # type: ignore[attr-defined]
    removed = browser.post(f"/audits/programme/entries/{entry}/remove", follow_redirects=False)
    assert removed.status_code == 303 and entries(app) == count  # type: ignore[attr-defined]


BAD_MOVES = [
    ({"on": "2027-06-12"}, "closed period (a weekend)"),
    ({"on": "2028-01-05"}, "outside the 2027 cycle"),
    ({"on": "6 June"}, "is not a date: write it as YYYY-MM-DD"),
    ({"on": "2027-06-09", "lead": "nobody"}, "unknown person"),
    ({"on": "2027-06-09", "lead": "sroux"}, "is not an internal auditor"),
]


def test_a_bad_move_is_named_next_to_its_field(browser: Browser, app: Services) -> None:
    draft(app)
    signed_in(browser, MANAGER)
    entry = entry_of(app, "STE-03")
    before = snapshot(app.database)
    for data, said in BAD_MOVES:
        answer = browser.post(f"/audits/programme/entries/{entry}/move", data)
        assert answer.status_code == 400, (data, shown(answer))  # type: ignore[attr-defined]
        assert said in answer.text and 'class="error"' in answer.text, (data, shown(answer))  # type: ignore[attr-defined]
        assert "Nothing was saved." in answer.text  # type: ignore[attr-defined]
    unchanged(app, before)
    added = browser.post("/audits/programme/add", {"cycle": str(CYCLE), "process": "STE-03"})
    assert added.status_code == 400 and "give the day of the audit" in added.text  # type: ignore[attr-defined]
    unchanged(app, before)


def test_a_director_approves_the_draft_and_others_are_refused_in_words(
    browser: Browser, app: Services
) -> None:
    draft(app)
    signed_in(browser, MANAGER)
    before = snapshot(app.database)
    refused = browser.post(
        "/audits/programme/approve", {"cycle": str(CYCLE), "approval_note": "ok"}
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "Only a director may take this step" in refused.text  # type: ignore[attr-defined]
    unchanged(app, before)
    signed_in(browser, "hmarchal")
    page = browser.get(f"/audits?cycle={CYCLE}").text  # type: ignore[attr-defined]
    assert "Approve the programme" in page
    empty = browser.post("/audits/programme/approve", {"cycle": str(CYCLE)})
    assert empty.status_code == 400 and "Say which resources" in empty.text  # type: ignore[attr-defined]
    done = browser.post(
        "/audits/programme/approve",
        {"cycle": str(CYCLE), "approval_note": "Two audit days each"},
        follow_redirects=False,
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = browser.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert "Approved by Hélène Marchal on 25 Nov 2026" in page and "Two audit days each" in page
    assert "Move or remove" not in page  # no longer a draft


def test_an_audit_is_scheduled_from_the_programme(browser: Browser, app: Services) -> None:
    approved(app)
    signed_in(browser, MANAGER)
    form = browser.get(f"/audits/new?cycle={CYCLE}").text  # type: ignore[attr-defined]
    assert "Planned in the programme, not scheduled yet" in form and "TRN-04" in form
    done = browser.post(
        "/audits/new", {"cycle": str(CYCLE), "process": "TRN-04"}, follow_redirects=False
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = browser.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert "audit of TRN-04" in page and "The audit is scheduled" in page
    assert 'href="/auditing/' in page and "/report" in page  # the auditor's screens
    assert 'href="/records/internal_audit/' in page


BAD_SCHEDULES = [
    ({"process": "TRN-04", "start": "2027-03-10", "end": "2027-03-08"}, "is before the start"),
    ({"process": "XXX-99"}, "unknown process"),
    ({"process": ""}, "choose the process audited"),
    ({"process": "TRN-04", "type": "surprise"}, "surprise"),
    ({"process": "TRN-04", "lead": "nobody"}, "unknown person"),
]


def test_bad_input_on_scheduling_is_named(browser: Browser, app: Services) -> None:
    approved(app)
    signed_in(browser, MANAGER)
    before = snapshot(app.database)
    for data, said in BAD_SCHEDULES:
        answer = browser.post("/audits/new", {"cycle": str(CYCLE), **data})
        assert answer.status_code == 400, (data, shown(answer))  # type: ignore[attr-defined]
        assert said in answer.text and "Nothing was saved." in answer.text, (data, shown(answer))  # type: ignore[attr-defined]
    unchanged(app, before)


def test_the_plan_is_edited_and_dates_in_the_wrong_order_refused(
    browser: Browser, app: Services
) -> None:
    audit_id = follow_up(app)
    signed_in(browser, MANAGER)
    plan = {
        "title": "Follow-up of the website audit",
        "objectives": "Check the corrections",
        "scope": "Website and brochures",
        "criteria": "ISO 9001 7.4\nISO 9001 7.5",
        "location": "Communication office",
        "auditee": "Sophie Roux",
        "audit_client": "Thomas Brunet",
        "planned_start": "2026-12-07",
        "planned_end": "2026-12-08",
    }
    done = browser.post(f"/audits/{audit_id}/plan", plan, follow_redirects=False)
    assert done.status_code == 303  # type: ignore[attr-defined]
    record = audit_row(app, audit_id)
    assert record.scope == "Website and brochures" and record.planned_end == date(2026, 12, 8)
    assert record.title == "Follow-up of the website audit"
    before = snapshot(app.database)
    wrong = browser.post(
        f"/audits/{audit_id}/plan", {**plan, "scope": "Changed", "planned_end": "2026-12-01"}
    )
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert "is before the first day" in wrong.text and 'id="plan-planned_end-error"' in wrong.text  # type: ignore[attr-defined]
    assert ">Changed</textarea>" in wrong.text  # type: ignore[attr-defined]  # what was typed
    unchanged(app, before)


def test_the_impartiality_refusal_then_the_exception(browser: Browser, app: Services) -> None:
    audit_id = scheduled(app, "TRN-04")
    signed_in(browser, MANAGER)
    before = snapshot(app.database)
    refused = browser.post(f"/audits/{audit_id}/team", {"person": "cfontaine", "role": "auditor"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert (
        "Camille Fontaine is contributor of TRN-04 Admissions and student life on" in refused.text  # type: ignore[attr-defined]
    ), shown(refused)
    assert "an auditor may not audit their own work (ISO 9001, 9.2.2 c)" in refused.text  # type: ignore[attr-defined]
    assert "Approve the exception" in refused.text  # type: ignore[attr-defined]  # the QM's form
    unchanged(app, before)
    short = browser.post(
        f"/audits/{audit_id}/exception", {"person": "cfontaine", "justification": "short"}
    )
    assert short.status_code == 400 and "20 characters or more" in short.text  # type: ignore[attr-defined]
    unchanged(app, before)
    why = "Only auditor trained on the admissions software this spring"
    granted = browser.post(
        f"/audits/{audit_id}/exception",
        {"person": "cfontaine", "justification": why},
        follow_redirects=False,
    )
    assert granted.status_code == 303  # type: ignore[attr-defined]
    assigned = browser.post(f"/audits/{audit_id}/team", {"person": "cfontaine", "role": "auditor"})
    assert assigned.status_code == 200 and "The team is updated." in assigned.text  # type: ignore[attr-defined]
    assert why in assigned.text and "Approved by Thomas Brunet" in assigned.text  # type: ignore[attr-defined]
    with app.database.reading() as session:
        members = session.scalars(select(TeamMember).where(TeamMember.audit_id == audit_id))
        assert "cfontaine" in {m.person.handle for m in members}
        assert session.scalar(select(func.count()).select_from(ImpartialityException)) == 1


def test_a_correspondent_meets_the_refusal_without_the_managers_form(
    browser: Browser, app: Services
) -> None:
    audit_id = scheduled(app, "TRN-04")
    signed_in(browser, "grenaud")  # correspondent of TRN-04, an auditor too
    answer = browser.post(f"/audits/{audit_id}/team", {"person": "cfontaine"})
    assert answer.status_code == 400 and "9.2.2 c" in answer.text  # type: ignore[attr-defined]
    assert "Approve the exception" not in answer.text  # type: ignore[attr-defined]
    unknown = browser.post(f"/audits/{audit_id}/team", {"person": "nobody"})
    assert unknown.status_code == 400 and "unknown person" in unknown.text, shown(unknown)  # type: ignore[attr-defined]


def ics(response: object) -> Calendar:
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/calendar")  # type: ignore[attr-defined]
    assert response.headers["content-disposition"].startswith("attachment")  # type: ignore[attr-defined]
    assert response.text.startswith("BEGIN:VCALENDAR")  # type: ignore[attr-defined]
    return Calendar.from_ical(response.content)  # type: ignore[attr-defined]


def test_the_calendars_download_one_event_per_audit(browser: Browser, app: Services) -> None:
    audit_id = scheduled(app, "TRN-04")
    signed_in(browser, MANAGER)
    found = ics(browser.get(f"/audits/calendar.ics?cycle={CYCLE}"))
    events = found.walk("VEVENT")
    assert len(events) == entries(app)  # each entry once: scheduled or not
    one = ics(browser.get(f"/audits/{audit_id}/calendar.ics")).walk("VEVENT")
    assert len(one) == 1 and str(one[0]["uid"]).startswith(f"internal-audit-{audit_id}@")


def test_a_correspondent_sees_only_their_processes_audits(browser: Browser, app: Services) -> None:
    audit_id = scheduled(app, "TRN-04")
    signed_in(browser, "ymasson")  # TRN-03 and RSC-01
    page = browser.get(f"/audits?cycle={CYCLE}").text  # type: ignore[attr-defined]
    assert "TRN-03" in page and "RSC-01" in page and "TRN-04" not in page
    assert browser.get(f"/audits/{audit_id}").status_code == 403  # type: ignore[attr-defined]
    assert browser.get(f"/audits/{audit_id}/calendar.ics").status_code == 403  # type: ignore[attr-defined]
    events = ics(browser.get(f"/audits/calendar.ics?cycle={CYCLE}")).walk("VEVENT")
    assert events and all(
        "TRN-03" in str(e["summary"]) or "RSC-01" in str(e["summary"]) for e in events
    )


def test_a_page_of_another_cycle_or_audit(browser: Browser, app: Services) -> None:
    signed_in(browser, "jcarre")
    page = browser.get("/audits?cycle=2031").text  # type: ignore[attr-defined]
    assert "No programme for 2031 yet" in page and "Plan the programme" not in page
    assert browser.get("/audits?cycle=1990").status_code == 400  # type: ignore[attr-defined]
    assert browser.get("/audits/9999").status_code == 404  # type: ignore[attr-defined]
    with app.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(InternalAudit)) == 0
