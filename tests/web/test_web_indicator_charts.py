"""An indicator's page (/indicators/{code}): its trend chart inline, from the same data and
drawing as the review pack's, and its breach proposals decided there by the pilot (accept:
an improvement action with its owner and due date; dismiss: with a reason), the same
services as `qms indicator accept` and `qms indicator dismiss`.

STE-01 is piloted by Hélène Marchal (hmarchal, also a director); Thomas Brunet (tbrunet)
is its correspondent and the quality manager; Yann Masson (ymasson) has no role on it;
Juliette Carré (jcarre) and Camille Fontaine (cfontaine) are internal auditors. Today is
25 Nov 2026. STE-01-OBJ: higher is better, target 85 %, alert threshold 70 %, quarterly.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.models import BreachProposal, BreachState, ImprovementAction
from qms.reporting.charts import trend_svg
from qms.services.indicators import charts as indicator_charts
from qms.services.indicators import files as indicators_file
from qms.services.indicators import series as indicators_series
from qms.services.indicators import service as indicators
from tests.factories import ROOT, snapshot
from tests.web.conftest import Browser

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

PILOT, CORRESPONDENT, OTHER, AUDITOR, AUDITOR_2 = (
    "hmarchal",
    "tbrunet",
    "ymasson",
    "jcarre",
    "cfontaine",
)
CODE = "STE-01-OBJ"
XSS = '<script>alert(1)</script> "onmouseover="x'
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def load_indicators(app: Services) -> None:
    spec = indicators_file.read(ROOT / "workflows" / "indicators.yaml")
    with app.database.unit_of_work() as uow:
        indicators.load(uow.session, spec, date(2026, 1, 5))
        uow.commit()


@pytest.fixture
def breach(app: Services) -> int:
    """Five quarters of STE-01-OBJ, the last one (2026-Q3: 62 %) past the alert threshold."""
    load_indicators(app)
    for period, value in (("2025-Q3", "88"), ("2025-Q4", "84"), ("2026-Q1", "80"),
                          ("2026-Q2", "75"), ("2026-Q3", "62")):  # fmt: skip
        indicators.record(app, PILOT, CODE, period, value)
    with app.database.reading() as session:
        found = session.scalar(select(BreachProposal.id).where(BreachProposal.period == "2026-Q3"))
    assert found is not None
    return found


def accept_url(breach: int) -> str:
    return f"/indicators/{CODE}/breaches/{breach}/accept"


def dismiss_url(breach: int) -> str:
    return f"/indicators/{CODE}/breaches/{breach}/dismiss"


def test_the_chart_is_the_packs_drawing_inline_and_well_formed(
    browser: Browser, app: Services, breach: int
) -> None:
    browser.sign_in(PILOT)
    html = browser.get(f"/indicators/{CODE}").text  # type: ignore[attr-defined]
    charts = [s for s in SVG.findall(html) if "alert threshold" in s]
    assert len(charts) == 1
    with app.database.reading() as session:
        indicator = session.scalar(
            select(indicators_series.Indicator).where(indicators_series.Indicator.code == CODE)
        )
        assert indicator is not None
        series = indicators_series.series(session, [indicator], app.engine.today())[0]
    drawn = trend_svg(indicator_charts.chart_data(series))  # what the review pack draws
    assert charts[0].strip() == drawn.strip()
    root = ET.fromstring(charts[0])  # noqa: S314 - the page's own SVG, not outside input
    assert root.get("role") == "img"
    assert (
        root.findtext("{http://www.w3.org/2000/svg}title")
        == f"{CODE} Strategic objectives on track"
    )
    assert "style=" not in charts[0] and "<script" not in charts[0]


def test_anyone_who_sees_it_reads_the_proposal_and_who_decides(
    browser: Browser, breach: int
) -> None:
    browser.sign_in(AUDITOR)
    html = browser.get(f"/indicators/{CODE}").text  # type: ignore[attr-defined]
    assert "2026-Q3: 62 %, past the alert threshold 70 %" in html
    assert "Hélène Marchal, the pilot of STE-01, decides" in html
    assert accept_url(breach) not in html and dismiss_url(breach) not in html


def test_the_pilot_accepts_a_breach_as_an_improvement_action(
    browser: Browser, app: Services, breach: int
) -> None:
    browser.sign_in(PILOT)
    page = browser.get(f"/indicators/{CODE}").text  # type: ignore[attr-defined]
    assert accept_url(breach) in page and "2026-12-25" in page  # due in 30 days, proposed
    response = browser.post(
        accept_url(breach),
        {"owner": CORRESPONDENT, "due_date": "2027-01-31", "title": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/indicators/{CODE}?decided={breach}#breaches"  # type: ignore[attr-defined]
    with app.database.reading() as session:
        decided = session.get(BreachProposal, breach)
        assert decided is not None and decided.state == BreachState.ACCEPTED
        action = session.get(ImprovementAction, decided.action_id)
        assert action is not None
        assert (action.owner.handle, action.due_date) == (CORRESPONDENT, date(2027, 1, 31))
        assert (action.origin, action.origin_ref, action.state) == (
            "indicator_breach",
            f"{CODE} 2026-Q3",
            "proposed",
        )
        assert action.title == "Strategic objectives on track: back within the alert threshold"
    shown = browser.get(f"/indicators/{CODE}?decided={breach}").text  # type: ignore[attr-defined]
    assert "The breach proposal of 2026-Q3 is accepted" in shown
    assert f'href="/records/improvement_action/{action.id}"' in shown
    assert accept_url(breach) not in shown  # decided: no form any more


def test_the_pilot_dismisses_with_a_reason_kept_and_escaped(
    browser: Browser, app: Services, breach: int
) -> None:
    browser.sign_in(PILOT)
    browser.get(f"/indicators/{CODE}")
    response = browser.post(dismiss_url(breach), {"reason": XSS}, follow_redirects=False)
    assert response.status_code == 303  # type: ignore[attr-defined]
    with app.database.reading() as session:
        decided = session.get(BreachProposal, breach)
        assert decided is not None
        assert (decided.state, decided.reason, decided.decided_by) == (
            BreachState.DISMISSED,
            XSS,
            PILOT,
        )
    html = browser.get(f"/indicators/{CODE}?decided={breach}").text  # type: ignore[attr-defined]
    assert "The breach proposal of 2026-Q3 is dismissed." in html
    assert "<script>alert(1)</script>" not in html and '"onmouseover="x' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;onmouseover=&#34;x" in html
    again = browser.post(dismiss_url(breach), {"reason": "twice"}, follow_redirects=False)
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "already dismissed: nothing to decide" in again.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "form", "field", "message"),
    [
        (dismiss_url, {"reason": "  "}, "reason", "say why no action is needed"),
        (accept_url, {"owner": PILOT, "due_date": "2026-11-01"}, "due_date", "is in the past"),
        (accept_url, {"owner": PILOT, "due_date": "31/01/2027"}, "due_date", "is not a date"),
        (
            accept_url,
            {"owner": PILOT, "due_date": ""},
            "due_date",
            "give the day the action is due",
        ),
        (accept_url, {"owner": "nobody", "due_date": "2027-01-31"}, "owner", "unknown person"),
    ],
    ids=["no reason", "past due", "not a date", "no due date", "unknown owner"],
)
def test_bad_input_is_named_by_its_field_and_nothing_is_written(
    browser: Browser,
    app: Services,
    breach: int,
    url: object,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    browser.sign_in(PILOT)
    browser.get(f"/indicators/{CODE}")
    before = snapshot(app.database)
    response = browser.post(url(breach), form)  # type: ignore[operator]
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    prefix = "d" if field == "reason" else "a"
    error = re.search(rf'id="{prefix}{breach}-{field}-error">([^<]*)<', html)
    assert error is not None and message in error.group(1), html[-3000:]
    assert f'id="{prefix}{breach}-{field}"' in html and 'aria-invalid="true"' in html
    if field != "reason":  # what was typed is kept
        assert f'value="{form["due_date"]}"' in html
    after = snapshot(app.database)
    assert {t for t in after if after[t] != before[t]} <= {"web_session", "sign_in_attempt"}


def test_a_proposal_of_another_indicator_is_not_found(
    browser: Browser, app: Services, breach: int
) -> None:
    browser.sign_in(PILOT)
    browser.get(f"/indicators/{CODE}")
    before = snapshot(app.database)
    url = f"/indicators/STE-01-BUDGET/breaches/{breach}/dismiss"
    assert browser.post(url, {"reason": "x"}).status_code == 404  # type: ignore[attr-defined]
    assert browser.post(dismiss_url(9999), {"reason": "x"}).status_code == 404  # type: ignore[attr-defined]
    assert snapshot(app.database)["indicator_breach"] == before["indicator_breach"]


ROUTES = {
    "accept": (accept_url, {"owner": PILOT, "due_date": "2027-01-31"}),
    "dismiss": (dismiss_url, {"reason": "A one-off: the plan was revised in September"}),
}


@pytest.mark.parametrize("person", [PILOT, CORRESPONDENT, OTHER, AUDITOR, AUDITOR_2])
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_only_the_pilot_decides_a_breach(
    browser: Browser, app: Services, breach: int, person: str, route: str
) -> None:
    """The permission matrix: the pilot of STE-01 decides (303); its correspondent (the
    quality manager too), someone of another process and the auditors are refused (403),
    with nothing written, whatever the form says."""
    url, form = ROUTES[route]
    browser.sign_in(person)
    browser.get("/")
    before = snapshot(app.database)
    response = browser.post(url(breach), form, follow_redirects=False)
    status = response.status_code  # type: ignore[attr-defined]
    if person == PILOT:
        assert status == 303, response.text[-2000:]  # type: ignore[attr-defined]
        return
    assert status == 403, (person, route, status)
    after = snapshot(app.database)
    assert {t for t in after if after[t] != before[t]} <= {"web_session", "sign_in_attempt"}
