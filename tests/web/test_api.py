"""The JSON API's endpoints, each on its happy path, and its errors: problem+json naming the
field, a stale ``expected_version`` (409), a list of values all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from qms.bootstrap import Services
from qms.models import ManagementReview, ReportRevision, ReviewKind, ReviewPack
from qms.reporting.render import content_hash
from qms.services.reviews import service as reviews
from tests.factories import snapshot
from tests.web.test_api_support import (
    API,
    CORRESPONDENT,
    DIRECTOR,
    INDICATOR,
    OTHER,
    PILOT,
    PROCESS,
    QM,
    Tokens,
    bearer,
    breach,
    fields_of,
    load_indicators,
    new_audit,
    new_nc,
    problem,
    token,
    written,
)

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

__all__ = ["token"]  # the fixture, used by the tests below


@pytest.fixture
def pilot(token: Tokens) -> dict[str, str]:
    return bearer(token(PILOT))


def test_the_process_map(client: TestClient, token: Tokens, app: Services) -> None:
    load_indicators(app)
    found = client.get(f"{API}/processmap", headers=bearer(token(OTHER, "read")))
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["organisation"] == "Valbrune School of Engineering"
    assert [p["handle"] for p in body["quality_managers"]] == [QM]
    processes = {p["code"]: p for m in body["macro_processes"] for p in m["processes"]}
    assert [p["handle"] for p in processes[PROCESS]["pilots"]] == [PILOT]
    assert [p["handle"] for p in processes[PROCESS]["correspondents"]] == [CORRESPONDENT]
    # indicators: those the reader sees (sroux pilots STE-03, not TRN-03)
    assert processes[PROCESS]["indicators"] == []
    assert processes["STE-03"]["indicators"] or processes["STE-03"]["pilots"]


def test_create_list_read_fire_and_trail_a_nonconformity(
    client: TestClient, pilot: dict[str, str]
) -> None:
    created = client.post(
        f"{API}/records/nonconformity",
        json={"title": "Attendance sheets lost", "process": PROCESS, "source": "incident"},
        headers=pilot,
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["state"] == "detected" and record["version"] == 1
    assert record["fields"]["detected_by"] == PILOT
    assert created.headers["location"] == f"{API}/records/nonconformity/{record['id']}"
    listed = client.get(
        f"{API}/records/nonconformity", params={"process": PROCESS}, headers=pilot
    ).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == record["id"]
    assert listed["items"][0]["state_label"] == "Detected"
    url = f"{API}/records/nonconformity/{record['id']}"
    assert client.get(url, headers=pilot).json()["title"] == "Attendance sheets lost"
    triggers = client.get(f"{url}/triggers", headers=pilot).json()
    contain = next(t for t in triggers["triggers"] if t["trigger"] == "contain")
    assert [i["name"] for i in contain["inputs"]] == ["containment", "consequences"]
    fired = client.post(
        f"{url}/fire/contain",
        json={"expected_version": 1, "inputs": {"containment": "Sheets rebuilt"}, "comment": "ok"},
        headers=pilot,
    )
    assert fired.status_code == 200, fired.text
    assert fired.json()["to_state"] == "contained" and fired.json()["version"] == 2
    trail = client.get(f"{url}/trail", headers=pilot).json()
    assert [row["trigger"] for row in trail] == ["create", "contain"]
    assert trail[1]["inputs"] == {"containment": "Sheets rebuilt"}
    assert trail[1]["comment"] == "ok" and trail[1]["actor_name"] == "Karim Chevalier"


def test_a_stale_version_is_a_conflict_and_writes_nothing(
    client: TestClient, app: Services, pilot: dict[str, str]
) -> None:
    record = new_nc(app)
    url = f"{API}/records/nonconformity/{record}/fire/contain"
    body = {"expected_version": 1, "inputs": {"containment": "Sheets rebuilt"}}
    assert client.post(url, json=body, headers=pilot).status_code == 200
    before = snapshot(app.database)
    again = problem(client.post(url, json=body, headers=pilot), 409)
    assert "changed by someone else" in again["detail"]
    assert not written(app, before)


def test_refusals_of_the_engine_are_said_in_words(
    client: TestClient, app: Services, pilot: dict[str, str], token: Tokens
) -> None:
    record = new_nc(app)
    url = f"{API}/records/nonconformity/{record}/fire"
    missing = problem(
        client.post(f"{url}/contain", json={"expected_version": 1}, headers=pilot), 422
    )
    assert fields_of(missing) == {"containment"}
    state = problem(client.post(f"{url}/close", json={"expected_version": 1}, headers=pilot), 409)
    assert state["type"] == "urn:qms:problem:invalid-transition"
    assert "Detected" in state["detail"]
    body = {"expected_version": 1, "inputs": {"containment": "x"}}
    refused = problem(
        client.post(f"{url}/contain", json=body, headers=bearer(token(DIRECTOR))), 403
    )
    assert "Only the pilot or a quality correspondent" in refused["detail"]
    unknown = client.post(f"{url}/explode", json={"expected_version": 1}, headers=pilot)
    assert "no trigger called 'explode'" in problem(unknown, 404)["detail"]


def test_lists_filter_and_page_with_a_cursor(
    client: TestClient, app: Services, pilot: dict[str, str]
) -> None:
    made = [new_nc(app) for _ in range(5)]
    url = f"{API}/records/nonconformity"
    first = client.get(url, params={"limit": 2}, headers=pilot).json()
    assert [i["id"] for i in first["items"]] == made[::-1][:2] and first["total"] == 5
    second = client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=pilot)
    assert [i["id"] for i in second.json()["items"]] == made[::-1][2:4]
    by_offset = client.get(url, params={"limit": 2, "offset": 4}, headers=pilot).json()
    assert [i["id"] for i in by_offset["items"]] == made[:1] and by_offset["next_cursor"] is None
    none = client.get(url, params={"state": ["closed", "contained"]}, headers=pilot).json()
    assert none["total"] == 0
    bad = problem(client.get(url, params={"state": "lost", "limit": 500}, headers=pilot), 422)
    assert fields_of(bad) == {"limit"}
    bad = problem(client.get(url, params={"state": "lost"}, headers=pilot), 422)
    assert fields_of(bad) == {"state"}
    bad = problem(client.get(url, params={"cursor": "nope"}, headers=pilot), 422)
    assert fields_of(bad) == {"cursor"}


def test_a_person_lists_only_what_their_roles_let_them_see(
    client: TestClient, app: Services, token: Tokens
) -> None:
    record = new_nc(app)
    other = bearer(token(OTHER))
    assert client.get(f"{API}/records/nonconformity", headers=other).json()["total"] == 0
    problem(client.get(f"{API}/records/nonconformity/{record}", headers=other), 403)
    problem(client.get(f"{API}/records/nonconformity/{record}/trail", headers=other), 403)
    problem(client.get(f"{API}/records/nonconformity/99999", headers=other), 404)
    assert client.get(f"{API}/records/nonconformity", headers=bearer(token(QM))).json()["total"]


def test_create_an_action_as_the_web_form_does(
    client: TestClient, pilot: dict[str, str], token: Tokens
) -> None:
    body = {
        "title": "Scan the sheets each week",
        "process": PROCESS,
        "owner": CORRESPONDENT,
        "due_date": "2026-12-31",
    }
    created = client.post(f"{API}/records/improvement_action", json=body, headers=pilot)
    assert created.status_code == 201, created.text
    assert created.json()["fields"]["owner"] == CORRESPONDENT
    wrong = problem(
        client.post(
            f"{API}/records/improvement_action",
            json={**body, "owner": OTHER, "due_date": "2020-01-01", "title": ""},
            headers=pilot,
        ),
        422,
    )
    assert fields_of(wrong) == {"owner"}  # checked first, as on the form
    wrong = problem(
        client.post(
            f"{API}/records/improvement_action",
            json={**body, "due_date": "soon", "priority": "urgent"},
            headers=pilot,
        ),
        422,
    )
    assert fields_of(wrong) == {"due_date", "priority"}
    director = bearer(token(DIRECTOR))  # opens records anywhere, owns none on TRN-03
    theirs = client.post(
        f"{API}/records/improvement_action", json={**body, "owner": DIRECTOR}, headers=director
    )
    assert "holds no role on TRN-03" in problem(theirs, 422)["errors"][0]["message"]


def test_create_an_audit_and_reviews(client: TestClient, token: Tokens) -> None:
    qm = bearer(token(QM))
    audit = client.post(
        f"{API}/records/internal_audit",
        json={"process": PROCESS, "audit_type": "external", "start": "2026-12-10"},
        headers=qm,
    )
    assert audit.status_code == 201, audit.text
    assert audit.json()["state"] == "planned"
    review = client.post(
        f"{API}/records/management_review", json={"planned_on": "2026-12-15"}, headers=qm
    )
    assert review.status_code == 201, review.text
    own = client.post(
        f"{API}/records/process_review",
        json={"planned_on": "2026-12-15", "process": PROCESS},
        headers=bearer(token(PILOT)),
    )
    assert own.status_code == 201, own.text
    fire = client.post(
        f"{API}/records/process_review/{own.json()['id']}/fire/gather",
        json={"expected_version": 1},
        headers=bearer(token(PILOT)),
    )
    assert "its own steps" in problem(fire, 422)["detail"]


def test_indicators_values_one_and_many(
    client: TestClient, app: Services, pilot: dict[str, str]
) -> None:
    load_indicators(app)
    listed = client.get(f"{API}/indicators", headers=pilot).json()
    assert INDICATOR in {i["code"] for i in listed}
    url = f"{API}/indicators/{INDICATOR}/values"
    one = client.post(url, json={"period": "2026-Q2", "value": "6 100"}, headers=pilot)
    assert one.status_code == 201, one.text
    assert one.json()["outcome"] == "created"
    same = client.post(url, json={"period": "2026-Q2", "value": 6100}, headers=pilot)
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged"
    fix = problem(client.post(url, json={"period": "2026-Q2", "value": 6200}, headers=pilot), 422)
    assert fields_of(fix) == {"reason"}
    many = client.post(
        f"{API}/indicator-values",
        json={
            "values": [
                {"indicator": INDICATOR, "period": "2026-Q1", "value": 5900},
                {"indicator": INDICATOR, "period": "2026-Q2", "value": 6200, "reason": "recount"},
            ]
        },
        headers=pilot,
    )
    assert many.status_code == 200, many.text
    assert (many.json()["created"], many.json()["corrected"]) == (1, 1)
    shown = client.get(f"{API}/indicators/{INDICATOR}", headers=pilot).json()
    assert [(v["period"], v["value"]) for v in shown["values"]] == [
        ("2026-Q1", 5900),
        ("2026-Q2", 6200),
    ]
    assert shown["values"][0]["source"] == "API"
    problem(client.get(f"{API}/indicators/NOPE", headers=pilot), 404)


def test_a_list_of_values_is_all_or_nothing_every_bad_one_named(
    client: TestClient, app: Services, pilot: dict[str, str]
) -> None:
    load_indicators(app)
    before = snapshot(app.database)
    answer = client.post(
        f"{API}/indicator-values",
        json={
            "values": [
                {"indicator": INDICATOR, "period": "2026-Q1", "value": 5900},
                {"indicator": INDICATOR, "period": "2027-Q1", "value": 5900},
                {"indicator": "NOPE", "period": "2026-Q1", "value": 1},
                {"indicator": INDICATOR, "period": "2026-Q1", "value": "many"},
                {"indicator": INDICATOR, "period": "2026-Q1", "value": 5800},
            ]
        },
        headers=pilot,
    )
    body = problem(answer, 422)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "values[1].period"),
        (2, "values[2].indicator"),
        (3, "values[3].value"),
        (4, "values[4].period"),
    ]
    assert "given twice" in body["errors"][3]["message"]
    assert not written(app, before)
    shape = problem(
        client.post(f"{API}/indicator-values", json={"values": [{"period": 3}]}, headers=pilot),
        422,
    )
    assert {"values[0].indicator", "values[0].value", "values[0].period"} <= fields_of(shape)


def test_breaches_accepted_and_dismissed_by_the_pilot(
    client: TestClient, app: Services, pilot: dict[str, str]
) -> None:
    first = breach(app)
    listed = client.get(f"{API}/indicators/breaches", params={"state": "open"}, headers=pilot)
    assert [b["id"] for b in listed.json()] == [first]
    accepted = client.post(
        f"{API}/indicators/breaches/{first}/accept",
        json={"owner": CORRESPONDENT, "due_date": "2027-01-31"},
        headers=pilot,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["breach"]["state"] == "accepted"
    again = client.post(
        f"{API}/indicators/breaches/{first}/dismiss", json={"reason": "x"}, headers=pilot
    )
    assert fields_of(problem(again, 422)) == {"breach"}


def test_reports_are_the_frozen_bytes(client: TestClient, app: Services, token: Tokens) -> None:
    audit = new_audit(app)
    pdf = b"%PDF-1.7 frozen audit report"
    review = reviews.plan(
        app, ReviewKind.MANAGEMENT, QM, reviews.Plan(planned_on=app.engine.today())
    )
    pack = b"%PDF-1.7 frozen review pack"
    now = datetime.now(UTC)
    with app.database.unit_of_work() as uow:
        uow.session.add(
            ReportRevision(audit_id=audit, revision=1, issued_at=now, issued_by=QM, html="<p>",
                           pdf=pdf, html_sha256=content_hash("<p>"), pdf_sha256=content_hash(pdf))
        )  # fmt: skip
        uow.session.add(
            ReviewPack(review_kind=ReviewKind.MANAGEMENT, review_id=review.id, revision=1,
                       html="<p>", content_hash=content_hash("<p>"), pdf=pack,
                       pdf_sha256=content_hash(pack), frozen_at=now, frozen_by=QM)
        )  # fmt: skip
        uow.commit()
    qm = bearer(token(QM))
    got = client.get(f"{API}/audits/{audit}/report/1.pdf", headers=qm)
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-sha256"] == content_hash(pdf)
    problem(client.get(f"{API}/audits/{audit}/report/2.pdf", headers=qm), 404)
    got = client.get(f"{API}/reviews/management_review/{review.id}/pack.pdf", headers=qm)
    assert got.status_code == 200 and got.content == pack
    problem(
        client.get(
            f"{API}/reviews/management_review/{review.id}/pack.pdf",
            headers=bearer(token(OTHER)),
        ),
        403,
    )
    with app.database.reading() as session:
        assert session.get(ManagementReview, review.id) is not None


def test_the_audit_calendar(client: TestClient, app: Services, token: Tokens) -> None:
    from qms.services.audits import programme

    programme.plan(app, QM, 2026)
    got = client.get(
        f"{API}/audits/calendar.ics", params={"cycle": 2026}, headers=bearer(token(QM))
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/calendar")
    assert got.text.startswith("BEGIN:VCALENDAR")
    mine = client.get(
        f"{API}/audits/calendar.ics", params={"cycle": 2026}, headers=bearer(token(OTHER))
    )
    assert mine.text.count("BEGIN:VEVENT") < got.text.count("BEGIN:VEVENT")
    problem(
        client.get(f"{API}/audits/calendar.ics", params={"cycle": 1}, headers=bearer(token(QM))),
        422,
    )
