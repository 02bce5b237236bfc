"""In a real browser: signing in, the home page, signing out; each page screenshotted at
1280 and 390 px and checked with axe-core (no serious or critical violation) and for
sideways scrolling on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    Server,
    no_horizontal_scroll,
    screenshots,
    serious_violations,
    sign_in,
)

# Chromium end to end: `make test-slow` (CI runs it, with Chromium installed).
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_sign_in_page_is_accessible_and_refuses_a_wrong_password(
    page: Any, server: Server
) -> None:
    page.goto(f"{server.url}/")
    assert page.url.startswith(f"{server.url}/sign-in")  # sent to sign in first
    assert serious_violations(page) == []
    screenshots(page, "sign-in")
    page.get_by_label("Account").fill("cfontaine")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong account or password."


def test_a_pilot_signs_in_sees_their_work_and_signs_out(page: Any, server: Server) -> None:
    sign_in(page, server, "hmarchal")
    assert page.get_by_role("heading", name="What needs you now").is_visible()
    assert "Hélène Marchal" in page.locator("header").inner_text()
    assert serious_violations(page) == []
    screenshots(page, "home-pilot")
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/sign-in")
    page.goto(f"{server.url}/")
    assert page.url.startswith(f"{server.url}/sign-in")


def test_no_page_runs_inline_script_or_style(page: Any, server: Server) -> None:
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if message.type == "error" else None
    )
    sign_in(page, server, "hmarchal")
    page.reload()
    assert not [m for m in refused if "Content Security Policy" in m], refused
