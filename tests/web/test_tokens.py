"""The /tokens page (a signed-in person's API tokens) and `qms token`: create (the token
shown once), list, revoke; CSRF as on every form; a person revokes only their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qms.bootstrap import Services
from qms.services import tokens
from tests.cli import run
from tests.factories import ROOT, snapshot
from tests.web.conftest import Browser
from tests.web.test_api_support import API, CORRESPONDENT, QM, bearer, problem

XSS = ("<script>alert(1)</script>", '"onmouseover="x')
SHOWN = re.compile(r'value="(qms_[A-Za-z0-9_-]+)"')


def test_create_a_token_see_it_once_and_use_it(browser: Browser, client: TestClient) -> None:
    browser.sign_in(QM)
    page = browser.get("/tokens")
    assert page.status_code == 200  # type: ignore[attr-defined]
    assert "You have no token yet" in page.text  # type: ignore[attr-defined]
    made = browser.post("/tokens", {"name": "HR sync", "scope": "read-write", "days": "30"})
    assert made.status_code == 201  # type: ignore[attr-defined]
    assert made.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    token = SHOWN.search(made.text).group(1)  # type: ignore[attr-defined,union-attr]
    assert "it is not shown again" in made.text  # type: ignore[attr-defined]
    assert f"Authorization: Bearer {token}" in made.text  # type: ignore[attr-defined]
    assert client.get(f"{API}/processmap", headers=bearer(token)).status_code == 200
    again = browser.get("/tokens")
    assert token not in again.text and "HR sync" in again.text  # type: ignore[attr-defined]
    assert "Read and write" in again.text  # type: ignore[attr-defined]


def test_revoke_a_token(browser: Browser, client: TestClient, app: Services) -> None:
    created = tokens.create(app, QM, "old script")
    browser.sign_in(QM)
    browser.get("/tokens")
    done = browser.post(f"/tokens/{created.row.id}/revoke", follow_redirects=False)
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == f"/tokens?revoked={created.row.id}"  # type: ignore[attr-defined]
    page = browser.get(done.headers["location"])  # type: ignore[attr-defined]
    assert "revoked" in page.text and "Revoked" in page.text  # type: ignore[attr-defined]
    problem(client.get(f"{API}/processmap", headers=bearer(created.token)), 401)


def test_only_ones_own_tokens_and_only_with_the_form_s_token(
    browser: Browser, app: Services
) -> None:
    theirs = tokens.create(app, CORRESPONDENT, "theirs")
    browser.sign_in(QM)
    browser.get("/tokens")
    before = snapshot(app.database)
    refused = browser.post(f"/tokens/{theirs.row.id}/revoke", follow_redirects=False)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert browser.client.post("/tokens", data={"name": "x"}).status_code == 403  # no CSRF
    assert browser.client.post(f"/tokens/{theirs.row.id}/revoke").status_code == 403
    after = snapshot(app.database)
    assert {t for t in after if after[t] != before[t]} <= {"web_session"}
    assert tokens.authenticate(app, theirs.token) is not None


def test_bad_input_is_named_and_nothing_made(browser: Browser, app: Services) -> None:
    browser.sign_in(QM)
    browser.get("/tokens")
    for data, field, words in (
        ({"name": "", "scope": "read", "days": "90"}, "name", "is required"),
        ({"name": "x", "scope": "admin", "days": "90"}, "scope", "is not one of"),
        ({"name": "x", "scope": "read", "days": "1000"}, "days", "choose how long"),
        ({"name": "x" * 101, "scope": "read", "days": "90"}, "name", "at most 100"),
    ):
        answer = browser.post("/tokens", data)
        assert answer.status_code == 400, data  # type: ignore[attr-defined]
        assert f'id="{field}-error"' in answer.text and words in answer.text  # type: ignore[attr-defined]
    assert tokens.rows(app, QM) == []
    assert browser.get("/tokens/1/revoke").status_code == 405  # type: ignore[attr-defined]


def test_names_are_escaped(browser: Browser) -> None:
    browser.sign_in(QM)
    browser.get("/tokens")
    for text in XSS:
        made = browser.post("/tokens", {"name": text, "scope": "read", "days": "30"})
        assert made.status_code == 201  # type: ignore[attr-defined]
        assert text not in made.text  # type: ignore[attr-defined]
    listed = browser.get("/tokens").text  # type: ignore[attr-defined]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed and XSS[0] not in listed


def test_the_page_needs_a_session(client: TestClient) -> None:
    answer = client.get("/tokens", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


@pytest.fixture
def command_line(app: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Services:
    monkeypatch.setenv("QMS_DATABASE_URL", app.database.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    return app


def test_the_command_line(command_line: Services, capsys: pytest.CaptureFixture[str]) -> None:
    made = run(capsys, "token", "create", QM, "--name", "spreadsheet", "--scope", "read-write")
    assert made.code == 0, made.err
    token = made.out.strip()
    assert token.startswith("qms_") and "not shown again" in made.err
    found = tokens.authenticate(command_line, token)
    assert found is not None and found.writes
    listed = run(capsys, "token", "list", QM)
    assert "spreadsheet" in listed.out and "active" in listed.out and token not in listed.out
    row = tokens.rows(command_line, QM)[0]
    revoked = run(capsys, "token", "revoke", str(row.id))
    assert revoked.code == 0 and "revoked" in revoked.out
    assert "revoked" in run(capsys, "token", "list", QM).out
    wrong = run(capsys, "token", "create", QM, "--name", "x", "--days", "400")
    assert wrong.code == 1 and "days" in wrong.err
    none = run(capsys, "token", "list", "sroux")
    assert none.code == 1 and "no account" in none.err
