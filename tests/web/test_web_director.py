"""The director's view (/institution): the institution on one page, its figures counted
by the database and matching the records, its sparklines, what waits for a director, the
last management review's decisions, and who sees which figures.

Hélène Marchal (hmarchal) is a director (and pilots STE-01); Yann Masson (ymasson) is the
correspondent of TRN-03 and RSC-01 only; Camille Fontaine (cfontaine) is an internal
auditor. Today is 25 Nov 2026.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from qms.bootstrap import Services
from qms.models import ImprovementAction, Nonconformity, Process, ProgrammeEntry
from qms.services import director, shared
from qms.services.capa import actions, nonconformities
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from qms.services.capa.vocabulary import ACTION_OPEN_WORK, NC_OPEN_WORK
from qms.web import director_rules
from tests.web.conftest import Browser
from tests.web.test_web_indicator_charts import CODE, XSS, load_indicators

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

DIRECTOR, CORRESPONDENT, AUDITOR = "hmarchal", "ymasson", "cfontaine"
TODAY = date(2026, 11, 25)
SVG_NS = "{http://www.w3.org/2000/svg}"
SPARK = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" class="spark".*?</svg>', re.DOTALL)

# (title, process, owner, due date): due before today is overdue while open.
ACTIONS = [
    ("Publish the grading rules", "TRN-03", "ymasson", TODAY - timedelta(days=3)),
    ("Sign the attendance sheets", "TRN-03", "kchevalier", TODAY + timedelta(days=20)),
    (XSS, "TRN-03", "ymasson", TODAY - timedelta(days=40)),  # escalated: 30 days late
    ("Renew the catering contract", "RSC-01", "amoulin", TODAY + timedelta(days=5)),
    ("Update the strategic plan", "STE-01", "hmarchal", TODAY - timedelta(days=31)),
    ("Tell staff about the plan", "STE-01", "tbrunet", TODAY + timedelta(days=60)),
    ("Repair the clean room door", "RES-02", "fgauthier", TODAY - timedelta(days=1)),
]


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - the page's own SVG, not outside input


def _action(app: Services, title: str, process: str, owner: str, due: date, **more: str) -> int:
    spec = NewAction(title=title, process=process, owner=owner, due_date=due, **more)
    return actions.new(app, "tbrunet", spec, allow_past_due=True).id


@pytest.fixture
def data(app: Services) -> dict[str, int]:
    """Actions on four processes (one rejected), two nonconformities (one with an overdue
    corrective action), STE-01-OBJ past its alert threshold, TRN-03-HOURS on target."""
    load_indicators(app)
    for period, value in (("2025-Q4", "84"), ("2026-Q1", "80"), ("2026-Q2", "75"),
                          ("2026-Q3", "62")):  # fmt: skip
        app_record(app, "hmarchal", CODE, period, value)
    app_record(app, "kchevalier", "TRN-03-HOURS", "2026-Q3", "6100")
    ids = {
        title: _action(app, title, process, owner, due) for title, process, owner, due in ACTIONS
    }
    rejected = _action(app, "Buy a second projector", "RSC-01", "amoulin", TODAY)
    shared.fire(app.database, app.engine, "improvement_action", rejected, "reject", "ymasson",
                {"rejection_reason": "Not needed"})  # fmt: skip
    nc_late = nonconformities.new(
        app,
        "tbrunet",
        NewNonconformity(title="Sheets unsigned", process="TRN-03", source="incident"),
    ).id
    _action(app, "Check every sheet weekly", "TRN-03", "ymasson", TODAY - timedelta(days=2),
            kind="corrective", origin="nonconformity", origin_ref=str(nc_late))  # fmt: skip
    nonconformities.new(
        app,
        "tbrunet",
        NewNonconformity(title="Door left open", process="RES-02", source="incident"),
    )
    return {"xss": ids[XSS], "rejected": rejected, "nc_late": nc_late}


def app_record(app: Services, actor: str, code: str, period: str, value: str) -> None:
    from qms.services.indicators import service as indicators

    indicators.record(app, actor, code, period, value)


def independent_counts(app: Services) -> dict[str, Counter[str]]:
    """Open and overdue work per process code, counted here from every record."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("a", "a_late", "nc", "nc_late")}
    with app.database.reading() as session:
        code = dict(session.execute(select(Process.id, Process.code)).all())
        every_action = list(session.scalars(select(ImprovementAction)))
        for a in every_action:
            if a.state not in ("closed", "rejected"):
                counts["a"][code[a.process_id]] += 1
            if a.state in ACTION_OPEN_WORK and a.due_date and a.due_date < TODAY:
                counts["a_late"][code[a.process_id]] += 1
        for n in session.scalars(select(Nonconformity)):
            if n.state not in ("closed", "cancelled"):
                counts["nc"][code[n.process_id]] += 1
            late = any(
                a.nonconformity_id == n.id
                and a.state in ACTION_OPEN_WORK
                and a.due_date
                and a.due_date < TODAY
                for a in every_action
            )
            if n.state in NC_OPEN_WORK and late:
                counts["nc_late"][code[n.process_id]] += 1
    return counts


def test_the_figures_match_the_records(
    browser: Browser, app: Services, data: dict[str, int]
) -> None:
    counts = independent_counts(app)
    assert counts["a"]["TRN-03"] == 4 and counts["a_late"]["TRN-03"] == 3  # the data is varied
    found = director.view(app, DIRECTOR, director_rules.escalations(app))
    for p in found.processes:
        work = p.work
        assert (work.actions, work.overdue_actions) == (
            counts["a"][p.code],
            counts["a_late"][p.code],
        ), p.code
        assert (work.nonconformities, work.overdue_nonconformities) == (
            counts["nc"][p.code],
            counts["nc_late"][p.code],
        ), p.code
    total = found.work
    assert total.actions == sum(counts["a"].values()) == 8
    assert total.overdue_actions == sum(counts["a_late"].values()) == 5
    assert (total.nonconformities, total.overdue_nonconformities) == (2, 1)
    browser.sign_in(DIRECTOR)
    html = browser.get("/institution").text  # type: ignore[attr-defined]
    # each process's counts link to its register, filtered the same way
    assert '<a href="/actions?process=TRN-03&amp;state=proposed&amp;state=approved' in html
    assert (
        '(<a class="late" href="/actions?process=TRN-03&amp;overdue=1&amp;sort=due">'
        "3 overdue</a>)" in html
    )
    assert (
        '(<a class="late" href="/nonconformities?process=TRN-03&amp;overdue=1">1 overdue</a>)'
        in html
    )
    overdue = '<a class="late" href="/actions?overdue=1&amp;sort=due">'
    assert f"<strong>8</strong> of which {overdue}5 overdue</a>" in html


def test_the_registers_linked_list_as_many(
    browser: Browser, app: Services, data: dict[str, int]
) -> None:
    browser.sign_in(DIRECTOR)
    register = browser.get("/actions?process=TRN-03&overdue=1&sort=due").text  # type: ignore[attr-defined]
    assert len(re.findall(r'href="/records/improvement_action/\d+"', register)) == 3


def test_each_indicator_has_a_sparkline_that_says_it_in_words(
    browser: Browser, data: dict[str, int]
) -> None:
    browser.sign_in(DIRECTOR)
    html = browser.get("/institution").text  # type: ignore[attr-defined]
    sparks = SPARK.findall(html)
    assert len(sparks) == 30  # every indicator in force: each process is seen
    titles = {}
    for svg in sparks:
        root = parsed(svg)  # well-formed
        assert root.get("role") == "img" and "style" not in svg
        titles[root.findtext(f"{SVG_NS}title")] = root
    said = (
        "STE-01-OBJ Strategic objectives on track: latest value 62 % for 2026-Q3, "
        "target ≥ 85 %: past the alert threshold 70 %."
    )
    assert said in titles
    dots = titles[said].findall(f"{SVG_NS}circle")
    assert [d.get("fill") for d in dots] == ["#b00020"]  # the latest value, in red
    assert len(titles[said].findall(f"{SVG_NS}path")) == 2  # the target rule and the values
    on = (
        "TRN-03-HOURS Continuing-education training hours: latest value 6,100 hours for "
        "2026-Q3, target ≥ 6,000 hours: on target."
    )
    assert on in titles and titles[on].find(f"{SVG_NS}circle").get("fill") == "#1b7f3b"  # type: ignore[union-attr]
    assert (
        "RES-02-CONTRACTS Research contracts signed (materials centre): no value in the last"
        in " ".join(titles)
    )
    assert '<a class="late" href="/indicators/STE-01-OBJ#breaches">1 breach to decide</a>' in html


def test_what_waits_for_a_director(browser: Browser, app: Services, data: dict[str, int]) -> None:
    from qms.services.audits import programme

    programme.plan(app, "cvidal", 2026)
    browser.sign_in(DIRECTOR)
    html = browser.get("/institution").text  # type: ignore[attr-defined]
    waiting = html[html.index('id="h-waiting"') : html.index("<h2>Processes</h2>")]
    assert '<a href="/audits?cycle=2026">Audit programme 2026</a>' in waiting
    assert "to approve · Draft" in waiting
    assert '<a href="/reviews">No management review planned</a>' in waiting
    # action-due escalates to the directors 30 days late (workflows/reminders.yaml)
    assert "Improvement action due: 2 escalated" in waiting
    assert f'href="/records/improvement_action/{data["xss"]}"' in waiting
    assert "40 days late" in waiting and "31 days late" in waiting
    assert "Publish the grading rules" not in waiting  # 3 days late: not escalated
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in waiting
    assert "Audit programme 2026" in html and "no programme yet" not in html


def test_the_escalations_are_the_reminder_rules(app: Services) -> None:
    found = {e.rule: (e.after_days, e.date_field) for e in director_rules.escalations(app)}
    assert found == {
        "action-due": (30, "due_date"),
        "action-effectiveness-check": (45, "effectiveness_check_date"),
    }


def test_a_correspondent_sees_their_processes_figures_only(
    browser: Browser, app: Services, data: dict[str, int]
) -> None:
    """Like the process map: every process is listed with its pilot, but the figures of a
    process are shown (and counted in the totals) only to who sees its records."""
    browser.sign_in(CORRESPONDENT)
    response = browser.get("/institution")
    assert response.status_code == 200  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert html.count('id="p-') == 2  # the cards of TRN-03 and RSC-01 only
    assert '<a href="/processes/STE-01">STE-01 Strategic steering</a> (Hélène Marchal)' in html
    assert "Update the strategic plan" not in html  # another process's record
    assert "Waiting for a director" not in html
    # totals: TRN-03 (4 actions, 3 late, 1 nonconformity late) and RSC-01 (1 action)
    overdue = '<a class="late" href="/actions?overdue=1&amp;sort=due">'
    assert f"<strong>5</strong> of which {overdue}3 overdue</a>" in html
    sparks = [parsed(s).findtext(f"{SVG_NS}title") or "" for s in SPARK.findall(html)]
    assert sorted(t.split(" ")[0] for t in sparks) == [
        "RSC-01-TRAINING",
        "TRN-03-HOURS",
        "TRN-03-SATISFACTION",
    ]


def test_an_auditor_sees_the_whole_institution(browser: Browser, data: dict[str, int]) -> None:
    browser.sign_in(AUDITOR)
    html = browser.get("/institution").text  # type: ignore[attr-defined]
    assert "Not your processes" not in html
    assert "Waiting for a director" in html


def test_the_last_reviews_decisions_and_their_state(
    browser: Browser, app: Services, data: dict[str, int]
) -> None:
    from qms.models import ReviewKind
    from qms.services.reviews import decisions, steps
    from qms.services.reviews import service as reviews

    mr = ReviewKind.MANAGEMENT
    plan = reviews.Plan(date(2026, 12, 1), period_start=date(2025, 11, 1),
                        period_end=date(2026, 10, 31))  # fmt: skip
    review = reviews.plan(app, mr, "tbrunet", plan)
    steps.gather(app, mr, review.id, "tbrunet")
    for s in steps.assembled(app, mr, review.id):
        if s.missing:
            steps.explain_missing(app, review.id, s.key, "No record of it yet", "tbrunet")
    steps.hold_management(app, review.id, DIRECTOR, TODAY, "The directors", "Agreed.")
    decided = [
        decisions.decide(app, mr, review.id, DIRECTOR, decisions.Decision(
            title, owner, TODAY + timedelta(days=days), process, category))
        for title, owner, process, category, days in (
            (XSS, "ymasson", "TRN-03", "improvement", 30),
            ("Hire a second lab technician", "fgauthier", "RES-02", "resources", 90),
        )
    ]  # fmt: skip
    browser.sign_in(DIRECTOR)
    html = browser.get("/institution").text  # type: ignore[attr-defined]
    table = html[html.index('id="decisions"') :]
    for d in decided:
        assert f'href="/records/improvement_action/{d.action_id}"' in table
    assert "Opportunities for improvement" in table and "Resource needs" in table
    assert "<script>alert(1)</script>" not in table and "&lt;script&gt;alert(1)" in table
    assert f'<a href="/reviews/management_review/{review.id}">' in html
    assert "0</strong> of 2 decisions carried out" in html
    browser.sign_in(CORRESPONDENT)  # sees TRN-03's decision; RES-02's is counted aside
    html = browser.get("/institution").text  # type: ignore[attr-defined]
    table = html[html.index('id="decisions"') :]
    assert f'href="/records/improvement_action/{decided[0].action_id}"' in table
    assert f'href="/records/improvement_action/{decided[1].action_id}"' not in table
    assert "1 more on processes that are not yours" in table


def test_the_view_costs_the_same_queries_whatever_the_records(
    app: Services, data: dict[str, int]
) -> None:
    """Work is counted by the database, values read in one query: as many queries with
    a few records as with many more."""

    def queries() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(app.database.engine, "before_cursor_execute", listener)
        try:
            director.view(app, DIRECTOR, director_rules.escalations(app))
        finally:
            event.remove(app.database.engine, "before_cursor_execute", listener)
        return len(seen)

    few = queries()
    for n in range(25):
        _action(app, f"More work {n}", ("TRN-01", "ECO-02", "RSC-03")[n % 3], "tbrunet",
                TODAY - timedelta(days=n * 3))  # fmt: skip
    app_record(app, "hmarchal", "STE-01-BUDGET", "2026-Q3", "101")
    assert queries() == few
    assert few <= 20


def test_the_view_is_drawn_again_when_its_data_changes(
    browser: Browser, app: Services, data: dict[str, int]
) -> None:
    """The view is kept while its data is unchanged, and drawn again after any write it
    shows: an action opened, a breach dismissed, a draft programme's audit moved."""
    from qms.services.audits import programme
    from qms.services.indicators import breaches

    browser.sign_in(DIRECTOR)
    first = browser.get("/institution").text  # type: ignore[attr-defined]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(app.database.engine, "before_cursor_execute", listener)
    try:
        assert browser.get("/institution").text == first  # type: ignore[attr-defined]
    finally:
        event.remove(app.database.engine, "before_cursor_execute", listener)
    assert len(statements) <= 6, statements  # the session, the reader's roles, the version
    assert "<strong>8</strong> of which" in first
    _action(app, "One more action", "TRN-03", "ymasson", TODAY + timedelta(days=9))
    second = browser.get("/institution").text  # type: ignore[attr-defined]
    assert "<strong>9</strong> of which" in second
    assert "1 breach proposal to decide" in second
    with app.database.reading() as session:
        (breach,) = breaches.rows(session, ("open",))
    breaches.dismiss(app, breach.id, DIRECTOR, "A one-off")
    third = browser.get("/institution").text  # type: ignore[attr-defined]
    assert "breach proposal to decide" not in third
    planned = programme.plan(app, "cvidal", 2026)
    fourth = browser.get("/institution").text  # type: ignore[attr-defined]
    late = director.view(app, DIRECTOR).programme.late
    assert f'<span class="late">{late} late</span>' in fourth
    with app.database.reading() as session:
        entry = session.scalars(
            select(ProgrammeEntry)
            .where(ProgrammeEntry.programme_id == planned.id)
            .order_by(ProgrammeEntry.planned_on)
        ).first()
        assert entry is not None and entry.planned_on < date(2026, 11, 1)
    programme.edit_entry(app, "cvidal", entry.id, date(2026, 12, 14), None)  # no trail row
    fifth = browser.get("/institution").text  # type: ignore[attr-defined]
    assert f'<span class="late">{late - 1} late</span>' in fifth
