"""What the API's tests share: tokens for the people of the example institution, the
example indicators, records to act on, and the API's error shape. Its own tests: the token
service (create, list, revoke, authenticate)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.errors import NotFound, PermissionDenied, ValidationError
from qms.services import accounts, tokens
from qms.services.audits import service as audits
from qms.services.capa import nonconformities
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from tests.factories import ROOT, snapshot
from tests.web.conftest import PASSWORD

# On TRN-03 (Continuing education): kchevalier pilots it (and owns its indicator
# TRN-03-HOURS), ymasson is its correspondent; sroux pilots another process (STE-03);
# jmercier is an internal auditor (and a correspondent elsewhere); tbrunet the quality
# manager; ngarnier a director.
PILOT, CORRESPONDENT, OTHER, AUDITOR, QM, DIRECTOR = (
    "kchevalier",
    "ymasson",
    "sroux",
    "jmercier",
    "tbrunet",
    "ngarnier",
)
PEOPLE = (PILOT, CORRESPONDENT, OTHER, AUDITOR, QM, DIRECTOR)
PROCESS = "TRN-03"
INDICATOR = "TRN-03-HOURS"
API = "/api/v1"
Tokens = Callable[..., str]


@pytest.fixture
def token(app: Services) -> Tokens:
    """``token(handle, scope="read-write")``: a new token of that person (an account is
    made for them if they have none)."""
    made: set[str] = set()

    def make(handle: str, scope: str = "read-write", days: int = 90) -> str:
        if handle not in made:
            with contextlib.suppress(ValidationError):  # has one already
                accounts.create(app, handle, PASSWORD)
            made.add(handle)
        return tokens.create(app, handle, f"tests of {handle}", scope, days).token

    return make


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def load_indicators(app: Services) -> None:
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        indicators.load(uow.session, spec, app.engine.today())
        uow.commit()


def new_nc(app: Services, process: str = PROCESS, by: str = PILOT) -> int:
    spec = NewNonconformity(title="Attendance sheets lost", process=process, source="incident")
    return nonconformities.new(app, by, spec).id


def new_audit(app: Services, process: str = PROCESS) -> int:
    spec = audits.AuditPlan(
        process=process, audit_type="external", start=app.engine.today() + timedelta(days=10)
    )
    return audits.plan(app, QM, spec).id


def breach(app: Services) -> int:
    """An open breach proposal of TRN-03-HOURS (2026-Q3 below its alert threshold)."""
    load_indicators(app)
    indicators.record(app, PILOT, INDICATOR, "2026-Q3", "4000")
    from qms.services.indicators import breaches

    with app.database.reading() as session:
        found = breaches.rows(session, ("open",), PROCESS)
    return found[-1].id


def problem(response: Any, status: int) -> dict[str, Any]:
    """The body of a problem+json answer of that status, its shape checked."""
    assert response.status_code == status, (response.status_code, response.text[:800])
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:qms:problem:")
    assert body["title"] and isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    return body


BOOKKEEPING = {"api_token", "web_session", "sign_in_attempt"}  # a token's last use, sessions


def written(app: Services, before: dict[str, list[Any]]) -> set[str]:
    """The tables changed since ``before`` (a snapshot), but a token's last use."""
    after = snapshot(app.database)
    return {t for t in after if after[t] != before[t]} - BOOKKEEPING


def fields_of(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


# --- the token service ---------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_as_its_hash(app: Services) -> None:
    created = tokens.create(app, QM, "HR sync", "read-write", 30)
    assert created.token.startswith("qms_") and len(created.token) > 40
    with app.database.reading() as session:
        from qms.models import ApiToken

        row = session.get(ApiToken, created.row.id)
        assert row is not None
        assert row.token_sha256 == tokens.digest(created.token)
        assert created.token not in repr(vars(row))
    found = tokens.authenticate(app, created.token)
    assert found is not None and found.handle == QM and found.writes
    assert [r.name for r in tokens.rows(app, QM)] == ["HR sync"]


def test_expiry_revocation_and_a_disabled_account_end_a_token(
    app: Services, clock: FixedClock
) -> None:
    read = tokens.create(app, QM, "reader", "read", 1)
    assert not tokens.authenticate(app, read.token).writes  # type: ignore[union-attr]
    clock.advance(timedelta(days=1, seconds=1))
    assert tokens.authenticate(app, read.token) is None  # expired
    other = tokens.create(app, QM, "other")
    tokens.revoke(app, other.row.id)
    assert tokens.authenticate(app, other.token) is None
    third = tokens.create(app, CORRESPONDENT, "third")
    accounts.disable(app, CORRESPONDENT)
    assert tokens.authenticate(app, third.token) is None
    assert tokens.authenticate(app, "qms_" + "x" * 43) is None
    assert tokens.authenticate(app, "") is None


def test_last_use_is_written_at_most_once_a_minute(app: Services, clock: FixedClock) -> None:
    created = tokens.create(app, QM, "script")
    tokens.authenticate(app, created.token)
    first = tokens.rows(app, QM)[0].last_used_at
    clock.advance(timedelta(seconds=30))
    tokens.authenticate(app, created.token)
    assert tokens.rows(app, QM)[0].last_used_at == first
    clock.advance(timedelta(seconds=31))
    tokens.authenticate(app, created.token)
    assert tokens.rows(app, QM)[0].last_used_at != first


def test_bad_token_requests_are_named(app: Services) -> None:
    for args, field in (
        (("",), "name"),
        (("x", "admin"), "scope"),
        (("x", "read", 367), "days"),
        (("x", "read", 0), "days"),
    ):
        with pytest.raises(ValidationError) as refused:
            tokens.create(app, QM, *args)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(NotFound):
        tokens.create(app, "sroux", "no account")
    mine = tokens.create(app, QM, "mine")
    with pytest.raises(PermissionDenied):
        tokens.revoke(app, mine.row.id, owner=CORRESPONDENT)
    with pytest.raises(NotFound):
        tokens.revoke(app, 999)


def test_the_api_is_mounted_with_its_documents(client: TestClient) -> None:
    document = client.get(f"{API}/openapi.json").json()
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "/records/{kind}" in document["paths"]


# --- every state-changing endpoint: who may, on TRN-03 -------------------------------------

Write = Callable[[Services], tuple[str, dict[str, Any]]]


def log_nc(app: Services) -> tuple[str, dict[str, Any]]:
    body = {"title": "Trainee sheet missing", "process": PROCESS, "source": "incident"}
    return "/records/nonconformity", body


def open_action(app: Services) -> tuple[str, dict[str, Any]]:
    body = {"title": "Weekly scan", "process": PROCESS, "owner": PILOT, "due_date": "2026-12-31"}
    return "/records/improvement_action", body


def plan_audit(app: Services) -> tuple[str, dict[str, Any]]:
    body = {"process": PROCESS, "audit_type": "external", "start": "2026-12-10"}
    return "/records/internal_audit", body


def plan_management_review(app: Services) -> tuple[str, dict[str, Any]]:
    return "/records/management_review", {"planned_on": "2026-12-15"}


def plan_process_review(app: Services) -> tuple[str, dict[str, Any]]:
    return "/records/process_review", {"planned_on": "2026-12-15", "process": PROCESS}


def contain(app: Services) -> tuple[str, dict[str, Any]]:
    body = {"expected_version": 1, "inputs": {"containment": "Sheets rebuilt"}}
    return f"/records/nonconformity/{new_nc(app)}/fire/contain", body


def record_value(app: Services) -> tuple[str, dict[str, Any]]:
    load_indicators(app)
    return f"/indicators/{INDICATOR}/values", {"period": "2026-Q3", "value": 6100}


def record_values(app: Services) -> tuple[str, dict[str, Any]]:
    load_indicators(app)
    values = [{"indicator": INDICATOR, "period": p, "value": 6100} for p in ("2026-Q2", "2026-Q3")]
    return "/indicator-values", {"values": values}


def accept_breach(app: Services) -> tuple[str, dict[str, Any]]:
    return f"/indicators/breaches/{breach(app)}/accept", {
        "owner": PILOT,
        "due_date": "2027-01-31",
    }


def dismiss_breach(app: Services) -> tuple[str, dict[str, Any]]:
    return f"/indicators/breaches/{breach(app)}/dismiss", {"reason": "One cancelled session"}


OPENING = {PILOT, CORRESPONDENT, QM, DIRECTOR}  # on their process; anywhere when managing
RECORDING = {PILOT, CORRESPONDENT, QM}  # the owner (the pilot here), pilot, correspondent, QM
WRITES: list[tuple[str, Write, set[str]]] = [
    ("log a nonconformity", log_nc, OPENING),
    ("open an action", open_action, OPENING),
    ("schedule an audit", plan_audit, {CORRESPONDENT, AUDITOR, QM}),  # a correspondent anywhere
    ("plan the management review", plan_management_review, {QM, DIRECTOR}),
    ("plan a process review", plan_process_review, {PILOT, QM}),
    ("contain a nonconformity", contain, {PILOT, CORRESPONDENT}),
    ("record a value", record_value, RECORDING),
    ("record values", record_values, RECORDING),
    ("accept a breach", accept_breach, {PILOT}),
    ("dismiss a breach", dismiss_breach, {PILOT}),
]
