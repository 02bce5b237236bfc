"""The audit pages' permission matrix: each kind of person against each state-changing
route, on STE-03 (sroux pilots it, amoulin corresponds for it) or the whole programme.
Allowed answers 303; refused answers 403 and writes nothing, whatever the form says.

Who may: the quality manager or a quality correspondent plans the programme, edits its
draft, schedules audits, sets their plan and team (``common.coordinator``), on an audit or
programme entry of a process they see (``visibility``); a director approves the programme;
the quality manager alone approves an impartiality exception."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qms.bootstrap import Services
from tests.factories import snapshot
from tests.web.audits_setup import (
    AUDITOR,
    CONTRIBUTOR,
    CORRESPONDENT,
    CYCLE,
    DIRECTOR,
    MANAGER,
    OTHER,
    PILOT,
    accounts_for_all,
    approved,
    draft,
    entry_of,
    follow_up,
    signed_in,
)
from tests.web.conftest import Browser

# Each role against each route: minutes on two cores, so `make test-slow` (CI runs it).
pytestmark = pytest.mark.slow

# sroux pilots STE-03; amoulin corresponds for it; ymasson corresponds for TRN-03 and RSC-01;
# lnguyen contributes to STE-04 and RSC-03; jcarre is an internal auditor (and pilot of
# ECO-02); tbrunet is the quality manager; ngarnier a director (and pilot of RES-01).
PEOPLE = (PILOT, CORRESPONDENT, OTHER, CONTRIBUTOR, AUDITOR, MANAGER, DIRECTOR)
CYCLE_FORM = {"cycle": str(CYCLE)}


def plan(app: Services) -> tuple[str, dict[str, str]]:
    return "/audits/programme/plan", CYCLE_FORM


def move(app: Services) -> tuple[str, dict[str, str]]:
    draft(app)
    return f"/audits/programme/entries/{entry_of(app, 'STE-03')}/move", {"on": "2027-06-09"}


def add(app: Services) -> tuple[str, dict[str, str]]:
    draft(app)
    return "/audits/programme/add", {**CYCLE_FORM, "process": "STE-03", "on": "2027-10-06"}


def remove(app: Services) -> tuple[str, dict[str, str]]:
    draft(app)
    return f"/audits/programme/entries/{entry_of(app, 'STE-03')}/remove", {}


def approve(app: Services) -> tuple[str, dict[str, str]]:
    draft(app)
    return "/audits/programme/approve", {**CYCLE_FORM, "approval_note": "Two days each"}


def schedule(app: Services) -> tuple[str, dict[str, str]]:
    approved(app)
    return "/audits/new", {**CYCLE_FORM, "process": "STE-03"}


def edit(app: Services) -> tuple[str, dict[str, str]]:
    audit_id = follow_up(app)
    form = {"scope": "Website", "planned_start": "2026-12-02", "planned_end": "2026-12-03"}
    return f"/audits/{audit_id}/plan", form


def assign(app: Services) -> tuple[str, dict[str, str]]:
    return f"/audits/{follow_up(app)}/team", {"person": "cvidal", "role": "auditor"}


def exception(app: Services) -> tuple[str, dict[str, str]]:
    why = "No impartial auditor speaks the partners' language"
    return f"/audits/{follow_up(app)}/exception", {"person": "kchevalier", "justification": why}


COORDINATORS = {CORRESPONDENT, MANAGER}  # who plan and schedule audits of STE-03
Route = Callable[[Services], tuple[str, dict[str, str]]]
MATRIX: list[tuple[str, Route, set[str]]] = [
    ("plan the programme", plan, {CORRESPONDENT, OTHER, MANAGER}),
    ("move a draft's audit", move, COORDINATORS),
    ("add an audit to the draft", add, COORDINATORS),
    ("remove a draft's audit", remove, COORDINATORS),
    ("approve the programme", approve, {DIRECTOR}),
    ("schedule an audit", schedule, COORDINATORS),
    ("edit an audit's plan", edit, COORDINATORS),
    ("assign an auditor", assign, COORDINATORS),
    ("approve an impartiality exception", exception, {MANAGER}),
]


# One case per route for everyone refused (a refusal writes nothing: the same setup serves
# them all), and one per person allowed (an allowed step changes what the next would meet).
CASES = [
    pytest.param(what, route, person, person in allowed, id=f"{what}-{person}")
    for what, route, allowed in MATRIX
    for person in sorted(allowed)
] + [
    pytest.param(what, route, "refused", False, id=f"{what}-refused")
    for what, route, _allowed in MATRIX
]
ALLOWED = {what: allowed for what, _route, allowed in MATRIX}


@pytest.mark.parametrize(("what", "route", "who", "allowed"), CASES)
def test_each_person_each_route(
    browser: Browser, app: Services, what: str, route: Route, who: str, allowed: bool
) -> None:
    accounts_for_all(app)
    url, data = route(app)
    if allowed:
        signed_in(browser, who)
        response = browser.post(url, data, follow_redirects=False)
        assert response.status_code == 303, (what, who, response.text[:800])  # type: ignore[attr-defined]
        return
    before = snapshot(app.database)
    for person in PEOPLE:
        if person in ALLOWED[what]:
            continue
        browser.client.cookies.clear()
        signed_in(browser, person)
        response = browser.post(url, data, follow_redirects=False)
        status = response.status_code  # type: ignore[attr-defined]
        assert status == 403, (what, person, status, response.text[:800])  # type: ignore[attr-defined]
        after = snapshot(app.database)
        changed = {t for t in after if after[t] != before[t]}
        assert changed <= {"web_session", "sign_in_attempt"}, (what, person, changed)
