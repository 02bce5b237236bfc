"""Signing in and out: server-side sessions, their revocation and expiry, the sign-in limit
across workers, CSRF on every state-changing request, the headers on every response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.errors import NotFound, ValidationError
from qms.models import SignInAttempt, WebSession
from qms.services import accounts
from qms.web.app import create_app
from qms.web.security import SESSION_COOKIE
from tests.factories import snapshot
from tests.web.conftest import PASSWORD, Browser


def test_a_page_sends_who_is_not_signed_in_to_the_sign_in_page_and_back(
    browser: Browser,
) -> None:
    response = browser.get("/?view=mine", follow_redirects=False)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/sign-in?next=/%3Fview%3Dmine"  # type: ignore[attr-defined]
    browser.get("/sign-in?next=/%3Fview%3Dmine")
    signed = browser.post(
        "/sign-in",
        {"handle": "cfontaine", "password": PASSWORD, "next": "/?view=mine"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/?view=mine"  # type: ignore[attr-defined]
    cookie = signed.headers["set-cookie"]  # type: ignore[attr-defined]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; over HTTPS it is Secure
    home = browser.get("/")
    assert home.status_code == 200 and "Camille Fontaine" in home.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_sign_in_never_sends_the_browser_to_another_site(browser: Browser, target: str) -> None:
    browser.get("/sign-in")
    response = browser.post(
        "/sign-in",
        {"handle": "cfontaine", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"  # type: ignore[attr-defined]


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(browser: Browser) -> None:
    wrong = browser.sign_in("cfontaine", "not the password at all")
    unknown = browser.sign_in("nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong account or password." in wrong.text and "Wrong account" in unknown.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")  # type: ignore[attr-defined]


def test_the_sign_in_limit_holds_across_workers_and_lifts_after_the_window(
    app: Services, clock: FixedClock
) -> None:
    first = Browser(TestClient(create_app(app), base_url="http://127.0.0.1"))
    second = Browser(TestClient(create_app(app), base_url="http://127.0.0.1"))  # another worker
    for attempt in range(app.settings.sign_in_limit_account):
        worker = first if attempt % 2 else second
        assert worker.sign_in("jcarre", "guessing again").status_code == 401  # type: ignore[attr-defined]
    refused = first.sign_in("jcarre")  # the right password, too late
    assert refused.status_code == 429 and "try again in 15 min" in refused.text  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=app.settings.sign_in_window_minutes, seconds=1))
    assert second.sign_in("jcarre").status_code == 303  # type: ignore[attr-defined]
    with app.database.reading() as session:
        rows = session.scalar(select(func.count()).select_from(SignInAttempt))
    assert rows == app.settings.sign_in_limit_account + 1  # the refused one is not counted


def test_sign_out_revokes_the_session_on_the_server(browser: Browser, app: Services) -> None:
    browser.sign_in("cfontaine")
    token = browser.client.cookies[SESSION_COOKIE]
    browser.get("/")
    assert browser.post("/sign-out", follow_redirects=False).status_code == 303  # type: ignore[attr-defined]
    browser.client.cookies.set(SESSION_COOKIE, token)  # a copy of the cookie kept somewhere
    assert browser.get("/", follow_redirects=False).status_code == 303  # type: ignore[attr-defined]
    with app.database.reading() as session:
        assert session.scalar(select(WebSession.revoked_at)) is not None


def test_an_idle_session_ends_and_an_active_one_goes_on(
    browser: Browser, app: Services, clock: FixedClock
) -> None:
    browser.sign_in("cfontaine")
    idle = timedelta(minutes=app.settings.session_idle_minutes)
    for _ in range(3):  # a request now and then keeps it open past the timeout in total
        clock.advance(idle - timedelta(minutes=1))
        assert browser.get("/", follow_redirects=False).status_code == 200  # type: ignore[attr-defined]
    clock.advance(idle + timedelta(seconds=1))
    assert browser.get("/", follow_redirects=False).status_code == 303  # type: ignore[attr-defined]


def test_a_disabled_account_is_signed_out_at_once(browser: Browser, app: Services) -> None:
    browser.sign_in("cfontaine")
    assert browser.get("/").status_code == 200  # type: ignore[attr-defined]
    assert accounts.disable(app, "cfontaine") == 1
    assert browser.get("/", follow_redirects=False).status_code == 303  # type: ignore[attr-defined]
    assert browser.sign_in("cfontaine").status_code == 401  # type: ignore[attr-defined]
    accounts.set_password(app, "cfontaine", "a brand new passphrase")
    assert browser.sign_in("cfontaine", "a brand new passphrase").status_code == 303  # type: ignore[attr-defined]


def test_a_state_changing_request_without_its_token_is_refused_and_changes_nothing(
    browser: Browser, app: Services
) -> None:
    browser.sign_in("cfontaine")
    browser.get("/")
    before = snapshot(app.database)
    for data, headers in (
        ({"csrf_token": ""}, {}),
        ({"csrf_token": "forged"}, {}),
        ({}, {"X-CSRF-Token": "forged"}),
    ):
        response = browser.client.post(
            "/sign-out", data=data, headers=headers, follow_redirects=False
        )
        assert response.status_code == 403 and "reload the page" in response.text
    assert snapshot(app.database) == before  # still signed in, nothing written
    htmx = browser.client.post(
        "/sign-out", headers={"X-CSRF-Token": browser.token, "HX-Request": "true"}
    )
    assert htmx.status_code in (200, 303)


def test_the_sign_in_form_needs_its_own_token(client: TestClient) -> None:
    response = client.post(
        "/sign-in", data={"handle": "cfontaine", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


@pytest.mark.parametrize("url", ["/sign-in", "/", "/static/qms.css", "/healthz", "/nowhere"])
def test_every_response_carries_the_security_headers(browser: Browser, url: str) -> None:
    browser.sign_in("cfontaine")
    response = browser.get(url)
    headers = response.headers  # type: ignore[attr-defined]
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy and "style-src 'self'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"


def test_an_htmx_request_gets_the_content_alone_and_every_page_varies_on_it(
    browser: Browser,
) -> None:
    browser.sign_in("cfontaine")
    full = browser.get("/")
    part = browser.client.get("/", headers={"HX-Request": "true"})
    restore = browser.client.get(
        "/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert full.headers["vary"] == part.headers["vary"] == "HX-Request"  # type: ignore[attr-defined]
    assert "<html" in full.text and "<html" not in part.text and "<html" in restore.text  # type: ignore[attr-defined]
    assert "What needs you now" in part.text


def test_accounts_refuse_bad_input_in_words(app: Services) -> None:
    with pytest.raises(ValidationError, match="password: at least 12 characters"):
        accounts.create(app, "cvidal", "short")
    with pytest.raises(ValidationError, match="has an account already"):
        accounts.create(app, "cfontaine", PASSWORD)
    with pytest.raises(ValidationError, match="handle: unknown person 'nobody'"):
        accounts.create(app, "nobody", PASSWORD)
    with pytest.raises(NotFound, match="has no account"):
        accounts.disable(app, "cvidal")


def test_passwords_are_stored_as_argon2id_with_the_library_defaults() -> None:
    made_at_import = accounts._NO_ACCOUNT  # by the module's own hasher, before any test
    assert made_at_import.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in made_at_import  # 64 MiB, three passes, four lanes
