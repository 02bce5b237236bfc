"""Who may call the API: a valid token or nothing (401 problem+json with
``WWW-Authenticate: Bearer``, also for a session cookie alone); a read-only token is
refused on every state-changing endpoint (403, nothing written); no CSRF token is needed
with a token, none is accepted without one. And what every answer carries: the web's
security headers, no caching, a body size limit, problem+json for every error, the
documentation served under the Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.services import accounts, tokens
from tests.factories import snapshot
from tests.web.conftest import Browser
from tests.web.test_api_support import (
    API,
    CORRESPONDENT,
    QM,
    WRITES,
    Tokens,
    Write,
    bearer,
    log_nc,
    problem,
    token,
    written,
)

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

__all__ = ["token"]  # the fixture

READS = (
    "/processmap",
    "/records/nonconformity",
    "/records/nonconformity/1",
    "/records/nonconformity/1/triggers",
    "/records/nonconformity/1/trail",
    "/indicators",
    "/indicators/STE-01-OBJ",
    "/indicators/breaches",
    "/audits/1/report/1.pdf",
    "/reviews/management_review/1/pack.pdf",
    "/audits/calendar.ics?cycle=2026",
)


def _unauthorized(response: object, invalid: bool) -> None:
    body = problem(response, 401)
    challenge = response.headers["www-authenticate"]  # type: ignore[attr-defined]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) == invalid
    assert "token" in body["detail"]


@pytest.mark.parametrize("path", READS)
def test_no_token_no_answer(client: TestClient, path: str) -> None:
    _unauthorized(client.get(f"{API}{path}"), invalid=False)
    _unauthorized(client.get(f"{API}{path}", headers={"Authorization": "Basic eDp5"}), False)


def test_every_write_needs_a_token_and_writes_nothing_without(
    client: TestClient, app: Services
) -> None:
    before = snapshot(app.database)
    for what, route, _ in WRITES:
        path, body = route(app)
        after_setup = snapshot(app.database)
        _unauthorized(client.post(f"{API}{path}", json=body), invalid=False)
        assert not written(app, after_setup), what
    assert before  # the routes' own records were made by the services, not the API


def test_expired_revoked_or_disabled_tokens_are_refused(
    client: TestClient, app: Services, clock: FixedClock, token: Tokens
) -> None:
    short = token(QM, "read", 1)
    assert client.get(f"{API}/processmap", headers=bearer(short)).status_code == 200
    clock.advance(timedelta(days=1))
    _unauthorized(client.get(f"{API}/processmap", headers=bearer(short)), invalid=True)
    revoked = token(QM)
    tokens.revoke(app, tokens.rows(app, QM)[0].id)
    _unauthorized(client.get(f"{API}/processmap", headers=bearer(revoked)), invalid=True)
    disabled = token(CORRESPONDENT)
    accounts.disable(app, CORRESPONDENT)
    _unauthorized(client.get(f"{API}/processmap", headers=bearer(disabled)), invalid=True)
    _unauthorized(client.get(f"{API}/processmap", headers=bearer("qms_nope")), invalid=True)
    _unauthorized(client.get(f"{API}/processmap", headers=bearer("x" * 5000)), invalid=True)


def test_a_session_cookie_is_not_a_token(browser: Browser, app: Services) -> None:
    assert browser.sign_in(QM).status_code == 303  # type: ignore[attr-defined]
    browser.get("/")
    assert browser.client.get("/").status_code == 200  # signed in on the web
    _unauthorized(browser.client.get(f"{API}/processmap"), invalid=False)
    path, body = log_nc(app)
    before = snapshot(app.database)
    answer = browser.client.post(f"{API}{path}", json=body, headers={"X-CSRF-Token": browser.token})
    _unauthorized(answer, invalid=False)  # the web's CSRF token is no way in either
    assert not written(app, before)


def test_a_token_needs_no_csrf_token(client: TestClient, token: Tokens, app: Services) -> None:
    path, body = log_nc(app)
    answer = client.post(f"{API}{path}", json=body, headers=bearer(token(QM)))
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"


@pytest.mark.parametrize(("what", "route"), [w[:2] for w in WRITES], ids=[w[0] for w in WRITES])
def test_a_read_token_changes_nothing(
    client: TestClient, app: Services, token: Tokens, what: str, route: Write
) -> None:
    path, body = route(app)
    before = snapshot(app.database)
    answer = client.post(f"{API}{path}", json=body, headers=bearer(token(QM, "read")))
    refused = problem(answer, 403)
    assert "read-only" in refused["detail"]
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert not written(app, before), what


def test_every_answer_carries_the_security_headers_and_no_cache(
    client: TestClient, token: Tokens
) -> None:
    for answer in (
        client.get(f"{API}/processmap", headers=bearer(token(QM))),
        client.get(f"{API}/processmap"),
        client.get(f"{API}/nowhere"),
    ):
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"


def test_errors_are_problems(client: TestClient, token: Tokens, app: Services) -> None:
    qm = bearer(token(QM))
    assert problem(client.get(f"{API}/nowhere", headers=qm), 404)["instance"] == f"{API}/nowhere"
    problem(client.delete(f"{API}/processmap", headers=qm), 405)
    problem(client.post(f"{API}/records/audit_finding", json={}, headers=qm), 405)
    problem(client.get(f"{API}/records/gadget", headers=qm), 422)
    problem(client.get(f"{API}/records/nonconformity/0", headers=qm), 422)
    problem(client.get(f"{API}/records/nonconformity/{2**40}", headers=qm), 422)
    not_json = client.post(
        f"{API}/records/nonconformity",
        content=b"{not json",
        headers={**qm, "Content-Type": "application/json"},
    )
    problem(not_json, 400)
    empty = problem(client.post(f"{API}/records/nonconformity", json={}, headers=qm), 422)
    assert {e["field"] for e in empty["errors"]} == {"title", "process"}
    extra = client.post(
        f"{API}/records/nonconformity", json={"title": "x", "process": "TRN-03", "y": 1}, headers=qm
    )
    assert {e["field"] for e in problem(extra, 422)["errors"]} == {"y"}
    nul = client.post(
        f"{API}/records/nonconformity", json={"title": "a\x00b", "process": "TRN-03"}, headers=qm
    )
    assert {e["field"] for e in problem(nul, 422)["errors"]} == {"title"}


def test_a_body_too_large_is_refused_unread(
    client: TestClient, token: Tokens, app: Services
) -> None:
    limit = app.settings.upload_max_bytes
    huge = b'{"values": [' + b" " * (limit + 100_000) + b"]}"
    answer = client.post(
        f"{API}/indicator-values",
        content=huge,
        headers={**bearer(token(QM)), "Content-Type": "application/json"},
    )
    problem(answer, 413)


def test_the_openapi_document_says_problems(client: TestClient) -> None:
    document = client.get(f"{API}/openapi.json").json()
    assert document["servers"] == [{"url": API}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"token": []}], (path, method)
            for status, answer in operation["responses"].items():
                if status[0] in "45":
                    assert list(answer["content"]) == ["application/problem+json"], path


def test_the_documentation_page_runs_under_the_csp(client: TestClient) -> None:
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert "<style" not in html and " style=" not in html and "cdn" not in html.lower()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
    assert f'data-openapi="{API}/openapi.json"' in html


def test_every_path_under_the_prefix_is_the_api_s(app: Services, token: Tokens) -> None:
    """A path holding a newline (%0A) is the API's too (its problem, not the web's HTML
    404): Starlette's Mount alone would let it fall through (qms.web.api.ApiMount)."""
    from fastapi import FastAPI

    from qms.web import api

    web = FastAPI()
    api.mount(web, app)
    with TestClient(web) as bare:
        headers = bearer(token(QM))
        for path in ("/x%0Ay", "/indicators/A%0AB/values", "/records/nonconformity/1%0A2"):
            answer = bare.get(f"{API}{path}", headers=headers)
            assert answer.headers["content-type"] == "application/problem+json", path
            assert answer.status_code in (404, 405, 422), path
