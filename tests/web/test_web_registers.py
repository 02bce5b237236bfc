"""The registers of actions and nonconformities (/actions, /nonconformities): filters,
sorting, pages, who sees what, the CSV and XLSX downloads, and wrong filters named.

Karim Chevalier (kchevalier) pilots TRN-03 (and contributes to STE-03); Hélène Marchal
(hmarchal) is a director and sees everything. Today is 25 Nov 2026.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.services import accounts, shared
from qms.services.capa import actions, nonconformities
from qms.services.capa import register_pages as queries
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.web.registers_spec import ACTIONS, NONCONFORMITIES
from tests.factories import snapshot
from tests.web.conftest import NOW, PASSWORD, Browser

PILOT, DIRECTOR = "kchevalier", "hmarchal"
EVIL = '=HYPERLINK("http://evil","x")'
XSS = '<script>alert(1)</script> "onmouseover="x'
Ids = dict[str, int]


def _action(app: Services, title: str, process: str, owner: str, due: date, **more: Any) -> int:
    spec = NewAction(title=title, process=process, owner=owner, due_date=due, **more)
    return actions.new(app, "tbrunet", spec, allow_past_due=True).id


@pytest.fixture
def ids(app: Services, clock: FixedClock) -> Ids:
    """Six actions and two nonconformities on four processes."""
    accounts.create(app, PILOT, PASSWORD)
    clock.at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    found = {"a1": _action(app, "Renew the lab safety plan", "RES-02", "jcarre", date(2026, 4, 1),
                           priority="low")}  # fmt: skip
    clock.at = NOW
    nc1 = nonconformities.new(
        app,
        "tbrunet",
        NewNonconformity(
            title="Attendance sheets unsigned",
            process="TRN-03",
            source="complaint",
            reference="CPL-7",
            detected_on=date(2026, 10, 1),
        ),
    ).id
    nc2 = nonconformities.new(
        app,
        "tbrunet",
        NewNonconformity(title=XSS, process="ECO-02", source="incident", severity="major"),
    ).id
    found |= {
        "a2": _action(app, "Publish grades within 15 days", "TRN-03", "ymasson",
                      date(2026, 12, 20), priority="high"),
        "a3": _action(app, EVIL, "ECO-02", PILOT, date(2026, 12, 10)),
        "a4": _action(app, XSS, "ECO-02", "jcarre", date(2027, 1, 15), description=XSS),
        "a5": _action(app, "Review the audit programme", "STE-02", "cfontaine",
                      date(2026, 12, 5), origin="management_review"),
        "a6": _action(app, "Sign every attendance sheet", "TRN-03", "ymasson",
                      date(2026, 12, 31), kind="corrective", origin="nonconformity",
                      origin_ref=str(nc1)),
        "nc1": nc1,
        "nc2": nc2,
    }  # fmt: skip
    shared.fire(app.database, app.engine, "improvement_action", found["a5"], "approve", "tbrunet")
    return found


def listed(response: Any, kind: str = "improvement_action") -> list[int]:
    """The records of the page, in its order."""
    assert response.status_code == 200, response.text
    return [int(n) for n in re.findall(rf'href="/records/{kind}/(\d+)"', response.text)]


def _named(ids: Ids, *names: str) -> list[int]:
    return [ids[name] for name in names]


def test_the_register_shows_names_labels_and_what_is_late(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    page = browser.get("/actions")
    assert set(listed(page)) == set(_named(ids, "a1", "a2", "a3", "a4", "a5", "a6"))
    text = page.text  # type: ignore[attr-defined]
    assert "<td>Juliette Carré</td>" in text and "<td>jcarre</td>" not in text  # by name
    assert '<span class="state late">Proposed</span>' in text  # a1, due 1 Apr
    assert "238 days late" in text and '<span class="state">Approved</span>' in text
    assert "Management review" in text and "Low" in text
    assert 'href="/actions/new"' in text and "New action" in text
    assert "rows 1–6 of 6" in text and "6 actions" in text
    assert 'aria-sort="ascending"' in text  # by due date, the default


ACTION_FILTERS = [
    ("process=TRN-03", ("a2", "a6")),
    ("macro=ECO", ("a3", "a4")),
    ("owner=jcarre", ("a1", "a4")),
    ("state=approved", ("a5",)),
    ("state=approved&state=proposed", ("a1", "a5", "a3", "a2", "a6", "a4")),
    ("overdue=1", ("a1",)),
    ("origin=management_review", ("a5",)),
    ("since=2026-11-01", ("a5", "a3", "a2", "a6", "a4")),
    ("until=2026-03-31", ("a1",)),
    ("process=TRN-03&origin=nonconformity&state=proposed", ("a6",)),
]


def test_actions_filter_as_the_command_line_does(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    for query, expected in ACTION_FILTERS:
        assert listed(browser.get(f"/actions?{query}")) == _named(ids, *expected), query


NC_FILTERS = [
    ("", ("nc2", "nc1")),  # newest first
    ("source=incident", ("nc2",)),
    ("process=TRN-03", ("nc1",)),
    ("since=2026-11-01", ("nc2",)),
    ("until=2026-10-01", ("nc1",)),
    ("state=detected&sort=severity", ("nc2", "nc1")),  # most severe first
    ("state=contained", ()),
]


def test_nonconformities_filter_by_source_process_date_and_state(
    browser: Browser, ids: Ids
) -> None:
    browser.sign_in(DIRECTOR)
    for query, expected in NC_FILTERS:
        page = browser.get(f"/nonconformities?{query}")
        assert listed(page, "nonconformity") == _named(ids, *expected), query
    assert "No nonconformity matches these filters." in page.text  # type: ignore[attr-defined]


def test_a_nonconformity_shows_its_severity_source_and_corrective_actions(
    browser: Browser, ids: Ids
) -> None:
    browser.sign_in(DIRECTOR)
    text = browser.get("/nonconformities?process=TRN-03").text  # type: ignore[attr-defined]
    assert "Complaint" in text and "Minor" in text and "1 Oct 2026" in text
    assert '<td class="n">1</td>' in text  # a6 is its corrective action
    assert 'href="/nonconformities/new"' in text


SORTS = [
    ("sort=due", ("a1", "a5", "a3", "a2", "a6", "a4")),
    ("sort=due&dir=desc", ("a4", "a6", "a2", "a3", "a5", "a1")),
    ("sort=process", ("a3", "a4", "a1", "a5", "a2", "a6")),
    ("sort=priority&dir=desc", ("a2", "a6", "a5", "a4", "a3", "a1")),
    ("sort=state", ("a1", "a2", "a3", "a4", "a6", "a5")),  # in the workflow's order
    ("sort=owner", ("a5", "a1", "a4", "a3", "a2", "a6")),  # Camille, Juliette, Karim, Yann
    ("sort=id&dir=desc", ("a6", "a5", "a4", "a3", "a2", "a1")),
]


def test_a_click_on_a_heading_sorts_the_register(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    for query, expected in SORTS:
        assert listed(browser.get(f"/actions?{query}")) == _named(ids, *expected), query


def test_the_sorted_heading_says_so_and_turns_the_order_over(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    text = browser.get("/actions?owner=jcarre&sort=owner").text  # type: ignore[attr-defined]
    heading = re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="([^"]+)">Owner', text)
    assert heading is not None and "▲" in text
    assert heading.group(1) == "/actions?owner=jcarre&amp;sort=owner&amp;dir=desc"
    turned = browser.get("/actions?owner=jcarre&sort=owner&dir=desc").text  # type: ignore[attr-defined]
    assert 'aria-sort="descending"' in turned and "▼" in turned


def test_fifty_rows_a_page_and_the_download_has_every_row(
    browser: Browser, app: Services, ids: Ids
) -> None:
    for n in range(50):
        _action(app, f"Label the storage shelf {n:02}", "RSC-01", "amoulin", date(2027, 2, 1))
    browser.sign_in(DIRECTOR)
    first = browser.get("/actions?process=RSC-01&sort=title")
    assert len(listed(first)) == 50
    assert "rows 1–50 of 50" in first.text and 'rel="next"' not in first.text  # type: ignore[attr-defined]
    everything = browser.get("/actions")
    assert "rows 1–50 of 56" in everything.text  # type: ignore[attr-defined]
    assert 'href="/actions?page=2" rel="next"' in everything.text  # type: ignore[attr-defined]
    second = browser.get("/actions?page=2")
    assert len(listed(second)) == 6 and "rows 51–56 of 56" in second.text  # type: ignore[attr-defined]
    assert set(listed(second)).isdisjoint(listed(everything))
    assert 'href="/actions" rel="prev"' in second.text  # type: ignore[attr-defined]
    beyond = browser.get("/actions?page=9")  # past the end: the last page
    assert listed(beyond) == listed(second)
    rows = list(
        csv.reader(io.StringIO(browser.get("/actions?format=csv").content.decode("utf-8-sig")))
    )  # type: ignore[attr-defined]
    assert len(rows) == 1 + 56


def test_a_page_costs_the_same_queries_with_few_records_or_many(
    browser: Browser, app: Services, ids: Ids
) -> None:
    browser.sign_in(DIRECTOR)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.database.engine, "before_cursor_execute", count)
    try:
        browser.get("/actions?page=2")  # fewer rows than a page: no count needed
        browser.get("/actions?sort=owner")
        few = len(statements)
        for n in range(60):
            _action(app, f"Check the fire door {n}", "RSC-02", "sroux", date(2027, 3, 1))
        statements.clear()
        browser.get("/actions?page=2")
        browser.get("/actions?sort=owner")
        assert len(statements) <= few + 2  # one count a page, whatever the number of rows
    finally:
        event.remove(app.database.engine, "before_cursor_execute", count)


def test_a_pilot_sees_their_processes_and_their_own_actions_only(
    browser: Browser, ids: Ids
) -> None:
    browser.sign_in(PILOT)
    assert listed(browser.get("/nonconformities"), "nonconformity") == [ids["nc1"]]
    assert set(listed(browser.get("/actions"))) == set(_named(ids, "a2", "a3", "a6"))
    page = browser.get("/actions").text  # type: ignore[attr-defined]
    assert '<option value="TRN-03">' in page and '<option value="ECO-02">' not in page
    assert "the actions you own" in page
    refused = browser.get("/nonconformities?process=ECO-02")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "unknown process “ECO-02”" in refused.text  # type: ignore[attr-defined]
    assert f"/records/nonconformity/{ids['nc2']}" not in refused.text  # type: ignore[attr-defined]
    exported = browser.get("/nonconformities?format=csv").content.decode("utf-8-sig")  # type: ignore[attr-defined]
    assert "Attendance sheets unsigned" in exported and "onmouseover" not in exported


def test_a_director_sees_every_process(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    assert listed(browser.get("/nonconformities"), "nonconformity") == _named(ids, "nc2", "nc1")
    assert "the whole register" in browser.get("/nonconformities").text  # type: ignore[attr-defined]


def test_the_csv_download_is_inert_and_named_after_the_day(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    response = browser.get("/actions?macro=ECO&format=csv")
    assert response.status_code == 200  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"] == 'attachment; filename="actions-2026-11-25.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert [r["Number"] for r in rows] == [str(ids["a3"]), str(ids["a4"])]
    assert rows[0]["Title"] == "'" + EVIL  # a spreadsheet shows it as text, never a link
    assert rows[1]["Owner"] == "Juliette Carré" and rows[1]["State"] == "Proposed"
    assert rows[1]["Due date"] == "2027-01-15" and rows[1]["Title"] == XSS


def test_the_xlsx_download_holds_no_formula(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    response = browser.get("/actions?owner=kchevalier&format=xlsx")
    disposition = response.headers["content-disposition"]  # type: ignore[attr-defined]
    assert disposition == 'attachment; filename="actions-2026-11-25.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active  # type: ignore[attr-defined]
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet["B2"].value == "'" + EVIL and sheet["B2"].data_type == "s"
    assert sheet["A2"].value == ids["a3"] and sheet["F2"].value.date() == date(2026, 12, 10)


def test_text_people_typed_comes_back_escaped(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    for url in ("/actions", "/nonconformities", "/actions?process=<script>alert(1)</script>"):
        text = browser.get(url).text  # type: ignore[attr-defined]
        assert "<script>alert(1)</script>" not in text and '"onmouseover="x' not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


WRONG = [
    ("process=NOPE-1", "process", "unknown process “NOPE-1”"),
    ("since=2026-13-01", "since", "“2026-13-01” is not a date (YYYY-MM-DD)"),
    ("until=20261201", "until", "is not a date"),
    ("state=lost", "state", "“lost” is not a state of this register"),
    ("origin=rumour", "origin", "unknown value “rumour”"),
    ("owner=nobody", "owner", "“nobody” owns no action you see"),
    ("macro=XYZ", "macro", "unknown macro-process “XYZ”"),
    ("sort=password", "sort", "no column “password” to sort by"),
    ("dir=up", "dir", "neither asc nor desc"),
    ("page=0", "page", "“0” is not a page number"),
    ("format=pdf", "format", "neither csv nor xlsx"),
    ("overdue=maybe", "overdue", "1 for overdue only"),
]


def test_a_wrong_filter_is_refused_with_its_field_named(
    browser: Browser, app: Services, ids: Ids
) -> None:
    browser.sign_in(DIRECTOR)
    before = snapshot(app.database)
    for query, field, message in WRONG:
        response = browser.get(f"/actions?{query}")
        assert response.status_code == 400, query  # type: ignore[attr-defined]
        text = response.text  # type: ignore[attr-defined]
        assert f"({field}): " in text and message in text, query
        assert "/records/improvement_action/" not in text, query  # nothing listed
    assert snapshot(app.database) == before
    source = browser.get("/nonconformities?source=rumour")
    assert source.status_code == 400 and "Source (source): unknown value" in source.text  # type: ignore[attr-defined]


def test_a_date_that_does_not_exist_is_named_beside_its_field(browser: Browser, ids: Ids) -> None:
    browser.sign_in(DIRECTOR)
    text = browser.get("/nonconformities?since=2026-13-01&source=incident").text  # type: ignore[attr-defined]
    assert 'aria-invalid="true" aria-describedby="error-since"' in text
    assert '<span class="error" id="error-since">' in text
    assert '<option value="incident" selected>' in text  # what was typed is kept


def test_htmx_gets_the_register_alone_and_the_form_works_without_it(
    browser: Browser, ids: Ids
) -> None:
    browser.sign_in(DIRECTOR)
    partial = browser.get("/actions?state=approved", headers={"HX-Request": "true"})
    text = partial.text  # type: ignore[attr-defined]
    assert "<!DOCTYPE" not in text and 'id="register"' in text and listed(partial) == [ids["a5"]]
    full = browser.get("/actions").text  # type: ignore[attr-defined]
    assert '<form method="get" action="/actions" hx-get="/actions" hx-push-url="true"' in full
    assert '<input type="checkbox" name="state" value="approved">' in full


def test_a_register_needs_a_signed_in_person(browser: Browser) -> None:
    response = browser.get("/nonconformities?process=TRN-03", follow_redirects=False)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].startswith("/sign-in?next=/nonconformities")  # type: ignore[attr-defined]


def test_every_heading_is_a_sort_the_register_query_knows() -> None:
    assert ACTIONS.sorts == queries.ACTION_SORTS
    assert NONCONFORMITIES.sorts == queries.NC_SORTS
