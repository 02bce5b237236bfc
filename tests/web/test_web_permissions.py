"""The permission matrix: each kind of person against each state-changing route, on a
process where they hold that role (STE-01) or none. Allowed answers 303; refused answers
403 and writes nothing, whatever the form says (a hidden button is not a permission)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qms.bootstrap import Services
from qms.services.capa import nonconformities
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from tests.factories import ROOT, snapshot
from tests.web.conftest import Browser

# On STE-01: hmarchal pilots it (and is a director), tbrunet is its correspondent (and the
# quality manager); ymasson corresponds for TRN-03 only; jcarre and cfontaine are internal
# auditors (with roles on other processes).
PILOT, CORRESPONDENT, OTHER, AUDITOR, AUDITOR_2 = (
    "hmarchal",
    "tbrunet",
    "ymasson",
    "jcarre",
    "cfontaine",
)


def detected(app: Services) -> int:
    spec = NewNonconformity(title="Minutes not filed", process="STE-01", source="incident")
    return nonconformities.new(app, PILOT, spec).id


def contain(app: Services) -> tuple[str, dict[str, str]]:
    record = detected(app)
    return f"/records/nonconformity/{record}/fire/contain", {
        "containment": "Minutes filed the same day",
        "version": "1",
    }


def new_nc(app: Services) -> tuple[str, dict[str, str]]:
    return "/nonconformities/new", {
        "title": "Agenda sent late",
        "process": "STE-01",
        "source": "incident",
        "severity": "minor",
        "detected_on": "2026-11-24",
    }


def new_action(app: Services) -> tuple[str, dict[str, str]]:
    return "/actions/new", {
        "title": "Send the agenda a week ahead",
        "process": "STE-01",
        "owner": PILOT,
        "kind": "improvement",
        "priority": "normal",
        "origin": "suggestion",
        "due_date": "2026-12-31",
    }


def record_value(app: Services) -> tuple[str, dict[str, str]]:
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        indicators.load(uow.session, spec, app.engine.today())
        uow.commit()
    return "/indicators/STE-01-OBJ/values/new", {"period": "2026-Q3", "value": "80"}


Route = Callable[[Services], tuple[str, dict[str, str]]]
MATRIX: list[tuple[str, Route, set[str]]] = [
    ("contain a nonconformity", contain, {PILOT, CORRESPONDENT}),
    ("log a nonconformity", new_nc, {PILOT, CORRESPONDENT}),
    ("open an action", new_action, {PILOT, CORRESPONDENT}),
    ("record an indicator value", record_value, {PILOT, CORRESPONDENT}),
]
PEOPLE = (PILOT, CORRESPONDENT, OTHER, AUDITOR, AUDITOR_2)


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(("what", "route", "allowed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_each_person_each_route(
    browser: Browser,
    app: Services,
    person: str,
    what: str,
    route: Route,
    allowed: set[str],
) -> None:
    url, data = route(app)
    assert browser.sign_in(person).status_code == 303  # type: ignore[attr-defined]
    browser.get("/")  # the session's token, as a page holds it
    before = snapshot(app.database)
    response = browser.post(url, data, follow_redirects=False)
    status = response.status_code  # type: ignore[attr-defined]
    if person in allowed:
        assert status == 303, (what, person, response.text[:500])  # type: ignore[attr-defined]
    else:
        assert status == 403, (what, person, status)
        after = snapshot(app.database)
        changed = {t for t in after if after[t] != before[t]}
        assert changed <= {"web_session", "sign_in_attempt"}, (what, person, changed)
