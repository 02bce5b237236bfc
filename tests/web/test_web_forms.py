"""The forms of the daily work: log a nonconformity, propose an action, record an
indicator's value (and correct it), import a file of values; each refusal named next to
its field with nothing written, and what a person typed never read as markup."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import ImprovementAction, Measurement, MeasurementRevision, Nonconformity
from qms.services.indicators import files as indicators_file
from qms.services.indicators import service as indicators
from tests.factories import ROOT, snapshot
from tests.web.conftest import Browser

XSS = ("<script>alert(1)</script>", '"onmouseover="x')
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;onmouseover=&#34;x")


@pytest.fixture
def loaded(app: Services) -> Services:
    """The example institution with its indicators."""
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        indicators.load(uow.session, spec, app.engine.today())
        uow.commit()
    return app


def signed(browser: Browser, handle: str) -> Browser:
    assert browser.sign_in(handle).status_code == 303  # type: ignore[attr-defined]
    return browser


def get(browser: Browser, url: str) -> Any:
    return browser.get(url)


def post(browser: Browser, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    get(browser, url if "/import/" not in url else "/indicators")  # a page's token
    return browser.post(url, data, follow_redirects=False, **kwargs)


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<span class="error" id="{name}-error">([^<]*)</span>', html)
    assert found, f"no error shown next to {name}"
    return found.group(1)


def all_of(app: Services, model: type[Any]) -> list[Any]:
    with app.database.reading() as session:
        return list(session.scalars(select(model).order_by(model.id)))


# --- a new nonconformity ---------------------------------------------------------------------


def test_the_nonconformity_form_offers_only_the_persons_processes(
    browser: Browser, app: Services
) -> None:
    page = signed(browser, "ymasson").get("/nonconformities/new").text
    offered = set(re.findall(r'<option value="([A-Z]{3}-\d\d)"', page))
    assert offered == {"TRN-03", "RSC-01"}  # the two processes Yann Masson is correspondent of
    assert "csrf_token" in page and '<label for="f-title">' in page
    assert ">Complaint<" in page and ">Internal audit<" in page  # sources by their labels
    everything = signed(browser, "tbrunet").get("/nonconformities/new").text
    assert {"TRN-04", "STE-01", "RSC-01"} <= set(re.findall(r'value="([A-Z]{3}-\d\d)"', everything))


NC = {
    "title": "Certificates late",
    "description": "Six trainees waited a month.",
    "process": "TRN-03",
    "source": "incident",
    "severity": "major",
    "detected_on": "2026-11-20",
    "detected_by": "kchevalier",
}


def test_a_nonconformity_is_logged_and_the_browser_sent_to_its_page(
    browser: Browser, app: Services
) -> None:
    response = post(signed(browser, "ymasson"), "/nonconformities/new", NC)
    [nc] = all_of(app, Nonconformity)
    assert response.status_code == 303
    assert response.headers["location"] == f"/records/nonconformity/{nc.id}"
    assert [nc.title, nc.source, nc.severity, str(nc.detected_on)] == [
        NC[k] for k in ("title", "source", "severity", "detected_on")
    ]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"detected_on": "2026-12-24"}, "detected_on", "in the future"),
        ({"detected_on": "24/11/2026"}, "detected_on", "is not a date"),
        ({"title": "  "}, "title", "is required"),
        ({"source": "complaint"}, "reference", "complainant"),
        ({"detected_by": "nobody"}, "detected_by", "unknown person"),
    ],
)
def test_a_wrong_nonconformity_is_refused_next_to_its_field_and_nothing_written(
    browser: Browser, app: Services, changes: dict[str, str], field: str, words: str
) -> None:
    signed(browser, "ymasson")
    data = {**NC, **changes}
    before = snapshot(app.database)
    response = post(browser, "/nonconformities/new", data)
    assert response.status_code == 400
    assert words in field_error(response.text, field)
    assert 'aria-invalid="true"' in response.text and "Nothing was saved." in response.text
    if changes.get("title") is None:
        assert 'value="Certificates late"' in response.text  # what was typed is kept
    assert snapshot(app.database) == before


# --- a new action ------------------------------------------------------------------------------

ACTION = {
    "title": "Send certificates within a week",
    "process": "TRN-03",
    "owner": "kchevalier",
    "due_date": "2026-12-31",
    "kind": "corrective",
    "priority": "high",
    "origin": "suggestion",
    "effectiveness_criteria": "No certificate later than a week for a term",
    "effectiveness_check_date": "2027-03-31",
}


def test_an_action_is_proposed_with_an_owner_of_the_process(
    browser: Browser, app: Services
) -> None:
    signed(browser, "ymasson")
    form = get(browser, "/actions/new?process=TRN-03").text
    owners = re.search(r'<select id="f-owner".*?</select>', form, re.S)
    assert (
        owners and "Karim Chevalier" in owners.group(0) and "Émilie Benoit" not in owners.group(0)
    )
    response = post(browser, "/actions/new", ACTION)
    [action] = all_of(app, ImprovementAction)
    assert response.status_code == 303
    assert response.headers["location"] == f"/records/improvement_action/{action.id}"
    assert [action.kind, action.priority, str(action.due_date)] == [
        ACTION[k] for k in ("kind", "priority", "due_date")
    ]


def test_the_owner_chooser_follows_the_process_chosen(browser: Browser, app: Services) -> None:
    signed(browser, "tbrunet")
    fragment = get(browser, "/forms/people?field=owner&process=TRN-04").text
    assert fragment.lstrip().startswith('<p id="owner-field">') and "<html" not in fragment
    assert "Émilie Benoit · Process pilot" in fragment and "Karim Chevalier" not in fragment


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"due_date": "2026-13-01"}, "due_date", "is not a date"),
        ({"due_date": "2026-01-15"}, "due_date", "in the past"),
        ({"due_date": ""}, "due_date", "give the date"),
        ({"owner": "nobody"}, "owner", "unknown person"),
        ({"owner": "ebenoit"}, "owner", "holds no role on TRN-03"),
        ({"effectiveness_check_date": "2026-12-01"}, "effectiveness_check_date", "before the due"),
        ({"kind": "miracle"}, "kind", "is not one of"),
    ],
)
def test_a_wrong_action_is_refused_next_to_its_field_and_nothing_written(
    browser: Browser, app: Services, changes: dict[str, str], field: str, words: str
) -> None:
    signed(browser, "ymasson")
    before = snapshot(app.database)
    response = post(browser, "/actions/new", {**ACTION, **changes})
    assert response.status_code == 400
    assert words in field_error(response.text, field)
    assert 'value="Send certificates within a week"' in response.text
    assert snapshot(app.database) == before


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/nonconformities/new", {**NC, "process": "TRN-04"}),
        ("/actions/new", {**ACTION, "process": "TRN-04", "owner": "ebenoit"}),
    ],
)
def test_a_record_on_a_process_not_theirs_is_refused_with_403_and_nothing_written(
    browser: Browser, app: Services, url: str, data: dict[str, str]
) -> None:
    signed(browser, "ymasson")  # correspondent of TRN-03 only: TRN-04 is never offered
    before = snapshot(app.database)
    response = post(browser, url, data)
    assert response.status_code == 403 and "not one of your processes" in response.text
    assert snapshot(app.database) == before


def test_what_is_typed_in_a_form_comes_back_escaped(browser: Browser, app: Services) -> None:
    signed(browser, "ymasson")
    for payload, escaped in zip(XSS, ESCAPED, strict=True):
        data = {**ACTION, "due_date": "2020-01-01", "title": payload, "description": payload}
        data["origin_ref"] = data["effectiveness_criteria"] = payload
        page = post(browser, "/actions/new", data).text
        assert payload not in page and page.count(escaped) >= 4
        nc = {"title": payload, "description": payload, "reference": payload, "process": "TRN-03"}
        page = post(browser, "/nonconformities/new", {**nc, "detected_on": payload}).text
        assert payload not in page and page.count(escaped) >= 3


# --- indicators ------------------------------------------------------------------------------


def test_the_indicators_of_the_persons_processes_with_what_is_due(
    browser: Browser, loaded: Services
) -> None:
    page = signed(browser, "ymasson").get("/indicators").text
    assert "TRN-03-HOURS" in page and "RSC-01-TRAINING" in page
    assert "TRN-04-GRADES" not in page  # not one of Yann Masson's processes
    assert "Values due" in page and "value due for 2026-Q3" in page
    refused = get(browser, "/indicators/TRN-04-GRADES")
    assert refused.status_code == 403
    assert get(browser, "/indicators/NO-SUCH").status_code == 404
    everything = signed(browser, "hmarchal").get("/indicators").text
    assert "TRN-04-GRADES" in everything and "STE-01-OBJ" in everything


def test_a_value_is_recorded_then_corrected_with_a_reason(
    browser: Browser, loaded: Services
) -> None:
    signed(browser, "tbrunet")
    url = "/indicators/TRN-04-GRADES/values/new"
    form = get(browser, url).text
    assert '<option value="2026-10" selected>' in form  # the latest period without a value
    response = post(browser, url, {"period": "2026-10", "value": "91,5", "comment": "late juries"})
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/indicators/TRN-04-GRADES?recorded=2026-10&outcome=created"
    )
    shown = get(browser, response.headers["location"]).text
    assert "91.5 %" in shown and "Off target" in shown and "Thomas Brunet" in shown
    assert "Record a value" in shown and "late juries" in shown

    before = snapshot(loaded.database)
    refused = post(browser, url, {"period": "2026-10", "value": "93"})
    assert refused.status_code == 400 and "give a reason" in field_error(refused.text, "reason")
    assert snapshot(loaded.database) == before
    corrected = post(browser, url, {"period": "2026-10", "value": "93", "reason": "jury 3 late"})
    assert corrected.status_code == 303 and corrected.headers["location"].endswith("corrected")
    [measurement] = all_of(loaded, Measurement)
    assert (measurement.value, measurement.revision, measurement.source) == (93.0, 2, "web form")
    assert [r.reason for r in all_of(loaded, MeasurementRevision)] == ["", "jury 3 late"]
    page = get(browser, "/indicators/TRN-04-GRADES").text
    assert "91.5 % → 93 %" in page and "jury 3 late" in page


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"period": "2026-11", "value": "90"}, "period", "once it is over"),
        ({"period": "2026-Q3", "value": "90"}, "period", "not a monthly period"),
        ({"period": "2026-10", "value": "abc"}, "value", "is not a number"),
        ({"period": "2026-10", "value": "120"}, "value", "outside the possible values"),
        ({"period": "2026-10", "value": ""}, "value", "no value"),
    ],
)
def test_a_wrong_value_is_refused_next_to_its_field(
    browser: Browser, loaded: Services, data: dict[str, str], field: str, words: str
) -> None:
    signed(browser, "tbrunet")
    before = snapshot(loaded.database)
    response = post(browser, "/indicators/TRN-04-GRADES/values/new", data)
    assert response.status_code == 400 and words in field_error(response.text, field)
    assert snapshot(loaded.database) == before


def test_who_may_not_record_an_indicator_is_refused(browser: Browser, loaded: Services) -> None:
    signed(browser, "jcarre")  # an auditor sees every indicator, records none of TRN-04
    assert get(browser, "/indicators/TRN-04-GRADES").status_code == 200
    assert "Record a value" not in get(browser, "/indicators/TRN-04-GRADES").text
    assert get(browser, "/indicators/TRN-04-GRADES/values/new").status_code == 403
    before = snapshot(loaded.database)
    get(browser, "/indicators")
    response = browser.post(
        "/indicators/TRN-04-GRADES/values/new", {"period": "2026-10", "value": "90"}
    )
    assert response.status_code == 403
    assert "may not record values" in response.text
    assert snapshot(loaded.database) == before


def test_the_chart_is_inlined_without_any_style(browser: Browser, loaded: Services) -> None:
    signed(browser, "tbrunet")
    for month, value in (("07", "96"), ("08", "88"), ("09", "80"), ("10", "97")):
        post(
            browser,
            "/indicators/TRN-04-GRADES/values/new",
            {"period": f"2026-{month}", "value": value},
        )
    page = get(browser, "/indicators/TRN-04-GRADES").text
    chart = re.search(r"<svg.*?</svg>", page, re.S)
    assert chart and "TRN-04-GRADES" in chart.group(0)
    assert "style" not in chart.group(0).lower() and "<?xml" not in chart.group(0)
    assert "Alert" in page  # 80 % is past the alert threshold of 85 %


def test_comments_and_reasons_come_back_escaped(browser: Browser, loaded: Services) -> None:
    signed(browser, "tbrunet")
    url = "/indicators/TRN-04-GRADES/values/new"
    post(browser, url, {"period": "2026-09", "value": "90", "comment": XSS[0]})
    post(browser, url, {"period": "2026-09", "value": "91", "reason": XSS[1], "comment": XSS[1]})
    page = get(browser, "/indicators/TRN-04-GRADES").text
    assert XSS[0] not in page and XSS[1] not in page
    assert ESCAPED[1] in page
    form = post(browser, url, {"period": "2026-09", "value": XSS[0], "comment": XSS[0]}).text
    assert XSS[0] not in form and ESCAPED[0] in form


# --- importing a file of values ------------------------------------------------------------


def upload(browser: Browser, name: str, content: bytes, reason: str = "") -> Any:
    return post(
        browser,
        "/indicators/import",
        {"reason": reason},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_an_import_names_the_bad_row_stores_nothing_then_imports_the_fixed_file(
    browser: Browser, loaded: Services
) -> None:
    signed(browser, "tbrunet")
    bad = b"indicator;period;value;comment\nTRN-04-GRADES;2026-09;92;\nTRN-04-GRADES;2026-10;n/a;\n"
    before = snapshot(loaded.database)
    sent = upload(browser, "october.csv", bad)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/indicators/import/")
    preview = get(browser, sent.headers["location"])
    assert preview.status_code == 400
    assert "row 3: &#39;n/a&#39; is not a number" in preview.text
    assert 'id="row-3"' in preview.text and 'value="import"' not in preview.text
    assert snapshot(loaded.database) == before

    fixed = bad.replace(b"n/a", b"88,5")
    sent = upload(browser, "october.csv", fixed)
    preview = get(browser, sent.headers["location"])
    assert preview.status_code == 200
    assert "Import 2 values" in preview.text and "2 new values" in preview.text
    assert snapshot(loaded.database) == before  # the preview stores nothing
    done = post(browser, sent.headers["location"], {"step": "import"})
    assert done.status_code == 303 and done.headers["location"] == "/indicators?imported=2"
    values = {m.period: (m.value, m.source) for m in all_of(loaded, Measurement)}
    assert values == {
        "2026-09": (92.0, "import october.csv"),
        "2026-10": (88.5, "import october.csv"),
    }
    assert "Imported: 2 values." in get(browser, "/indicators?imported=2").text
    gone = get(browser, sent.headers["location"])
    assert gone.status_code == 404


def test_an_import_that_corrects_a_value_asks_for_a_reason(
    browser: Browser, loaded: Services
) -> None:
    signed(browser, "tbrunet")
    post(browser, "/indicators/TRN-04-GRADES/values/new", {"period": "2026-10", "value": "90"})
    sent = upload(browser, "fix.csv", b"indicator,period,value\nTRN-04-GRADES,2026-10,91\n")
    preview = get(browser, sent.headers["location"]).text
    assert "give a reason below" in preview and "--reason" not in preview
    checked = post(browser, sent.headers["location"], {"step": "check", "reason": "typo"})
    assert checked.status_code == 303
    preview = get(browser, sent.headers["location"]).text
    assert "Import 1 value" in preview and "1 correction" in preview
    done = post(browser, sent.headers["location"], {"step": "import", "reason": "typo"})
    assert done.status_code == 303
    assert [r.reason for r in all_of(loaded, MeasurementRevision)] == ["", "typo"]


def test_an_import_reads_a_workbook_by_its_content_and_refuses_other_files(
    browser: Browser, loaded: Services
) -> None:
    signed(browser, "tbrunet")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["indicator", "period", "value"])
    sheet.append(["TRN-04-GRADES", "2026-10", 93])
    data = io.BytesIO()
    book.save(data)
    sent = upload(browser, "values.bin", data.getvalue())
    preview = get(browser, sent.headers["location"])
    assert preview.status_code == 200 and "Import 1 value" in preview.text

    pdf = get(browser, upload(browser, "values.csv", b"%PDF-1.7 not values").headers["location"])
    assert pdf.status_code == 400 and "looks like a PDF document" in pdf.text
    assert 'value="import"' not in pdf.text

    too_big = upload(browser, "big.csv", b"x" * (loaded.settings.upload_max_bytes + 1))
    assert too_big.status_code == 400
    assert "larger than 5 MB" in field_error(too_big.text, "file")
    nothing = upload(browser, "empty.csv", b"")
    assert nothing.status_code == 400 and "is empty" in field_error(nothing.text, "file")


def test_an_upload_is_kept_for_its_session_only(browser: Browser, loaded: Services) -> None:
    signed(browser, "tbrunet")
    sent = upload(browser, "v.csv", b"indicator,period,value\nTRN-04-GRADES,2026-10,91\n")
    where = sent.headers["location"]
    other = signed(Browser(TestClient(browser.client.app, base_url="http://127.0.0.1")), "hmarchal")
    assert get(other, where).status_code == 404
    assert get(other, "/indicators/import/..%2F..%2Fetc").status_code == 404


def test_an_imported_cell_comes_back_escaped(browser: Browser, loaded: Services) -> None:
    signed(browser, "tbrunet")
    content = f"indicator;period;value;comment\n{XSS[0]};2026-10;1;{XSS[0]}\n".encode()
    preview = get(browser, upload(browser, "x.csv", content).headers["location"]).text
    assert XSS[0] not in preview and ESCAPED[0] in preview


# --- where a value came from ---------------------------------------------------------------


def test_a_value_from_the_web_form_is_stored_as_coming_from_the_web_form(
    browser: Browser, loaded: Services
) -> None:
    signed(browser, "tbrunet")
    url = "/indicators/TRN-04-GRADES/values/new"
    assert post(browser, url, {"period": "2026-10", "value": "90"}).status_code == 303
    corrected = post(browser, url, {"period": "2026-10", "value": "91", "reason": "typo"})
    assert corrected.status_code == 303
    [measurement] = all_of(loaded, Measurement)
    assert (measurement.value, measurement.source) == (91.0, "web form")
    assert [r.source for r in all_of(loaded, MeasurementRevision)] == ["web form", "web form"]


def test_the_command_line_still_stores_its_values_as_from_the_command_line(
    loaded: Services,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.cli import run

    monkeypatch.setenv("QMS_DATABASE_URL", loaded.database.url)
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(ROOT / "workflows"))
    monkeypatch.setenv("QMS_TRAIL_KEY_FILE", str(tmp_path / "trail.key"))
    done = run(capsys, "indicator", "record", "TRN-04-GRADES", "2026-09", "90", "--as", "tbrunet")
    assert done.code == 0, done.err
    [measurement] = all_of(loaded, Measurement)
    assert (measurement.period, measurement.source) == ("2026-09", "command line")
    assert [r.source for r in all_of(loaded, MeasurementRevision)] == ["command line"]


def test_the_services_refusal_of_a_comment_is_shown_next_to_the_comment(
    browser: Browser, loaded: Services
) -> None:
    """The form holds no rule of its own: the service's check of the comment (no control
    character) comes back next to the form's field, what was typed kept."""
    signed(browser, "tbrunet")
    before = snapshot(loaded.database)
    data = {"period": "2026-10", "value": "90", "comment": "late\x07 juries"}
    refused = post(browser, "/indicators/TRN-04-GRADES/values/new", data)
    assert refused.status_code == 400
    assert "control character" in field_error(refused.text, "comment")
    assert 'value="90"' in refused.text
    assert snapshot(loaded.database) == before
