"""Nonconformities and improvement actions: input checks, repeats, the register, cycle times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import ValidationError
from qms.models import Nonconformity
from qms.services.capa import actions, nonconformities, stats
from qms.services.capa import queries as register
from qms.services.capa.actions import NewAction
from qms.services.capa.nonconformities import NewNonconformity
from tests.factories import load_example, services_for, snapshot

TODAY = date(2026, 11, 25)
NC = NewNonconformity(
    title="Grades published late", process="TRN-04", source="complaint", reference="CPL-2026-007"
)
ACTION = NewAction(
    title="Publish grades within 15 days",
    process="TRN-04",
    owner="cfontaine",
    due_date=date(2026, 12, 20),
    kind="corrective",
)
ANALYSIS = {
    "root_cause": "No deadline",
    "cause_category": "method",
    "similar_nonconformities": "none",
    "corrective_action_needed": "yes",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC))


@pytest.fixture
def app(database: Database, clock: FixedClock) -> Services:
    load_example(database)
    return services_for(database, clock)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"process": "TRN-99"}, "process: unknown process 'TRN-99'"),
        ({"title": "  "}, "title: is required"),
        ({"source": "rumour"}, "source: 'rumour' is not one of internal_audit"),
        ({"severity": "critical"}, "severity: 'critical' is not one of major, minor"),
        ({"detected_on": date(2026, 12, 1)}, "detected_on: 2026-12-01 is in the future"),
        ({"detected_by": "jdoe"}, "detected_by: unknown person 'jdoe'"),
    ],
)
def test_bad_nonconformity_names_the_field_and_writes_nothing(
    app: Services, change: dict[str, object], message: str
) -> None:
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=message):
        nonconformities.new(app, "ebenoit", replace(NC, **change))  # type: ignore[arg-type]
    assert snapshot(app.database) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due_date": date(2026, 11, 24)}, "due_date: 2026-11-24 is in the past"),
        ({"owner": "jdoe"}, "owner: unknown person 'jdoe'"),
        ({"kind": "miracle"}, "kind: 'miracle' is not one of correction, corrective"),
        ({"priority": "urgent"}, "priority: 'urgent' is not one of low, normal, high"),
        ({"origin": "nonconformity", "origin_ref": "42"}, "origin_ref: no nonconformity #42"),
        ({"origin": "nonconformity"}, "origin_ref: give the id of the nonconformity"),
        (
            {"effectiveness_check_date": date(2026, 12, 1)},
            "effectiveness_check_date: 2026-12-01 is before the due date 2026-12-20",
        ),
    ],
)
def test_bad_action_names_the_field_and_writes_nothing(
    app: Services, change: dict[str, object], message: str
) -> None:
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match=message):
        actions.new(app, "ebenoit", replace(ACTION, **change))  # type: ignore[arg-type]
    assert snapshot(app.database) == before


def _analysed(
    app: Services, detected: date, category: str = "method", process: str = "TRN-04"
) -> int:
    pilot = {"TRN-04": "ebenoit", "TRN-01": "pdelorme"}[process]
    nc = nonconformities.new(app, pilot, replace(NC, detected_on=detected, process=process))
    nonconformities.fire(app, nc.id, "contain", pilot, {"containment": "done"})
    nonconformities.fire(app, nc.id, "analyse", pilot, {**ANALYSIS, "cause_category": category})
    return nc.id


def _get(app: Services, nc_id: int) -> Nonconformity:
    with app.database.reading() as session:
        found = session.get(Nonconformity, nc_id)
        assert found is not None
        return found


def test_repeat_is_flagged_and_linked_within_the_window(app: Services) -> None:
    old = _analysed(app, date(2024, 12, 1))  # over 12 months before the others
    first = _analysed(app, date(2026, 1, 10))
    other_cause = _analysed(app, date(2026, 3, 1), category="equipment")
    other_process = _analysed(app, date(2026, 4, 1), process="TRN-01")
    second = _analysed(app, date(2026, 11, 20))
    assert not _get(app, old).is_repeat
    assert not _get(app, first).is_repeat
    assert not _get(app, other_cause).is_repeat
    assert not _get(app, other_process).is_repeat
    repeat = _get(app, second)
    assert repeat.is_repeat and repeat.repeat_of_id == first
    with app.database.reading() as session:
        alike = nonconformities.earlier_alike(session, repeat, 12)
        assert [n.id for n in alike] == [first]


def test_window_is_configurable(database: Database, clock: FixedClock) -> None:
    load_example(database)
    app = services_for(database, clock)
    app.settings = app.settings.model_copy(update={"repeat_window_months": 24})
    old = _analysed(app, date(2025, 1, 10))
    new = _analysed(app, date(2026, 11, 1))
    assert _get(app, new).repeat_of_id == old


def test_register_filters_and_sorts(app: Services, clock: FixedClock) -> None:
    late = actions.new(app, "ebenoit", replace(ACTION, due_date=date(2026, 12, 1)))
    actions.new(
        app,
        "pdelorme",
        replace(
            ACTION,
            title="Syllabus review",
            process="TRN-01",
            owner="apicard",
            due_date=date(2027, 3, 1),
            kind="improvement",
        ),
    )
    nc = nonconformities.new(app, "ebenoit", NC)
    actions.new(
        app,
        "ebenoit",
        replace(
            ACTION,
            title="From the complaint",
            origin="nonconformity",
            origin_ref=str(nc.id),
            due_date=date(2027, 1, 15),
        ),
    )
    clock.advance(timedelta(days=10))  # 2026-12-05: the first action is 4 days late
    today = date(2026, 12, 5)
    with app.database.reading() as session:
        everything = register.actions(session, register.Filters(), today)
        assert [r.title for r in everything] == [
            "Publish grades within 15 days",
            "From the complaint",
            "Syllabus review",
        ]
        overdue = register.actions(session, register.Filters(overdue=True), today)
        assert [(r.id, r.days_overdue) for r in overdue] == [(late.id, 4)]
        assert [
            r.process for r in register.actions(session, register.Filters(process="TRN-01"), today)
        ] == ["TRN-01"]
        assert len(register.actions(session, register.Filters(macro_process="TRN"), today)) == 3
        assert len(register.actions(session, register.Filters(macro_process="RES"), today)) == 0
        assert [
            r.owner for r in register.actions(session, register.Filters(owner="apicard"), today)
        ] == ["apicard"]
        assert [
            r.title
            for r in register.actions(session, register.Filters(origin="nonconformity"), today)
        ] == ["From the complaint"]
        assert register.actions(session, register.Filters(states=("closed",)), today) == []
        assert (
            len(
                register.actions(
                    session,
                    register.Filters(since=date(2026, 11, 25), until=date(2026, 11, 25)),
                    today,
                )
            )
            == 3
        )
        assert register.actions(session, register.Filters(since=date(2026, 11, 26)), today) == []
        ncs = register.nonconformities(session, register.Filters(origin="complaint"), today)
        assert [r.id for r in ncs] == [nc.id]


def test_cycle_times_come_from_the_trail(app: Services, clock: FixedClock) -> None:
    nc = nonconformities.new(app, "ebenoit", NC)
    clock.advance(timedelta(days=2))
    nonconformities.fire(app, nc.id, "contain", "ebenoit", {"containment": "done"})
    clock.advance(timedelta(days=5))
    nonconformities.fire(app, nc.id, "analyse", "ebenoit", ANALYSIS)
    other = nonconformities.new(app, "ebenoit", NC)
    clock.advance(timedelta(days=4))
    nonconformities.fire(app, other.id, "contain", "ebenoit", {"containment": "done"})
    with app.database.reading() as session:
        days = stats.milestone_days(session, "nonconformity", stats.NC_MILESTONES)
        assert days[nc.id] == {"contain": 2, "analyse": 7}
        (figures,) = stats.nonconformity_figures(session, date(2026, 12, 10))
    assert (figures.process, figures.open, figures.closed) == ("TRN-04", 2, 0)
    assert figures.median_step("contain") == 3  # median of 2 and 4
    assert figures.median_step("analyse") == 7
    assert figures.median_days_to_close is None
