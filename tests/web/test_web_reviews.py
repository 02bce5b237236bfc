"""A management review prepared and held in the browser by a director (the quality manager
gathers its inputs), its pack frozen and downloaded as stored, two decisions followed as
actions, closed with the next one planned; a pilot's process review the same way."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import ImprovementAction, ManagementReview, ProcessReview, ReviewPack
from tests.factories import snapshot
from tests.web.conftest import Browser
from tests.web.reviews_setup import (
    DIRECTOR,
    PILOT,
    PROCESS,
    QUALITY_MANAGER,
    accounts_for_reviews,
    missing,
    quick_pdf,
    signed,
)

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _people(app: Services) -> None:
    accounts_for_reviews(app)


def _post(browser: Browser, url: str, data: dict[str, str] | None = None) -> Any:
    return browser.post(url, data or {}, follow_redirects=False)


def _done(response: Any, where: str) -> str:
    assert response.status_code == 303, response.text[:2000]
    location: str = response.headers["location"]
    assert location.startswith(where), location
    return location


def _card(html: str, key: str) -> str:
    found = re.search(
        rf'<section class="card input[^"]*" id="input-{key}".*?</section>', html, re.S
    )
    assert found is not None, key
    return found.group(0)


def test_a_director_prepares_holds_and_closes_a_management_review(
    browser: Browser, app: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    director = signed(browser, DIRECTOR)
    listing = director.get("/reviews")
    assert "Plan a management review" in listing.text  # type: ignore[attr-defined]
    director.get("/reviews/management_review/new")
    planned = _post(director, "/reviews/management_review/new", {"planned_on": "2026-11-25"})
    page = _done(planned, "/reviews/management_review/1?done=planned")
    url = "/reviews/management_review/1"
    shown = director.get(page).text  # type: ignore[attr-defined]
    assert "Review planned." in shown and 'aria-current="step">Planned' in shown
    assert "The quality manager gathers the inputs" in shown  # not a director's step

    note = "New accreditation rules from 2027 (decree of 3 May)."
    _done(_post(director, f"{url}/inputs/b/note", {"text": note}), f"{url}?done=noted")
    assert note in _card(director.get(url).text, "b")  # type: ignore[attr-defined]

    signed(browser, QUALITY_MANAGER)
    _done(_post(browser, f"{url}/gather"), f"{url}?done=gathered")
    lacking = missing(app, 1)
    assert lacking and "b" not in lacking  # the note is data

    director = signed(browser, DIRECTOR)
    shown = director.get(url).text  # type: ignore[attr-defined]
    first = _card(shown, lacking[0])
    assert "card input missing" in first and "Missing:" in first
    assert f'action="{url}/inputs/{lacking[0]}/missing"' in first
    assert "card input missing" not in _card(shown, "b")
    assert "Not possible yet." in shown  # the hold, with inputs unexplained

    reason = "The survey of partners is run every other year: none in this period."
    _done(_post(director, f"{url}/inputs/{lacking[0]}/missing", {"reason": reason}), url)
    assert reason in _card(director.get(url).text, lacking[0])  # type: ignore[attr-defined]
    before = snapshot(app.database)
    refused = _post(director, f"{url}/hold", _held())
    assert refused.status_code == 400 and "missing with no reason recorded" in refused.text
    assert snapshot(app.database) == before
    for key in lacking[1:]:
        _done(_post(director, f"{url}/inputs/{key}/missing", {"reason": f"None for {key}"}), url)

    _done(_post(director, f"{url}/hold", _held()), f"{url}?done=held_pack")  # a real PDF
    with app.database.reading() as session:
        stored = session.scalars(select(ReviewPack)).one()
        digest = stored.pdf_sha256
    pdf = director.get(f"{url}/pack.pdf")
    assert pdf.status_code == 200  # type: ignore[attr-defined]
    assert pdf.headers["content-type"] == "application/pdf"  # type: ignore[attr-defined]
    disposition = pdf.headers["content-disposition"]  # type: ignore[attr-defined]
    assert disposition == 'attachment; filename="management-review-1-revision-1.pdf"'
    assert hashlib.sha256(pdf.content).hexdigest() == digest  # type: ignore[attr-defined]
    assert digest in director.get(url).text  # type: ignore[attr-defined]

    decisions = [
        {
            "category": "resources",
            "title": "Recruit two lecturers",
            "process": "RSC-01",
            "owner": PILOT,
            "due_date": "2027-03-31",
        },
        {
            "category": "qms_change",
            "title": "Add supplier delivery times to the purchasing procedure",
            "description": "Asked by the directors at the review.",
            "process": "RSC-02",
            "owner": "sboyer",
            "due_date": "2027-02-28",
        },
    ]
    for decision in decisions:
        _done(_post(director, f"{url}/decisions", decision), f"{url}?done=decided&action=")
    with app.database.reading() as session:
        actions = session.scalars(select(ImprovementAction).order_by(ImprovementAction.id)).all()
        made = [(a.title, a.owner.handle if a.owner else None, str(a.due_date)) for a in actions]
        assert made == [
            ("Recruit two lecturers", PILOT, "2027-03-31"),
            ("Add supplier delivery times to the purchasing procedure", "sboyer", "2027-02-28"),
        ]
        assert {a.origin for a in actions} == {"management_review"}
        ids = [a.id for a in actions]
    shown = director.get(url).text  # type: ignore[attr-defined]
    assert all(f'href="/records/improvement_action/{i}"' in shown for i in ids)
    assert "Resource needs" in shown and "Amélie Moulin" in shown
    register = director.get("/actions?origin=management_review").text  # type: ignore[attr-defined]
    assert "Recruit two lecturers" in register and "Add supplier delivery times" in register

    quick_pdf(monkeypatch)  # the second revision: not printed again here
    outputs = {"qms_changes": "The purchasing procedure", "resource_needs": "Two lecturers"}
    _done(_post(director, f"{url}/outputs", outputs), f"{url}?done=outputs")
    closed = _done(_post(director, f"{url}/close"), f"{url}?done=closed")
    shown = director.get(closed).text  # type: ignore[attr-defined]
    with app.database.reading() as session:
        following = session.scalars(
            select(ManagementReview).where(ManagementReview.previous_review_id == 1)
        ).one()
        assert following.state == "planned"
    assert f'href="/reviews/management_review/{following.id}"' in shown
    assert f"Management review #{following.id}, is planned" in shown


def _held() -> dict[str, str]:
    return {
        "held_on": "2026-11-25",
        "attendees": "hmarchal, pdelorme, ngarnier",
        "minutes": "Inputs presented; the decisions below agreed.",
    }


def test_a_pilot_reviews_their_process(browser: Browser, app: Services) -> None:
    pilot = signed(browser, PILOT)
    listing = pilot.get("/reviews").text  # type: ignore[attr-defined]
    assert "Plan a process review" in listing and "Management reviews" not in listing
    form = pilot.get("/reviews/process_review/new").text  # type: ignore[attr-defined]
    assert f'value="{PROCESS}"' in form and 'value="STE-01"' not in form  # their processes
    planned = _post(
        pilot, "/reviews/process_review/new", {"planned_on": "2026-11-25", "process": PROCESS}
    )
    url = "/reviews/process_review/1"
    _done(planned, f"{url}?done=planned")
    _done(_post(pilot, f"{url}/gather"), f"{url}?done=gathered")
    shown = pilot.get(url).text  # type: ignore[attr-defined]
    assert "Indicators against their targets, with trends" in shown
    assert "card input missing" not in shown  # a process review asks no reason
    assert "/inputs/" not in shown  # nor notes
    held = {
        "held_on": "2026-11-25",
        "evaluation": "Recruitment on time; training plan late.",
        "intended_results_met": "partly",
    }
    _done(_post(pilot, f"{url}/hold", held), f"{url}?done=held")
    decision = {"title": "Publish the training plan in June", "owner": "ymasson"}
    _done(_post(pilot, f"{url}/decisions", {**decision, "due_date": "2027-06-30"}), url)
    with app.database.reading() as session:
        action = session.scalars(select(ImprovementAction)).one()
        assert (action.process.code, action.owner and action.owner.handle) == (PROCESS, "ymasson")
    shown = pilot.get(url).text  # type: ignore[attr-defined]
    assert "Partly" in shown and "Publish the training plan in June" in shown
    _done(_post(pilot, f"{url}/close"), f"{url}?done=closed")
    with app.database.reading() as session:
        nexts = session.scalars(
            select(ProcessReview).where(ProcessReview.previous_review_id == 1)
        ).all()
        assert [r.state for r in nexts] == ["planned"]
    assert pilot.get(f"{url}/pack").status_code == 404  # type: ignore[attr-defined]
