"""A web application over the example institution, with accounts, and a browser-like
client (cookies kept) that can sign in and post forms with their CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.services import accounts
from qms.web.app import create_app
from tests.factories import load_example, services_for

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"
PEOPLE = ("cfontaine", "tbrunet", "jcarre", "hmarchal", "ymasson")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A TestClient that remembers the page's CSRF token, like a browser holding a form."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kwargs: object) -> object:
        response = self.client.get(url, **kwargs)  # type: ignore[arg-type]
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: object) -> object:
        return self.client.post(
            url,
            data={"csrf_token": self.token, **(data or {})},
            **kwargs,  # type: ignore[arg-type]
        )

    def sign_in(self, handle: str, password: str = PASSWORD) -> object:
        self.get("/sign-in")
        return self.post(
            "/sign-in", {"handle": handle, "password": password}, follow_redirects=False
        )


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs: these tests are about sessions and pages, and the
    institution's five accounts are made for each (the production parameters are
    argon2-cffi's defaults, checked in test_web_sessions)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(database: Database, clock: FixedClock) -> Services:
    load_example(database)
    services: Services = services_for(database, clock)
    for handle in PEOPLE:
        accounts.create(services, handle, PASSWORD)
    return services


@pytest.fixture
def client(app: Services) -> Iterator[TestClient]:
    with TestClient(create_app(app), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def browser(client: TestClient) -> Browser:
    return Browser(client)


WEB_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The web tests run on SQLite in `make test` and on PostgreSQL in `make test-slow`:
    they test pages and HTTP (the services below them are tested on both databases in
    tests/integration), and `make test` stays within its quarter of an hour."""
    for item in items:
        spec = getattr(item, "callspec", None)
        on_postgres = spec is not None and spec.params.get("backend") == "postgresql"
        if on_postgres and WEB_TESTS in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.slow)
