"""Browser tests: a real qms web server on a loopback port, Debian's Chromium driven by
Playwright (no browser download: ``executable_path``), axe-core for accessibility.

The server runs ``qms web`` in a child process over a database of its own (the example
institution, accounts for the demo's people) and is stopped when the session ends; the
screenshots go to ``test-artifacts/screenshots`` (``QMS_ARTIFACTS`` elsewhere).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from qms.bootstrap import Services, bootstrap
from qms.clock import SystemClock
from qms.config import load_settings
from qms.db import Database
from qms.migrations import upgrade
from qms.services import accounts
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from tests.factories import ROOT, load_example

CHROMIUM = Path(os.environ.get("QMS_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("QMS_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
PASSWORD = "browser tests pass"
PEOPLE = ("cfontaine", "tbrunet", "jcarre", "hmarchal", "ymasson", "lnguyen")
WIDTHS = (1280, 390)


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists():
        missing = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get("QMS_REQUIRE_CHROMIUM"):
            pytest.fail(missing)
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'qms.sqlite3'}"
    env = {
        **os.environ,
        "QMS_DATABASE_URL": url,
        "QMS_WORKFLOWS_DIR": str(ROOT / "workflows"),
        "QMS_REPORTS_DIR": str(ROOT / "reports"),
        "QMS_TRAIL_KEY_FILE": str(folder / "trail.key"),
        "QMS_TRAIL_SEALS_DIR": str(folder / "seals"),
        "QMS_MAIL_DIR": str(folder / "mail"),
    }
    database = Database(url=url)
    upgrade(database.engine)
    load_example(database)
    services = server_services(env, database)
    with database.unit_of_work() as uow:
        spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
        indicators.load(uow.session, spec, services.engine.today())
        uow.commit()
    for handle in PEOPLE:
        accounts.create(services, handle, PASSWORD)
    database.dispose()
    port = free_port()
    log = folder / "web.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "qms", "web", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, child, log)
        yield Server(base, url, env)
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def server_services(env: dict[str, str], database: Database) -> Services:
    """The services over the server's database, with its trail key and seals."""
    settings = load_settings(
        database_url=database.url,
        workflows_dir=ROOT / "workflows",
        trail_key_file=Path(env["QMS_TRAIL_KEY_FILE"]),
        trail_seals_dir=Path(env["QMS_TRAIL_SEALS_DIR"]),
    )
    return bootstrap(settings, SystemClock(), database)


def _wait_until_up(base: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"qms web stopped at start:\n{log.read_text()}")
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("qms web did not answer /healthz in 30 s")


@pytest.fixture(scope="session")
def browser_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser_instance: Any, server: Server) -> Iterator[Any]:
    context = browser_instance.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Any, server: Server, handle: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/sign-in")
    page.get_by_label("Account").fill(handle)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")


def screenshots(page: Any, name: str) -> list[Path]:
    """The page at each width, full length, saved as test artifacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size({"width": 1280, "height": 900})
    return saved


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, in words."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response.get("violations", [])
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s)"
        for v in found
        if v.get("impact") in ("serious", "critical")
    ]


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
