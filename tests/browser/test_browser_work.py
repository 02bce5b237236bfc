"""A week's work in a real browser: a pilot logs a nonconformity, contains and analyses
it, plans its corrective action and finds the action in the register; a correspondent
imports indicator values with one bad row, sees it named, fixes it and imports; someone
without the role sees no button and is refused the step's address. Every page on the way
is checked with axe-core and screenshotted."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qms.db import Database
from qms.services.capa import nonconformities
from qms.services.capa.nonconformities import NewNonconformity
from tests.browser.conftest import (
    Server,
    screenshots,
    serious_violations,
    server_services,
    sign_in,
)

# Chromium end to end: `make test-slow` (CI runs it, with Chromium installed).
pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Exam room booked twice for the same morning"
TODAY = datetime.now(ZoneInfo("Europe/Paris")).date()


def checked(page: Any, name: str) -> None:
    assert serious_violations(page) == [], name
    screenshots(page, name)


def test_a_pilot_takes_a_nonconformity_to_its_corrective_action(page: Any, server: Server) -> None:
    sign_in(page, server, "hmarchal")  # pilot of STE-01
    page.goto(f"{server.url}/nonconformities/new")
    checked(page, "nc-new")
    page.get_by_label("What went wrong").fill(TITLE)
    page.get_by_label("Process").select_option("STE-01")
    page.get_by_label("Source").select_option("incident")
    page.get_by_label("Detected on").fill(TODAY.isoformat())
    page.get_by_role("button", name="Log the nonconformity").click()
    page.wait_for_url(re.compile(r".*/records/nonconformity/\d+$"))
    assert TITLE in page.locator("h1").inner_text()
    checked(page, "nc-detected")

    page.get_by_role("link", name="Record the correction and containment (clause 10.2.1 a)").click()
    page.get_by_label("Correction or containment done").fill("Second booking moved to room B12")
    checked(page, "nc-contain-form")
    page.get_by_role("button", name=re.compile("^Move to")).click()
    assert "Contained" in page.locator(".flash").inner_text()

    page.get_by_role("link", name=re.compile("^Record the root cause")).click()
    page.get_by_role("textbox", name="Root cause").fill("Two calendars kept for the same rooms")
    page.get_by_label("Category of the cause").select_option("method")
    page.get_by_label('Similar nonconformities found (or "none")').fill("none")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name=re.compile("^Move to")).click()
    assert "Cause analysed" in page.locator(".flash").inner_text()

    page.get_by_role("link", name=re.compile("^Plan the corrective action")).click()
    page.get_by_label("Corrective action to take").fill("One room calendar for the whole school")
    page.get_by_label("Who carries it out").select_option("tbrunet")
    page.get_by_label("Due date").fill((TODAY + timedelta(days=30)).isoformat())
    page.get_by_label("How effectiveness will be judged").fill("No double booking in a term")
    page.get_by_label("When effectiveness will be checked").fill(
        (TODAY + timedelta(days=120)).isoformat()
    )
    checked(page, "nc-plan-form")
    page.get_by_role("button", name=re.compile("^Move to")).click()
    assert "Corrective action planned" in page.locator(".flash").inner_text()
    checked(page, "nc-planned")

    page.goto(f"{server.url}/actions?process=STE-01")
    assert page.get_by_role("cell", name="One room calendar for the whole school").is_visible()
    checked(page, "actions-register")


def test_a_correspondent_imports_values_after_fixing_the_bad_row(
    page: Any, server: Server, tmp_path: Path
) -> None:
    sign_in(page, server, "tbrunet")  # quality manager, correspondent of STE-01
    page.goto(f"{server.url}/indicators")
    checked(page, "indicators")
    code = "STE-02-CAPA-LATE"  # monthly, a count of late actions, owned by tbrunet
    bad = tmp_path / "values.csv"
    bad.write_text(f"indicator,period,value\n{code},2026-10,3\n{code},2026-13,2\n")
    page.goto(f"{server.url}/indicators/import")
    page.get_by_label(re.compile("File")).set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    assert "2026-13" in page.content() and page.locator(".error, .late").count() > 0
    checked(page, "import-preview-bad")
    assert page.get_by_role("button", name=re.compile("^Import")).count() == 0

    good = tmp_path / "fixed.csv"
    good.write_text(f"indicator,period,value\n{code},2026-10,3\n")
    page.goto(f"{server.url}/indicators/import")
    page.get_by_label(re.compile("File")).set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name=re.compile("^Import")).click()
    page.wait_for_url(re.compile(r".*/indicators\?imported=\d+"))
    checked(page, "import-done")


def test_without_the_role_no_button_and_the_address_refused(page: Any, server: Server) -> None:
    database = Database(url=server.database_url)
    try:
        services = server_services(server.env, database)
        spec = NewNonconformity(title="Badge reader down", process="STE-01", source="incident")
        record_id = nonconformities.new(services, "hmarchal", spec).id
    finally:
        database.dispose()
    record = f"{server.url}/records/nonconformity/{record_id}"
    sign_in(page, server, "jcarre")  # an internal auditor: may read it, not move it
    page.goto(record)
    assert "Badge reader down" in page.locator("h1").inner_text()
    assert page.locator(".triggers a").count() == 0
    response = page.goto(f"{record}/fire/contain")
    assert response is not None and response.status == 403
    checked(page, "refused")
