"""The permission matrix of the review pages: each kind of person against each step's route,
on a management review and on a process review of RSC-01. Allowed answers 303; refused
answers 403 and writes nothing, whatever the form says.

A refusal writes nothing, so every person refused meets the same review, and then the
first person allowed takes the step on it; each other person allowed has a review of their
own."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qms.bootstrap import Services
from tests.factories import snapshot
from tests.web import reviews_setup as at
from tests.web.conftest import Browser
from tests.web.reviews_setup import (
    AUDITOR,
    CORRESPONDENT,
    DIRECTOR,
    OTHER,
    PEOPLE,
    PILOT,
    PROCESS,
    QUALITY_MANAGER,
)

# Each role against each route: minutes on two cores, so `make test-slow` (CI runs it).
pytestmark = pytest.mark.slow

MR, PR = "/reviews/management_review", "/reviews/process_review"
HELD_MR = {"held_on": "2026-11-25", "attendees": "The directors", "minutes": "Agreed."}
HELD_PR = {"held_on": "2026-11-25", "evaluation": "On track", "intended_results_met": "yes"}
DECISION = {"title": "Recruit", "owner": PILOT, "due_date": "2027-03-01", "process": PROCESS}
MANAGING = {DIRECTOR, QUALITY_MANAGER}
PR_PEOPLE = {PILOT, CORRESPONDENT}
CANCEL = {"cancellation_reason": "Moved"}
PLAN_PR = {"planned_on": "2026-11-25", "process": PROCESS}

Route = Callable[[Services], tuple[str, dict[str, str]]]


def _step(setup: Callable[[Services], int], base: str, path: str, data: dict[str, str]) -> Route:
    def route(app: Services) -> tuple[str, dict[str, str]]:
        review_id = setup(app)
        return f"{base}/{review_id}/{path}", data

    return route


def _missing(app: Services) -> tuple[str, dict[str, str]]:
    review_id = at.gathered(app)
    key = at.missing(app, review_id)[0]
    return f"{MR}/{review_id}/inputs/{key}/missing", {"reason": "No survey this year"}


MATRIX: list[tuple[str, Route, set[str]]] = [
    ("plan a management review", lambda app: (f"{MR}/new", {"planned_on": "2026-11-25"}), MANAGING),
    ("write a note", _step(at.planned, MR, "inputs/b/note", {"text": "New rules"}), MANAGING),
    ("gather the inputs", _step(at.planned, MR, "gather", {}), {QUALITY_MANAGER}),
    ("record why an input is missing", _missing, MANAGING),
    ("hold a management review", _step(at.explained, MR, "hold", HELD_MR), MANAGING),
    ("record a decision", _step(at.held, MR, "decisions", DECISION), MANAGING),
    ("record the outputs", _step(at.decided, MR, "outputs", {}), MANAGING),
    ("close a management review", _step(at.recorded, MR, "close", {}), {DIRECTOR}),
    ("cancel a management review", _step(at.planned, MR, "cancel", CANCEL), {DIRECTOR}),
    ("plan a process review", lambda app: (f"{PR}/new", PLAN_PR), {PILOT, QUALITY_MANAGER}),
    ("gather a process review", _step(at.process_planned, PR, "gather", {}), PR_PEOPLE),
    ("hold a process review", _step(at.process_gathered, PR, "hold", HELD_PR), {PILOT}),
    ("decide at a process review", _step(at.process_held, PR, "decisions", DECISION), {PILOT}),
    ("close a process review", _step(at.process_held, PR, "close", {}), {PILOT}),
]  # fmt: skip
# Every person refused, then the first allowed, on one review; each other person allowed on
# a review of their own.
EACH = [
    pytest.param(route, sorted(set(PEOPLE) - allowed), sorted(allowed)[0], id=what)
    for what, route, allowed in MATRIX
]
ALSO = [
    pytest.param(route, person, id=f"{what}-{person}")
    for what, route, allowed in MATRIX
    for person in sorted(allowed)[1:]
]


@pytest.fixture(autouse=True)
def _ready(app: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    at.accounts_for_reviews(app)
    at.quick_pdf(monkeypatch)


def _allowed(browser: Browser, url: str, data: dict[str, str], person: str) -> None:
    at.signed(browser, person)
    response = browser.post(url, data, follow_redirects=False)
    status = response.status_code  # type: ignore[attr-defined]
    assert status == 303, (person, response.text[:1500])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("route", "refused", "allowed"), EACH)
def test_each_person_refused_then_one_allowed(
    browser: Browser, app: Services, route: Route, refused: list[str], allowed: str
) -> None:
    url, data = route(app)
    for person in refused:
        at.signed(browser, person)
        before = snapshot(app.database)
        response = browser.post(url, data, follow_redirects=False)
        status = response.status_code  # type: ignore[attr-defined]
        assert status == 403, (person, status, response.text[:1500])  # type: ignore[attr-defined]
        after = snapshot(app.database)
        changed = {t for t in after if after[t] != before[t]}
        assert changed <= {"web_session", "sign_in_attempt"}, (person, changed)
    _allowed(browser, url, data, allowed)


@pytest.mark.parametrize(("route", "person"), ALSO)
def test_the_others_allowed(browser: Browser, app: Services, route: Route, person: str) -> None:
    url, data = route(app)
    _allowed(browser, url, data, person)


def test_the_people_hold_the_roles_said(app: Services) -> None:
    """The matrix's people are who its docstring says (the process map may change)."""
    from qms.workflow.permissions import ActorRoles

    with app.database.reading() as session:
        roles = {h: ActorRoles.for_handle(session, h, at.TODAY) for h in PEOPLE}
        rsc01 = next(pid for pid, held in roles[PILOT].by_process.items() if "pilot" in held)
        assert "correspondent" in roles[CORRESPONDENT].by_process[rsc01]
        assert rsc01 not in roles[OTHER].by_process and not roles[OTHER].institution
        assert roles[AUDITOR].institution == {"auditor"}
        assert roles[QUALITY_MANAGER].institution == {"quality_manager"}
        assert "director" in roles[DIRECTOR].institution
