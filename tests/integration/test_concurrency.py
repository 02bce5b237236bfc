"""Many people firing on the same records at once: one wins, the others are told, none is lost."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database
from qms.errors import ConflictError
from qms.models import Nonconformity, Person
from qms.services import shared
from qms.services import trail as trail_service
from qms.workflow import trail
from tests.factories import load_example, services_for

RECORDS, WORKERS = 5, 6


@pytest.fixture
def app(database: Database) -> Services:
    load_example(database)
    return services_for(database, FixedClock(datetime(2026, 11, 25, 9, tzinfo=UTC)))  # type: ignore[no-any-return]


def _start(app: Services) -> list[int]:
    return [
        shared.start(app.database, app.engine, "nonconformity", "ebenoit", process="TRN-04").id
        for _ in range(RECORDS)
    ]


def _race(work: Callable[[int, int, threading.Barrier], str], ids: list[int]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(WORKERS)

    def run(record_id: int, worker: int) -> None:
        outcome = work(record_id, worker, barrier)
        with lock:
            outcomes[f"{record_id}:{outcome}"] += 1

    for record_id in ids:
        threads = [threading.Thread(target=run, args=(record_id, w)) for w in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return outcomes


def _check_outcome(app: Services, ids: list[int], outcomes: Counter[str]) -> None:
    for record_id in ids:
        assert outcomes[f"{record_id}:won"] == 1, outcomes
        assert outcomes[f"{record_id}:conflict"] == WORKERS - 1, outcomes
    with app.database.reading() as session:
        for record_id in ids:
            rows = trail.history_of(session, "nonconformity", record_id)
            assert [r.trigger for r in rows] == ["create", "contain"]
            record = session.get(Nonconformity, record_id)
            assert record is not None
            assert (record.state, record.version) == ("contained", 2)
            assert record.data["containment"] == rows[1].inputs["containment"]
    verified = trail_service.verify(app)
    assert verified.problems == []
    assert verified.rows == 2 * len(ids)


def test_people_who_saw_the_same_version_one_wins(app: Services) -> None:
    ids = _start(app)

    def work(record_id: int, worker: int, barrier: threading.Barrier) -> str:
        with app.database.reading() as session:
            record = session.get(Nonconformity, record_id)
            assert record is not None
            seen = record.version
        barrier.wait()
        try:
            shared.fire(
                app.database,
                app.engine,
                "nonconformity",
                record_id,
                "contain",
                "ebenoit",
                {"containment": f"worker {worker}"},
                expected_version=seen,
            )
        except ConflictError:
            return "conflict"
        return "won"

    _check_outcome(app, ids, _race(work, ids))


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_racing_transactions_on_postgresql_one_wins(app: Services) -> None:
    """Both read the row under READ COMMITTED; the version column stops the second UPDATE."""
    ids = _start(app)

    def work(record_id: int, worker: int, barrier: threading.Barrier) -> str:
        with app.database.unit_of_work() as uow:
            record = uow.session.get(Nonconformity, record_id)
            actor = uow.session.scalars(select(Person).where(Person.handle == "ebenoit")).one()
            assert record is not None
            barrier.wait()
            try:
                app.engine.fire(
                    uow.session, record, "contain", actor, {"containment": f"worker {worker}"}
                )
                uow.commit()
            except ConflictError:
                return "conflict"
        return "won"

    _check_outcome(app, ids, _race(work, ids))


CYCLE = {
    "in_progress": ("complete", {"work_done": "Calibration records checked"}),
    "done": ("reopen", {"reopen_reason": "One record was missing"}),
}


@pytest.mark.slow
def test_eight_writers_keep_every_record_equal_to_its_trail(app: Services) -> None:
    """8 writers for a bounded time on 12 shared actions (so they collide): every
    successful fire is one trail row, versions count the rows, states are the last rows'."""
    kind, actor, writers, seconds = "improvement_action", "tbrunet", 8, 3.0
    ids = []
    for n in range(12):
        record = shared.start(app.database, app.engine, kind, actor, process="STE-02",
                              title=f"Calibration {n}")  # fmt: skip
        for trigger in ("approve", "start"):
            shared.fire(app.database, app.engine, kind, record.id, trigger, actor)
        ids.append(record.id)
    with app.database.reading() as session:
        before = trail.size(session)
    done: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(offset: int) -> None:
        turn = offset
        while not stop.is_set():
            record_id = ids[turn % len(ids)]
            turn += 3
            with app.database.reading() as session:
                seen = shared.record(session, kind, record_id)
                state, version = seen.state, seen.version
            trigger, inputs = CYCLE[state]
            try:  # as a person would: on the version they saw
                shared.fire(app.database, app.engine, kind, record_id, trigger, actor, inputs,
                            expected_version=version)  # fmt: skip
                outcome = "fired"
            except ConflictError:
                outcome = "conflict"
            with lock:
                done[outcome] += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert done["fired"] > 0
    with app.database.reading() as session:
        assert trail.size(session) - before == done["fired"]
        for record_id in ids:
            record = shared.record(session, kind, record_id)
            rows = trail.history_of(session, kind, record_id)
            assert record.version == len(rows)
            assert record.state == rows[-1].to_state
            assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    report = trail_service.verify(app)
    assert report.problems == []
