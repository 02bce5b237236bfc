"""The review pages' forms refuse in words next to the field, keeping what was typed and
writing nothing; what a person typed comes back escaped; a review is seen by whom may see
its process; the pack before holding is a draft, said so."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qms.bootstrap import Services
from tests.factories import snapshot
from tests.web import reviews_setup as at
from tests.web.conftest import Browser
from tests.web.reviews_setup import DIRECTOR, OTHER, PILOT, PROCESS, QUALITY_MANAGER

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

XSS = '<script>alert(1)</script> "onmouseover="x'
MR = "/reviews/management_review"


@pytest.fixture(autouse=True)
def _ready(app: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    at.accounts_for_reviews(app)
    at.quick_pdf(monkeypatch)


def _post(browser: Browser, url: str, data: dict[str, str]) -> Any:
    return browser.post(url, data, follow_redirects=False)


def _escaped(html: str) -> None:
    assert "<script>alert(1)</script>" not in html
    assert '"onmouseover="x' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_what_a_person_typed_comes_back_escaped(browser: Browser, app: Services) -> None:
    director = at.signed(browser, DIRECTOR)
    planned = _post(director, f"{MR}/new", {"planned_on": "2026-11-25", "title": f"Review {XSS}"})
    assert planned.status_code == 303
    url = f"{MR}/1"
    assert _post(director, f"{url}/inputs/b/note", {"text": f"Note {XSS}"}).status_code == 303
    _escaped(director.get(url).text)  # type: ignore[attr-defined]
    _escaped(director.get("/reviews").text)  # type: ignore[attr-defined]
    at.signed(browser, QUALITY_MANAGER)
    assert _post(browser, f"{url}/gather", {}).status_code == 303
    director = at.signed(browser, DIRECTOR)
    for key in at.missing(app, 1):
        said = _post(director, f"{url}/inputs/{key}/missing", {"reason": f"Why {XSS}"})
        assert said.status_code == 303
    held = {"held_on": "2026-11-25", "attendees": f"hmarchal, {XSS}", "minutes": f"Met {XSS}"}
    assert _post(director, f"{url}/hold", held).status_code == 303
    decision = {
        "title": f"Decide {XSS}",
        "description": f"In full {XSS}",
        "process": PROCESS,
        "owner": PILOT,
        "due_date": "2027-01-31",
    }
    assert _post(director, f"{url}/decisions", decision).status_code == 303
    shown = director.get(url).text  # type: ignore[attr-defined]
    _escaped(shown)
    assert shown.count("&lt;script&gt;") >= 4  # title, note, reason, minutes, decision
    _escaped(director.get(f"{url}/pack").text)  # type: ignore[attr-defined]
    refused = _post(director, f"{url}/decisions", {**decision, "due_date": "2026-01-01"})
    assert refused.status_code == 400
    _escaped(refused.text)


def test_a_decision_refused_in_words_next_to_its_field(browser: Browser, app: Services) -> None:
    review_id = at.held(app)
    url = f"{MR}/{review_id}"
    director = at.signed(browser, DIRECTOR)
    typed = {
        "category": "resources",
        "title": "Recruit two lecturers",
        "process": PROCESS,
        "owner": PILOT,
        "due_date": "2026-01-01",
    }
    before = snapshot(app.database)
    past = _post(director, f"{url}/decisions", typed)
    assert past.status_code == 400
    error = re.search(r'id="decide-due_date-error">([^<]*)<', past.text)
    assert error is not None and "is in the past" in error.group(1)
    assert 'value="Recruit two lecturers"' in past.text  # what was typed, kept
    unknown = _post(
        director, f"{url}/decisions", {**typed, "due_date": "2027-03-01", "owner": "nobody"}
    )
    assert unknown.status_code == 400
    assert re.search(r'id="owner-error">[^<]*unknown person', unknown.text)
    no_title = _post(
        director, f"{url}/decisions", {**typed, "due_date": "2027-03-01", "title": " "}
    )
    assert no_title.status_code == 400 and 'id="decide-title-error"' in no_title.text
    category = _post(
        director, f"{url}/decisions", {**typed, "due_date": "2027-03-01", "category": "x"}
    )
    assert category.status_code == 400 and 'id="decide-category-error"' in category.text
    assert snapshot(app.database) == before
    outputs = _post(director, f"{url}/outputs", {})
    assert outputs.status_code == 400 and "No decision is recorded yet" in outputs.text
    assert "`qms" not in outputs.text  # the command line's words stay on the command line


def test_the_other_steps_refused_in_words(browser: Browser, app: Services) -> None:
    review_id = at.explained(app)
    url = f"{MR}/{review_id}"
    director = at.signed(browser, DIRECTOR)
    before = snapshot(app.database)
    future = _post(
        director, f"{url}/hold", {"held_on": "2026-12-25", "attendees": "x", "minutes": "y"}
    )
    assert (
        future.status_code == 400
        and 'id="hold-held_on-error">2026-12-25 is in the future' in future.text
    )
    empty = _post(
        director, f"{url}/hold", {"held_on": "2026-11-25", "attendees": "", "minutes": "y"}
    )
    assert empty.status_code == 400 and 'id="hold-attendees-error">fill this in' in empty.text
    bad_day = _post(
        director, f"{url}/hold", {"held_on": "25/11/2026", "attendees": "x", "minutes": "y"}
    )
    assert bad_day.status_code == 400 and "is not a date" in bad_day.text
    cancel = _post(director, f"{url}/cancel", {"cancellation_reason": ""})
    assert cancel.status_code == 400 and 'id="cancel-cancellation_reason-error"' in cancel.text
    note = _post(director, f"{url}/inputs/b/note", {"text": "Too late"})  # gathered: no notes
    assert note.status_code == 400 and "not possible in the review" in note.text
    unknown = _post(director, f"{url}/inputs/z9/missing", {"reason": "x"})
    assert unknown.status_code == 404
    assert snapshot(app.database) == before
    planned = _post(director, f"{MR}/new", {"planned_on": "2026-11-01"})
    assert planned.status_code == 400 and "is in the past" in planned.text


def test_a_review_is_seen_by_whom_sees_its_process(browser: Browser, app: Services) -> None:
    management = at.planned(app)
    process = at.process_planned(app)
    pilot = at.signed(browser, PILOT)
    assert pilot.get(f"{MR}/{management}").status_code == 403  # type: ignore[attr-defined]
    assert pilot.get(f"/reviews/process_review/{process}").status_code == 200  # type: ignore[attr-defined]
    assert pilot.get("/reviews/management_review/new").status_code == 403  # type: ignore[attr-defined]
    other = at.signed(browser, OTHER)
    assert other.get(f"/reviews/process_review/{process}").status_code == 403  # type: ignore[attr-defined]
    assert "RSC-01" not in other.get("/reviews").text  # type: ignore[attr-defined]
    assert other.get("/reviews/audit/1").status_code == 404  # type: ignore[attr-defined]


def test_the_pack_before_holding_is_a_draft(browser: Browser, app: Services) -> None:
    review_id = at.gathered(app)
    url = f"{MR}/{review_id}"
    director = at.signed(browser, DIRECTOR)
    shown = director.get(f"{url}/pack").text  # type: ignore[attr-defined]
    assert "Draft: assembled from the records now" in shown
    assert "Summary for the directors" in shown and "9.3.3 — Outputs" in shown
    draft = director.get(f"{url}/pack.pdf")
    assert draft.status_code == 200  # type: ignore[attr-defined]
    disposition = draft.headers["content-disposition"]  # type: ignore[attr-defined]
    assert (
        disposition == f'attachment; filename="management-review-{review_id}-draft-2026-11-25.pdf"'
    )
    assert director.get(f"{url}/pack.pdf?revision=1").status_code == 400  # type: ignore[attr-defined]
