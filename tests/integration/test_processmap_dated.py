"""Role changes dated in the future take effect on their date, not on the day of the load
(clause 5.3): permissions, `qms processmap show --on` and the reminders' recipients agree.

The example map is loaded as of 2026-01-05; then, on 2026-03-10, a map for 2026-04-01
that leaves Paul Leroy out (correspondent of RSC-04) and gives the pilot of TRN-02 to
David Lacroix instead of Marion Leclerc.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, text

from qms import migrations
from qms.bootstrap import Services
from qms.clock import FixedClock
from qms.db import Database, build_engine
from qms.errors import PermissionDenied, ValidationError
from qms.models import Person, Process, Role, RoleAssignment
from qms.scheduler.people import Directory
from qms.services import shared
from qms.services.processmap import files as processmap_file
from qms.services.processmap import service as processmap
from tests.cli import run
from tests.factories import PROCESS_MAP, load_example, services_for, snapshot

TODAY = date(2026, 3, 10)
CHANGE_DAY = date(2026, 4, 1)  # the date the next map takes effect
PAUL = "Paul Leroy (pleroy)"
PILOT_TRN02 = (
    "name: Apprenticeship training\n        purpose: Train engineering apprentices alternating "
    "between the school and a host company.\n        pilot: "
)
INSTITUTION = {
    "directors": "director",
    "quality_managers": "quality_manager",
    "auditors": "auditor",
}
PROCESS_ROLES = {"pilot": "pilot", "correspondents": "correspondent", "contributors": "contributor"}


def next_map() -> str:
    """The example map without Paul Leroy (his roles go to Yann Masson), TRN-02 piloted by
    David Lacroix."""
    text = PROCESS_MAP.read_text().replace(
        "  - {id: pleroy, name: Paul Leroy, email: paul.leroy@valbrune.example}\n", ""
    )
    text = text.replace("[pleroy]", "[ymasson]").replace("pleroy", "ymasson")
    moved = text.replace(PILOT_TRN02 + "mleclerc", PILOT_TRN02 + "dlacroix")
    assert moved != text
    return moved


def load_text(database: Database, tmp_path: Path, content: str, as_of: date) -> dict[str, int]:
    path = tmp_path / f"map-{as_of}.yaml"
    path.write_text(content)
    spec = processmap_file.read(path)
    with database.unit_of_work() as uow:
        report = processmap.load(uow.session, spec, as_of)
        uow.commit()
    return dict(report.changes)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 10, 9, tzinfo=UTC))


@pytest.fixture
def app(database: Database, clock: FixedClock, tmp_path: Path) -> Services:
    load_example(database)
    load_text(database, tmp_path, next_map(), CHANGE_DAY)
    return services_for(database, clock)  # type: ignore[no-any-return]


def move_to(clock: FixedClock, day: date) -> None:
    clock.advance(datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - clock.now())


def new_nc(app: Services, process: str, actor: str) -> int:
    return shared.start(
        app.database, app.engine, "nonconformity", actor, process=process, title="Door jammed"
    ).id


def contain(app: Services, record_id: int, actor: str) -> str:
    entry = shared.fire(
        app.database, app.engine, "nonconformity", record_id, "contain", actor, {"containment": "x"}
    )
    return entry.to_state


def refusal(app: Services, record_id: int, actor: str) -> str:
    with pytest.raises(PermissionDenied) as refused:
        contain(app, record_id, actor)
    return str(refused.value)


def show(database: Database, day: date, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QMS_DATABASE_URL", database.url)
        shown = run(capsys, "processmap", "show", "--on", day.isoformat(), *extra)
    assert shown.code == 0, shown.err
    return shown.out


def roles_shown(shown: dict[str, Any], person: str, process: str) -> list[str]:
    """The roles `processmap show --format json` gives ``person`` on ``process``."""
    held = [role for key, role in INSTITUTION.items() if person in shown[key]]
    for macro in shown["macro_processes"]:
        for found in macro["processes"]:
            if found["code"] == process:
                held += [role for key, role in PROCESS_ROLES.items() if person in found[key]]
    return sorted(held)


def roles_refused(message: str) -> list[str]:
    """The roles a refusal says the actor holds ("... they hold a, b there")."""
    held = re.search(r"they hold (.*) there$", message)
    assert held is not None, message
    return [] if held.group(1) == "no role" else held.group(1).split(", ")


def test_a_person_left_out_as_of_next_month_acts_until_that_date(
    app: Services, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    before = new_nc(app, "RSC-04", "pleroy")  # he may still report one
    assert contain(app, before, "pleroy") == "contained"
    shown = show(app.database, TODAY, capsys)
    assert f"correspondents: {PAUL}" in shown
    assert f"Leaving the map: {PAUL} on 2026-04-01" in shown

    move_to(clock, CHANGE_DAY)
    after = new_nc(app, "RSC-04", "mriviere")
    refused = refusal(app, after, "pleroy")
    assert refused.startswith(f"{PAUL} (inactive since 2026-04-01) may not fire 'contain'")
    assert refused.endswith("on 2026-04-01 they hold no role there")
    shown = show(app.database, CHANGE_DAY, capsys)
    assert f"No longer active: {PAUL} (inactive since 2026-04-01)" in shown
    assert f"correspondents: {PAUL}" not in shown
    with pytest.raises(ValidationError, match=r"'pleroy' is no longer active \(since 2026-04-01\)"):
        new_nc(app, "RSC-04", "pleroy")


def test_a_pilot_moved_as_of_next_month_changes_hands_on_that_date(
    app: Services, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    before = new_nc(app, "TRN-02", "bperrin")
    refused = refusal(app, before, "dlacroix")  # a contributor today: his pilot role starts later
    shown = json.loads(show(app.database, TODAY, capsys, "--format", "json"))
    lacroix, leclerc = "David Lacroix (dlacroix)", "Marion Leclerc (mleclerc)"
    assert roles_refused(refused) == roles_shown(shown, lacroix, "TRN-02") == ["contributor"]
    assert contain(app, before, "mleclerc") == "contained"

    move_to(clock, CHANGE_DAY)
    after = new_nc(app, "TRN-02", "bperrin")
    refused = refusal(app, after, "mleclerc")
    shown = json.loads(show(app.database, CHANGE_DAY, capsys, "--format", "json"))
    assert refused.startswith(f"{leclerc} may not fire 'contain'")
    assert roles_refused(refused) == roles_shown(shown, leclerc, "TRN-02") == ["auditor"]
    assert roles_shown(shown, lacroix, "TRN-02") == ["contributor", "pilot"]
    assert contain(app, after, "dlacroix") == "contained"


def test_reminders_go_to_who_holds_the_role_on_the_day(app: Services) -> None:
    """The pilot of TRN-02 is reminded as such from the date the role moves; an action Paul
    Leroy owns reminds him until he leaves, then falls to the process's pilot."""
    with app.database.reading() as session:
        trn02 = session.scalars(select(Process).where(Process.code == "TRN-02")).one()
        paul = session.scalars(select(Person).where(Person.handle == "pleroy")).one()
        today = Directory.load(session, TODAY)
        later = Directory.load(session, CHANGE_DAY)
    on_trn02 = SimpleNamespace(process_id=trn02.id, data={})
    assert [p.handle for p, _ in today.recipients(("pilot",), on_trn02)] == ["mleclerc"]
    assert [p.handle for p, _ in later.recipients(("pilot",), on_trn02)] == ["dlacroix"]
    owned = SimpleNamespace(process_id=trn02.id, owner_id=paul.id, data={})
    assert [p.handle for p, _ in today.recipients(("owner",), owned)] == ["pleroy"]
    assert [p.handle for p, _ in later.recipients(("owner",), owned)] == ["dlacroix"]


def test_loading_the_next_map_again_changes_nothing(app: Services, tmp_path: Path) -> None:
    assert load_text(app.database, tmp_path, next_map(), CHANGE_DAY) == {}
    assert load_text(app.database, tmp_path, next_map(), CHANGE_DAY + timedelta(days=30)) == {}


def test_loading_the_current_map_for_that_date_cancels_the_change(
    app: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = load_text(app.database, tmp_path, PROCESS_MAP.read_text(), CHANGE_DAY)
    assert changes["people reactivated"] == 1
    with app.database.reading() as session:
        paul = session.scalars(select(Person).where(Person.handle == "pleroy")).one()
        trn02 = session.scalars(select(Process).where(Process.code == "TRN-02")).one()
        assert paul.inactive_from is None
        rows = session.scalars(
            select(RoleAssignment).where(
                (RoleAssignment.person_id == paul.id)
                | ((RoleAssignment.process_id == trn02.id) & (RoleAssignment.role == Role.PILOT))
            )
        ).all()
        periods = sorted((r.person.handle, r.role.value, r.valid_from, r.valid_to) for r in rows)
    assert periods == [  # one period each, as if the next map had never been loaded
        ("mleclerc", "pilot", date(2026, 1, 5), None),
        ("pleroy", "contributor", date(2026, 1, 5), None),
        ("pleroy", "contributor", date(2026, 1, 5), None),
        ("pleroy", "correspondent", date(2026, 1, 5), None),
    ]
    shown = show(app.database, CHANGE_DAY, capsys)
    assert f"correspondents: {PAUL}\n" in shown and "Leaving the map" not in shown


def test_loading_the_current_map_before_a_role_it_moves_is_refused(
    app: Services, tmp_path: Path
) -> None:
    before = snapshot(app.database)
    with pytest.raises(ValidationError, match="as_of: 2026-03-10 is before an assignment"):
        load_text(app.database, tmp_path, PROCESS_MAP.read_text(), TODAY)
    assert snapshot(app.database) == before


def test_an_upgrade_dates_the_people_made_inactive_before_it(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    migrations.upgrade(engine, "0007")
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO organisation (id, code, name) VALUES (1, 'O', 'Org')",
            "INSERT INTO macro_process (id, organisation_id, code, name, position) "
            "VALUES (1, 1, 'M', 'Macro', 0)",
            "INSERT INTO process (id, macro_process_id, code, name, purpose, inputs, outputs, "
            "interfaces, resources, risks, position) "
            "VALUES (1, 1, 'P', 'Process', '', '[]', '[]', '[]', '[]', '[]', 0)",
            "INSERT INTO person (id, handle, name, email, active, notification) VALUES "
            "(1, 'stays', 'Stays', 's@x.example', true, 'immediate'), "
            "(2, 'leaves', 'Leaves', 'l@x.example', false, 'immediate')",
            "INSERT INTO role_assignment (person_id, role, process_id, valid_from, valid_to) "
            "VALUES (1, 'pilot', 1, '2026-01-05', NULL), "
            "(2, 'correspondent', 1, '2026-01-05', '2027-02-01')",
        ):
            conn.execute(text(statement))
    migrations.upgrade(engine)
    database = Database(url=empty_database_url)
    with database.reading() as session:
        people = {p.handle: p for p in session.scalars(select(Person))}
    assert people["stays"].inactive_from is None
    assert people["leaves"].inactive_from == date(2027, 2, 1)
    assert people["leaves"].active_on(date(2027, 1, 31)) and not people["leaves"].active_on(
        date(2027, 2, 1)
    )
    database.dispose()
    engine.dispose()
