"""The record page and its steps' forms: a nonconformity taken through its workflow by its
pilot, a stale form refused, a guard's refusal shown on the form, a person of another
process refused, the trail by name, what a person typed escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import ImprovementAction, Nonconformity
from qms.services.capa import nonconformities
from qms.services.capa.nonconformities import NewNonconformity
from tests.factories import snapshot
from tests.web.conftest import Browser

XSS = '<script>alert(1)</script> "onmouseover="x'
CONTAIN = {"containment": "Invoices held back", "consequences": ""}
ANALYSIS = {
    "root_cause": "No check of the supplier's rates",
    "cause_category": "method",
    "similar_nonconformities": "none",
    "corrective_action_needed": "yes",
}
PLAN = {
    "action_plan": "Check every rate against the contract",
    "action_owner": "dlacroix",
    "action_due_date": "2026-12-20",
    "effectiveness_criteria": "No wrong rate over three months",
    "effectiveness_check_date": "2027-03-31",
}


def _nc(app: Services, title: str = "Partner invoiced at the wrong rate", **more: Any) -> int:
    more.setdefault("reference", "CPL-2026-031")
    spec = NewNonconformity(title=title, process="ECO-02", source="complaint", **more)
    return nonconformities.new(app, "jcarre", spec).id  # jcarre pilots ECO-02


def _signed(browser: Browser, handle: str) -> Browser:
    assert browser.sign_in(handle).status_code == 303  # type: ignore[attr-defined]
    return browser


def _fire(browser: Browser, nc_id: int, trigger: str, values: dict[str, str]) -> Any:
    form = browser.get(f"/records/nonconformity/{nc_id}/fire/{trigger}")
    assert form.status_code == 200, form.text  # type: ignore[attr-defined]
    version = re.search(r'name="version" value="(\d+)"', form.text)  # type: ignore[attr-defined]
    assert version is not None
    return browser.post(
        f"/records/nonconformity/{nc_id}/fire/{trigger}",
        {"version": version.group(1), **values},
        follow_redirects=False,
    )


def _section(html: str, css: str) -> str:
    found = re.search(rf'<(ul|ol) class="{css}">(.*?)</\1>', html, re.S)
    return found.group(2) if found else ""


def _state(app: Services, nc_id: int) -> str:
    with app.database.reading() as session:
        found = session.get(Nonconformity, nc_id)
        assert found is not None
        return found.state


def test_the_pilot_contains_analyses_and_plans_a_nonconformity(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    page = browser.get(f"/records/nonconformity/{nc_id}").text  # type: ignore[attr-defined]
    assert "Partner invoiced at the wrong rate" in page and ">Detected</span>" in page
    assert f'href="/records/nonconformity/{nc_id}/fire/contain"' in _section(page, "triggers")
    assert "<dt>Source</dt>" in page and "Complaint" in page  # choices by label

    form = browser.get(f"/records/nonconformity/{nc_id}/fire/contain").text  # type: ignore[attr-defined]
    assert '<textarea id="f-containment" name="containment"' in form
    assert 'name="version" value="1"' in form and 'name="csrf_token"' in form
    done = _fire(browser, nc_id, "contain", CONTAIN)
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/records/nonconformity/{nc_id}?fired=")
    shown = browser.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert re.search(r'<p class="flash" role="status">Contained: Record the correction', shown)

    form = browser.get(f"/records/nonconformity/{nc_id}/fire/analyse").text  # type: ignore[attr-defined]
    assert '<option value="method">Method</option>' in form
    assert (
        'type="radio" id="f-corrective_action_needed" name="corrective_action_needed" value="yes"'
        in form
    )
    assert _fire(browser, nc_id, "analyse", ANALYSIS).status_code == 303

    form = browser.get(f"/records/nonconformity/{nc_id}/fire/plan_action").text  # type: ignore[attr-defined]
    owners = re.search(r'<select id="f-action_owner".*?</select>', form, re.S)
    assert owners is not None  # the people of ECO-02, by name
    assert (
        '<option value="dlacroix">David Lacroix · Quality correspondent</option>' in owners.group(0)
    )
    assert "Juliette Carré · Process pilot" in owners.group(
        0
    ) and "Yann Masson" not in owners.group(0)
    assert 'name="action_due_date" value=""\n    type="date"' in form
    assert _fire(browser, nc_id, "plan_action", PLAN).status_code == 303
    assert _state(app, nc_id) == "action_planned"

    page = browser.get(f"/records/nonconformity/{nc_id}").text  # type: ignore[attr-defined]
    with app.database.reading() as session:
        action = session.scalar(
            select(ImprovementAction).where(ImprovementAction.nonconformity_id == nc_id)
        )
        assert action is not None
    assert f'href="/records/improvement_action/{action.id}"' in page
    assert "David Lacroix" in page and "Corrective action planned" in page
    assert "<dt>Category of the cause</dt>" in page and "<dd>Method</dd>" in page
    # implement waits for the action: said, not offered as a button
    assert "/fire/implement" not in _section(page, "triggers")
    assert "This step cannot be taken yet: its corrective actions are not all done" in page
    back = browser.get(f"/records/improvement_action/{action.id}").text  # type: ignore[attr-defined]
    assert f'href="/records/nonconformity/{nc_id}"' in back and "Nonconformity #" in back


def test_the_trail_names_people_and_states_and_keeps_the_inputs(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    _fire(browser, nc_id, "contain", CONTAIN)
    _fire(browser, nc_id, "analyse", ANALYSIS)
    trail = _section(browser.get(f"/records/nonconformity/{nc_id}").text, "trail")  # type: ignore[attr-defined]
    assert trail.count('<a class="who" href="/people/jcarre">Juliette Carré</a>') == 3
    assert '<span class="state">Detected</span> → <span class="state">Contained</span>' in trail
    assert "<dt>Correction or containment done</dt>" in trail and "Invoices held back" in trail
    assert "<dt>Is a corrective action needed?</dt>\n          <dd>Yes</dd>" in trail
    assert ">jcarre<" not in trail and "action_planned" not in trail


def test_a_form_left_open_while_someone_else_moved_the_record_is_refused(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    browser.get(f"/records/nonconformity/{nc_id}/fire/contain")  # shown at version 1
    nonconformities.fire(app, nc_id, "contain", "dlacroix", {"containment": "Done first"})
    before = snapshot(app.database)
    stale = browser.post(
        f"/records/nonconformity/{nc_id}/fire/analyse", {"version": "1", **ANALYSIS}
    )
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert "Changed by someone else: reload" in stale.text  # type: ignore[attr-defined]
    assert "No check of the supplier&#39;s rates" in stale.text  # type: ignore[attr-defined]
    assert snapshot(app.database) == before


def test_a_guard_refusal_is_shown_on_the_form_with_what_was_typed(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    _fire(browser, nc_id, "contain", CONTAIN)
    _fire(browser, nc_id, "analyse", ANALYSIS)
    before = snapshot(app.database)
    half = {"version": "3", "action_plan": "Check every rate", "action_owner": "dlacroix"}
    refused = browser.post(f"/records/nonconformity/{nc_id}/fire/plan_action", half)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert re.search(
        r'class="form-error".*To plan a corrective action, fill in Due date, How effectiveness '
        r"will be judged and When effectiveness will be checked too \(ISO 9001, 10.2.1 c, d\)",
        refused.text,  # type: ignore[attr-defined]
        re.S,
    )
    assert ">Check every rate</textarea>" in refused.text  # type: ignore[attr-defined]
    assert '<option value="dlacroix" selected>' in refused.text  # type: ignore[attr-defined]
    assert snapshot(app.database) == before


def test_a_missing_or_wrong_input_is_named_next_to_its_field(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    _fire(browser, nc_id, "contain", CONTAIN)
    before = snapshot(app.database)
    missing = browser.post(
        f"/records/nonconformity/{nc_id}/fire/analyse",
        {**ANALYSIS, "version": "2", "root_cause": "  "},
    )
    assert missing.status_code == 400  # type: ignore[attr-defined]
    said = "required by &#39;analyse&#39; (Root cause)"
    assert f'<span class="error" id="root_cause-error">{said}</span>' in missing.text  # type: ignore[attr-defined]
    assert (
        'id="f-root_cause" name="root_cause" rows="4" required aria-invalid="true"' in missing.text
    )  # type: ignore[attr-defined]
    wrong = browser.post(
        f"/records/nonconformity/{nc_id}/fire/analyse",
        {**ANALYSIS, "version": "2", "cause_category": "luck"},
    )
    assert wrong.status_code == 400 and "&#39;luck&#39; is not one of people" in wrong.text  # type: ignore[attr-defined]
    assert snapshot(app.database) == before


@pytest.mark.parametrize("handle", ["ymasson", "cfontaine"])
def test_who_may_not_take_a_step_gets_no_button_and_a_403(
    app: Services, browser: Browser, handle: str
) -> None:
    nc_id = _nc(app)
    _signed(browser, handle)  # ymasson: of TRN-03 and RSC-01; cfontaine: an auditor
    page = browser.get(f"/records/nonconformity/{nc_id}")
    if handle == "ymasson":  # another process: not even the record
        assert page.status_code == 403 and "may not see nonconformity" in page.text  # type: ignore[attr-defined]
    else:  # an auditor sees every process, and may fire nothing here
        assert page.status_code == 200 and "/fire/" not in page.text  # type: ignore[attr-defined]
        assert "Nothing for you to do on this record now." in page.text  # type: ignore[attr-defined]
    before = snapshot(app.database)
    url = f"/records/nonconformity/{nc_id}/fire/contain"
    assert browser.get(url).status_code == 403  # type: ignore[attr-defined]
    posted = browser.post(url, {"version": "1", "containment": "Not mine"})
    assert posted.status_code == 403  # type: ignore[attr-defined]
    assert snapshot(app.database) == before and _state(app, nc_id) == "detected"


def test_what_a_person_typed_comes_back_escaped(app: Services, browser: Browser) -> None:
    nc_id = _nc(app, title=XSS, description=f"line one\n{XSS}", reference="CPL " + XSS)
    _signed(browser, "jcarre")
    _fire(browser, nc_id, "contain", {"containment": XSS})
    for url in (f"/records/nonconformity/{nc_id}", f"/records/nonconformity/{nc_id}/fire/analyse"):
        html = browser.get(url).text  # type: ignore[attr-defined]
        assert "<script>alert(1)" not in html and '"onmouseover="x' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;onmouseover=&#34;x" in html
    refused = browser.post(
        f"/records/nonconformity/{nc_id}/fire/analyse", {"version": "2", "root_cause": XSS}
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "<script>alert(1)" not in refused.text and "&lt;script&gt;" in refused.text  # type: ignore[attr-defined]


def test_unknown_records_steps_and_steps_not_possible_now(app: Services, browser: Browser) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    assert browser.get("/records/nonconformity/999").status_code == 404  # type: ignore[attr-defined]
    assert browser.get(f"/records/spaceship/{nc_id}").status_code == 404  # type: ignore[attr-defined]
    assert browser.get(f"/records/nonconformity/{nc_id}/fire/teleport").status_code == 404  # type: ignore[attr-defined]
    later = browser.get(f"/records/nonconformity/{nc_id}/fire/implement")
    assert later.status_code == 400 and "cannot be done on Nonconformity" in later.text  # type: ignore[attr-defined]


def test_htmx_gets_the_form_alone_and_a_browser_the_whole_page(
    app: Services, browser: Browser
) -> None:
    nc_id = _nc(app)
    _signed(browser, "jcarre")
    page = browser.get(f"/records/nonconformity/{nc_id}").text  # type: ignore[attr-defined]
    assert f'hx-get="/records/nonconformity/{nc_id}/fire/contain" hx-target="#step-form"' in page
    url = f"/records/nonconformity/{nc_id}/fire/contain"
    alone = browser.get(url, headers={"HX-Request": "true"}).text  # type: ignore[attr-defined]
    assert "<html" not in alone and '<section class="card"' in alone and 'name="version"' in alone
    assert "<html" in browser.get(url).text  # type: ignore[attr-defined]
