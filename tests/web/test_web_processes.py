"""The process map's pages: the tree with each process's people and open work, a process in
full, a person's roles over time, and each workflow's state diagram (SQLite and PostgreSQL).

Thomas Brunet (tbrunet) is the quality manager and sees every process; Yann Masson
(ymasson) is a correspondent on TRN-03 and RSC-01 only; Juliette Carré (jcarre) pilots
ECO-02.
"""

from __future__ import annotations

import re
from datetime import date
from html import escape

from sqlalchemy import event

from qms.bootstrap import Services
from qms.services.capa import actions, nonconformities
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from qms.services.processmap import files as processmap_file
from qms.services.processmap import pages, process_page
from qms.services.processmap import service as processmap
from tests.factories import PROCESS_MAP, ROOT, snapshot
from tests.web.conftest import Browser

HOSTILE = ("<script>alert(1)</script>", '"onmouseover="x')
SVG = re.compile(r"<svg.*?</svg>", re.S)


def _page(browser: Browser, url: str, who: str | None = "tbrunet", status: int = 200) -> str:
    """The page at ``url`` as ``who`` sees it (None: whoever is signed in already)."""
    if who is not None:
        browser.sign_in(who)
    response = browser.get(url)
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    return response.text  # type: ignore[attr-defined,no-any-return]


def _entry(html: str, code: str) -> str:
    """The tree's entry of one process: from its link to the next process's."""
    start = html.index(f'href="/processes/{code}"')
    following = html.find('href="/processes/', start + 1)
    return html[start : following if following > 0 else len(html)]


def _nonconformity(app: Services, process: str, title: str = "Exam rooms double-booked") -> int:
    return nonconformities.new(app, "tbrunet", NewNonconformity(title=title, process=process)).id


def _action(app: Services, process: str, due: date, title: str = "Book rooms in one tool") -> int:
    spec = NewAction(title=title, process=process, owner="cfontaine", due_date=due)
    return actions.new(app, "tbrunet", spec, allow_past_due=True).id


def test_a_page_of_the_map_needs_a_signed_in_person(browser: Browser) -> None:
    response = browser.get("/processes", follow_redirects=False)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].startswith("/sign-in")  # type: ignore[attr-defined]


def test_the_map_shows_each_macro_process_and_each_pilot_by_name(browser: Browser) -> None:
    html = _page(browser, "/processes")
    spec = processmap_file.read(PROCESS_MAP)
    names = {p.id: p.name for p in spec.people}
    assert 'class="tree"' in html
    assert "<title>Process map · Valbrune School of Engineering</title>" in html
    for macro in spec.macro_processes:
        assert f"{macro.code} · {macro.name}" in html
        for process in macro.processes:
            entry = _entry(html, process.code)
            assert process.name in entry
            assert f'<a href="/people/{process.pilot}">{names[process.pilot]}</a>' in entry
            for handle in process.correspondents:
                assert f'<a href="/people/{handle}">{names[handle]}</a>' in entry
    assert "Quality manager" in html and '<a href="/people/tbrunet">Thomas Brunet</a>' in html
    assert "tbrunet</a>" not in html  # people by name, never by handle


def test_the_map_counts_open_work_and_links_to_the_registers(
    app: Services, browser: Browser
) -> None:
    _nonconformity(app, "TRN-03")
    _action(app, "TRN-03", date(2026, 11, 1))  # overdue on 25 Nov 2026
    _action(app, "TRN-03", date(2026, 12, 15))
    entry = _entry(_page(browser, "/processes"), "TRN-03")
    assert "1 open nonconformity" in entry and "2 open actions" in entry
    assert "1 overdue" in entry
    assert 'href="/actions?process=TRN-03&amp;overdue=1"' in entry
    assert 'href="/nonconformities?process=TRN-03&amp;state=detected&amp;state=contained' in entry
    assert 'href="/actions?process=TRN-03&amp;state=proposed' in entry
    assert "Nothing open" in _entry(_page(browser, "/processes", who=None), "RSC-04")


def test_the_map_counts_only_what_the_reader_may_see(app: Services, browser: Browser) -> None:
    _nonconformity(app, "TRN-03")
    _nonconformity(app, "ECO-01")
    html = _page(browser, "/processes", who="ymasson")
    assert "1 open nonconformity" in _entry(html, "TRN-03")
    eco = _entry(html, "ECO-01")
    assert "open" not in eco and "Nothing" not in eco  # neither counted nor said to be empty
    assert "Antoine Picard" in eco  # the map itself is everyone's


def test_a_process_in_full(app: Services, browser: Browser) -> None:
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()
    indicators.record(app, "jcarre", "ECO-02-STARTUPS", "2026-S1", 8)
    nc = _nonconformity(app, "ECO-02", "Incubator contract unsigned")
    html = _page(browser, "/processes/ECO-02", who="jcarre")
    assert "<h1>ECO-02 · Business creation and incubator" in html
    assert '<a href="/people/jcarre">Juliette Carré</a>' in html
    assert '<a href="/people/dlacroix">David Lacroix</a>' in html
    assert "Open nonconformities" in html and f'href="/records/nonconformity/{nc}"' in html
    assert "Incubator contract unsigned" in html
    assert '<a href="/indicators/ECO-02-STARTUPS">ECO-02-STARTUPS</a>' in html
    assert re.search(r'class="state late">Alert<', html)  # 8 start-ups: past the alert threshold
    assert "No audit of this process yet." in html and "No review of this process yet." in html


def test_a_process_shows_the_purpose_inputs_and_outputs_of_the_map(browser: Browser) -> None:
    html = _page(browser, "/processes/STE-02")
    assert "Run the quality management system" in html
    assert "Indicator results of every process" in html and "All processes" in html
    assert "Management review pack" in html and '<a href="/processes/STE-01">STE-01</a>' in html
    assert "Corrective actions closed without an effectiveness check" in html


def test_a_process_outside_the_readers_roles_shows_no_record(
    app: Services, browser: Browser
) -> None:
    _nonconformity(app, "ECO-01", "Partner survey never sent")
    html = _page(browser, "/processes/ECO-01", who="ymasson")
    assert "Antoine Picard" in html and "Industrial partnerships" in html
    assert "Partner survey never sent" not in html and "Open work" not in html
    assert "Your roles do not include this process" in html


def test_a_person_and_the_history_of_their_roles(
    app: Services, browser: Browser, tmp_path: object
) -> None:
    """On 1 June 2026 Camille Fontaine takes over ECO-01 from Antoine Picard, who stays on
    it as its correspondent."""
    text = PROCESS_MAP.read_text(encoding="utf-8")
    swapped = text.replace("pilot: apicard\n        correspondents: [cfontaine]",
                           "pilot: cfontaine\n        correspondents: [apicard]")  # fmt: skip
    assert swapped != text
    path = tmp_path / "map.yaml"  # type: ignore[operator]
    path.write_text(swapped, encoding="utf-8")
    with app.database.unit_of_work() as uow:
        processmap.load(uow.session, processmap_file.read(path), date(2026, 6, 1))
        uow.commit()
    html = _page(browser, "/people/apicard")
    assert "<h1>Antoine Picard" in html
    today, history = html.split('id="h-history"')
    assert "Quality correspondent" in today and "Process pilot" not in today
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)
    pilot = next(r for r in rows if "Process pilot" in r)
    assert "5 Jan 2026" in pilot and "31 May 2026" in pilot and "ended" in pilot
    helper = next(r for r in rows if "Quality correspondent" in r)
    assert "1 Jun 2026" in helper and "no end set" in helper and "held" in helper
    assert '<a href="/processes/ECO-01">ECO-01</a>' in pilot
    assert "Process pilot" in _page(browser, "/people/cfontaine", None).split('id="h-history"')[0]


def test_a_persons_open_actions_as_far_as_the_reader_may_see_them(
    app: Services, browser: Browser
) -> None:
    seen = _action(app, "TRN-03", date(2026, 11, 1), "Check the exam room bookings")
    _action(app, "TRN-04", date(2026, 12, 1), "Publish grades within 15 days")
    everything = _page(browser, "/people/cfontaine")
    assert f'href="/records/improvement_action/{seen}"' in everything
    assert "Publish grades within 15 days" in everything and "late by 24 days" in everything
    limited = _page(browser, "/people/cfontaine", who="ymasson")
    assert "Check the exam room bookings" in limited
    assert "Publish grades within 15 days" not in limited
    assert "Actions on processes your roles do not include are not listed." in limited


def test_an_unknown_process_person_or_kind_is_a_404_page(browser: Browser) -> None:
    browser.sign_in("tbrunet")
    for url, said in (
        ("/processes/NOPE-01", "no process &#39;NOPE-01&#39;"),
        ("/people/nobody", "no person &#39;nobody&#39;"),
        ("/workflows/complaint", "no workflow for records of kind &#39;complaint&#39;"),
    ):
        html = _page(browser, url, who=None, status=404)
        assert "Not found" in html and "<!DOCTYPE html>" in html and said in html


def test_a_diagram_for_each_shipped_workflow(app: Services, browser: Browser) -> None:
    registry = app.registry
    index = _page(browser, "/workflows")
    for name in registry.names:
        definition = registry.current(name)
        assert f'href="/workflows/{definition.record_kind}"' in index
        html = _page(browser, f"/workflows/{definition.record_kind}", who=None)
        (svg,) = SVG.findall(html)
        assert 'class="diagram" tabindex="0"' in html
        assert "style" not in svg and " style=" not in html and "<style" not in html
        for state in definition.states.values():
            assert escape(state.label) in svg, state.name
        for transition in definition.transitions:
            assert escape(transition.label) in svg, transition.trigger
            row = html.split(f"<strong>{transition.trigger.replace('_', ' ').capitalize()}")
            assert len(row) > 1, transition.trigger  # the table's row of the step
    nc = _page(browser, "/workflows/nonconformity", who=None)
    assert "Quality correspondent, Process pilot" in nc  # who may contain it
    action = _page(browser, "/workflows/improvement_action", who=None)
    assert "never the record's owner" in action


def test_free_text_comes_back_escaped(app: Services, browser: Browser) -> None:
    for text in HOSTILE:
        _nonconformity(app, "TRN-03", f"Rooms {text}")
        _action(app, "TRN-03", date(2026, 12, 1), f"Book {text}")
    browser.sign_in("tbrunet")
    pages = [_page(browser, url, None) for url in ("/processes/TRN-03", "/people/cfontaine")]
    for html in pages:
        assert "<script>alert(1)</script>" not in html and '"onmouseover="x' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&#34;onmouseover=&#34;x" in html


def test_reading_the_pages_writes_nothing(app: Services, browser: Browser) -> None:
    _nonconformity(app, "TRN-03")
    browser.sign_in("ymasson")
    before = snapshot(app.database)
    for url in ("/processes", "/processes/TRN-03", "/people/ymasson", "/workflows/nonconformity"):
        assert browser.get(url).status_code == 200  # type: ignore[attr-defined]
    assert snapshot(app.database) == before


def test_the_map_and_a_process_cost_the_same_queries_with_more_records(app: Services) -> None:
    """A fixed number of queries, whatever the number of records and people."""

    def queries() -> tuple[int, int]:
        counted: list[str] = []

        def listen(*args: object) -> None:  # before_cursor_execute(conn, cursor, statement, ...)
            counted.append(str(args[2]))

        event.listen(app.database.engine, "before_cursor_execute", listen)
        try:
            pages.process_map(app, "tbrunet")
            first = len(counted)
            process_page.process_page(app, "tbrunet", "TRN-03")
            return first, len(counted) - first
        finally:
            event.remove(app.database.engine, "before_cursor_execute", listen)

    _action(app, "TRN-03", date(2026, 12, 1))
    few = queries()
    for n in range(4):
        _nonconformity(app, "TRN-03", f"Rooms double-booked {n}")
        _action(app, "TRN-03", date(2026, 12, 1), f"Book rooms {n}")
    assert queries() == few
