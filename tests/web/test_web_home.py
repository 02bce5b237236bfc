"""The home page (what needs the signed-in person now) and its "See all" pages.

Karim Chevalier (kchevalier) pilots TRN-03; today is 25 Nov 2026. Each card lists the
first items, most late first, and links to a page with every one of them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from qms.bootstrap import Services
from qms.services import accounts
from qms.services.capa import actions
from qms.services.capa.actions import NewAction
from qms.web.home import SHOWN
from tests.web.conftest import PASSWORD, Browser

PILOT = "kchevalier"
XSS = '<script>alert(1)</script> "onmouseover="x'
COUNT = SHOWN + 3  # actions waiting on the pilot, more than a card shows


@pytest.fixture
def waiting(app: Services) -> list[int]:
    """COUNT proposed actions of TRN-03 (the pilot approves them), the first five late."""
    accounts.create(app, PILOT, PASSWORD)
    ids = []
    for n in range(COUNT):
        due = date(2026, 11, 20) + timedelta(days=n)  # 5 to 1 days late, then due later
        title = XSS if n == COUNT - 1 else f"Action number {n + 1}"
        spec = NewAction(title=title, process="TRN-03", owner="ymasson", due_date=due)
        ids.append(actions.new(app, "tbrunet", spec, allow_past_due=True).id)
    return ids


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/records/improvement_action/\d+">([^<]*)</a>', html)


def test_a_card_shows_the_first_items_most_late_first_and_links_to_all(
    browser: Browser, waiting: list[int]
) -> None:
    browser.sign_in(PILOT)
    home = browser.get("/").text  # type: ignore[attr-defined]
    assert _titles(home) == [f"Action number {n}" for n in range(1, SHOWN + 1)]
    assert f"See all {COUNT}" in home and "(5 overdue)" in home
    assert '<a href="/work/improvement_action">' in home
    assert "TRN-03 " in home and 'title="' in home  # the process by code, named on hover
    every = browser.get("/work/improvement_action")
    assert every.status_code == 200  # type: ignore[attr-defined]
    listed = _titles(every.text)  # type: ignore[attr-defined]
    assert len(listed) == COUNT and listed[:3] == [
        "Action number 1",
        "Action number 2",
        "Action number 3",
    ]
    assert "late by 5 days" in every.text  # type: ignore[attr-defined]


def test_titles_come_back_escaped_on_the_full_list(browser: Browser, waiting: list[int]) -> None:
    browser.sign_in(PILOT)
    page = browser.get("/work/improvement_action").text  # type: ignore[attr-defined]
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;onmouseover=&#34;x" in page


def test_an_unknown_list_is_a_page_not_found_in_words(browser: Browser, waiting: list[int]) -> None:
    browser.sign_in(PILOT)
    answer = browser.get("/work/everything")
    assert answer.status_code == 404  # type: ignore[attr-defined]
    assert "There is no list of work named everything." in answer.text  # type: ignore[attr-defined]


def test_the_lists_need_a_session(browser: Browser) -> None:
    answer = browser.get("/work/improvement_action", follow_redirects=False)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert "/sign-in" in answer.headers["location"]  # type: ignore[attr-defined]
