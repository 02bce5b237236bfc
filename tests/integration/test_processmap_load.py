"""Loading the process map: idempotent upsert, history of role changes (clause 4.4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from qms.db import Database
from qms.errors import ValidationError
from qms.models import Person, Process, Role, RoleAssignment
from qms.services.processmap import files as processmap_file
from qms.services.processmap import queries as processmap_queries
from qms.services.processmap import service as processmap
from tests.factories import LOAD_DAY, PROCESS_MAP, load_example, snapshot


def _reload(database: Database, text: str, tmp_path: Path, as_of: date) -> processmap.LoadReport:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    spec = processmap_file.read(path)
    with database.unit_of_work() as uow:
        report = processmap.load(uow.session, spec, as_of)
        uow.commit()
    return report


def test_first_load_creates_the_institution(database: Database) -> None:
    report = load_example(database)
    assert report.changes["processes created"] == 18
    assert report.changes["macro-processes created"] == 5
    with database.reading() as session:
        for process in session.scalars(select(Process)):
            assert processmap_queries.pilot_of(session, process, LOAD_DAY) is not None, process.code


def test_loading_twice_changes_nothing(database: Database) -> None:
    load_example(database)
    before = snapshot(database)
    report = load_example(database, as_of=date(2026, 3, 1))
    assert not report.changed
    assert snapshot(database) == before


def test_changed_pilot_keeps_history(database: Database, tmp_path: Path) -> None:
    load_example(database)
    text = PROCESS_MAP.read_text().replace(
        "name: Apprenticeship training\n        purpose: Train engineering apprentices alternating "
        "between the school and a host company.\n        pilot: mleclerc",
        "name: Apprenticeship training\n        purpose: Train engineering apprentices alternating "
        "between the school and a host company.\n        pilot: dlacroix",
    )
    assert "pilot: dlacroix" in text
    change_day = date(2026, 9, 1)
    report = _reload(database, text, tmp_path, change_day)
    assert report.changes["assignments opened"] == 1
    with database.reading() as session:
        trn02 = session.scalars(select(Process).where(Process.code == "TRN-02")).one()
        before = processmap_queries.pilot_of(session, trn02, date(2026, 8, 31))
        after = processmap_queries.pilot_of(session, trn02, change_day)
        pilots = session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.process_id == trn02.id, RoleAssignment.role == Role.PILOT)
            .order_by(RoleAssignment.valid_from)
        ).all()
    assert before is not None and before.handle == "mleclerc"
    assert after is not None and after.handle == "dlacroix"
    assert [(p.valid_from, p.valid_to) for p in pilots] == [
        (LOAD_DAY, change_day),
        (change_day, None),
    ]


def test_removed_process_is_retired_and_its_roles_closed(
    database: Database, tmp_path: Path
) -> None:
    load_example(database)
    text = PROCESS_MAP.read_text()
    start = text.index("      - code: ECO-02")
    end = text.index("  - code: RSC")
    text = text[:start] + text[end:]
    text = text.replace("interfaces: [ECO-01, RES-01]", "interfaces: [ECO-01]").replace(
        "interfaces: [RES-01, TRN-02, TRN-03, ECO-02]", "interfaces: [RES-01, TRN-02, TRN-03]"
    )
    report = _reload(database, text, tmp_path, date(2026, 6, 1))
    assert report.changes["processes retired"] == 1
    with database.reading() as session:
        eco02 = session.scalars(select(Process).where(Process.code == "ECO-02")).one()
        assert eco02.retired_on == date(2026, 6, 1)
        assert processmap_queries.pilot_of(session, eco02, date(2026, 6, 1)) is None
        assert processmap_queries.pilot_of(session, eco02, date(2026, 5, 31)) is not None


def test_person_left_out_of_the_file_is_deactivated_not_deleted(
    database: Database, tmp_path: Path
) -> None:
    load_example(database)
    text = PROCESS_MAP.read_text().replace(
        "  - {id: pleroy, name: Paul Leroy, email: paul.leroy@valbrune.example}\n", ""
    )
    text = text.replace("[pleroy]", "[ymasson]").replace("pleroy", "ymasson")
    report = _reload(database, text, tmp_path, date(2026, 4, 1))
    assert report.changes["people deactivated"] == 1
    with database.reading() as session:
        paul = session.scalars(select(Person).where(Person.handle == "pleroy")).one()
        assert paul.inactive_from == date(2026, 4, 1)
        assert paul.active_on(date(2026, 3, 31)) and not paul.active_on(date(2026, 4, 1))
        open_roles = session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.person_id == paul.id, RoleAssignment.valid_to.is_(None)
            )
        ).all()
        assert open_roles == []


def test_loading_with_a_date_before_current_assignments_is_refused(
    database: Database, tmp_path: Path
) -> None:
    load_example(database)
    before = snapshot(database)
    text = PROCESS_MAP.read_text().replace(
        "directors: [hmarchal, pdelorme, ngarnier]", "directors: [hmarchal, pdelorme]"
    )
    with pytest.raises(ValidationError, match="as_of: 2025-12-01 is before an assignment"):
        _reload(database, text, tmp_path, date(2025, 12, 1))
    assert snapshot(database) == before


def test_another_organisation_is_refused(database: Database, tmp_path: Path) -> None:
    load_example(database)
    text = PROCESS_MAP.read_text().replace("code: VSE", "code: OTHER")
    with pytest.raises(
        ValidationError, match=r"organisation\.code: this database holds organisation 'VSE'"
    ):
        _reload(database, text, tmp_path, date(2026, 2, 1))


def test_person_marked_inactive_holds_the_roles_the_file_names_until_the_load_date(
    database: Database, tmp_path: Path
) -> None:
    load_example(database)
    text = PROCESS_MAP.read_text().replace(
        "email: paul.leroy@valbrune.example}", "email: paul.leroy@valbrune.example, active: false}"
    )
    report = _reload(database, text, tmp_path, date(2026, 4, 1))  # still named in his roles
    assert report.changes["people deactivated"] == 1
    with database.reading() as session:
        held = {a.person.handle for a in processmap_queries.holders(session, date(2026, 3, 31))}
        assert "pleroy" in held
        held = {a.person.handle for a in processmap_queries.holders(session, date(2026, 4, 1))}
        assert "pleroy" not in held
    report = load_example(database, as_of=date(2026, 5, 4))  # back in post on 4 May
    assert report.changes["people reactivated"] == 1
    with database.reading() as session:
        for day, expected in ((date(2026, 4, 20), False), (date(2026, 5, 4), True)):
            held = {a.person.handle for a in processmap_queries.holders(session, day)}
            assert ("pleroy" in held) is expected, day
