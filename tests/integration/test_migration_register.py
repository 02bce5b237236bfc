"""Migration 0008: each plan a nonconformity kept inside itself becomes an action record of
the one register, linked to it, with a signed trail row; the trail still verifies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from qms import migrations
from qms.config import get_settings
from qms.db import Database
from qms.models import HistoryEntry, ImprovementAction, Nonconformity
from qms.workflow import keys, trail
from qms.workflow.definition import load_definition
from qms.workflow.verify import verify
from tests.conftest import ROOT

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PLAN = {
    "action_plan": "Add a 15-day deadline to the grading procedure\nand a reminder",
    "action_owner": "cfontaine",
    "action_due_date": "2026-04-30",
    "effectiveness_criteria": "Grades within 15 days next term",
    "effectiveness_check_date": "2026-06-30",
}


def _filled(table: sa.Table, given: dict[str, Any]) -> dict[str, Any]:
    """``given``, plus a plain value for every other column that needs one."""
    values = dict(given)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        kind = column.type.python_type
        values[column.name] = {str: column.name, int: 1, bool: True, date: date(2025, 1, 1),
                               datetime: T0, dict: {}, list: []}.get(kind, "")  # fmt: skip
    return values


class Writer:
    """Rows written the way qms wrote them at revision 0007."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.meta = sa.MetaData()
        self.meta.reflect(connection)
        self.keys = keys.load(get_settings().trail_key_file)

    def row(self, table_name: str, **given: Any) -> int:
        table = self.meta.tables[table_name]
        result = self.connection.execute(
            table.insert().returning(table.c.id), _filled(table, given)
        )
        return int(result.scalar_one())

    def version(self, path: str) -> str:
        defn = load_definition(ROOT / "workflows" / path)
        self.connection.execute(
            self.meta.tables["workflow_version"].insert(),
            {
                "hash": defn.content_hash,
                "name": defn.name,
                "version": defn.version,
                "definition": defn.to_dict(),
                "first_used_at": T0,
            },
        )
        return defn.content_hash

    def history(self, nc_id: int, rows: list[tuple[str, str | None, str, dict[str, Any]]],
                workflow_hash: str) -> None:  # fmt: skip
        prev_id, prev_hash = None, "0" * 64
        for seq, (trigger, source, dest, inputs) in enumerate(rows, start=1):
            row = {
                "record_kind": "nonconformity", "record_id": nc_id, "trigger": trigger,
                "from_state": source, "to_state": dest, "actor": "ebenoit",
                "at": T0 + timedelta(days=seq), "inputs": inputs, "comment": "",
                "workflow_name": "nonconformity", "workflow_version": 1,
                "workflow_hash": workflow_hash, "prev_hash": prev_hash, "seq": seq,
                "prev_id": prev_id, "key_id": self.keys.active_id,
            }  # fmt: skip
            row["hash"] = self.keys.sign(trail.signed_content(row))
            table = self.meta.tables["workflow_history"]
            prev_id = self.connection.execute(
                table.insert().returning(table.c.id), row
            ).scalar_one()
            prev_hash = row["hash"]


def action_row_id(session: Session) -> int:
    """The id of the nonconformity's plan_action trail row the action was carried from."""
    return int(
        session.scalar(
            sa.select(HistoryEntry.id)
            .where(
                HistoryEntry.record_kind == "nonconformity", HistoryEntry.trigger == "plan_action"
            )
            .order_by(HistoryEntry.id)
            .limit(1)
        )
        or 0
    )


def test_embedded_plans_become_linked_action_records(empty_database_url: str) -> None:
    database = Database(url=empty_database_url)
    migrations.upgrade(database.engine, "0007")
    with database.engine.begin() as connection:
        write = Writer(connection)
        write.row("person", handle="ebenoit", name="Emma Benoit", email="e@example.org")
        owner = write.row("person", handle="cfontaine", name="Claire Fontaine", email="c@x.org")
        nc_hash = write.version("nonconformity.workflow.yaml")
        write.version("improvement-action.workflow.yaml")
        nc_id = write.row(
            "nonconformity", state="implemented", version=3, workflow_name="nonconformity",
            workflow_hash=nc_hash, title="Grades published late", created_at=T0, updated_at=T0,
            action_due_date=date(2026, 4, 30), process_id=None, detected_by_id=None,
            repeat_of_id=None, cause_category=None, is_repeat=False,
            data={k: v for k, v in {**PLAN, "implementation_notes": "Done"}.items()
                  if k != "action_due_date"},
        )  # fmt: skip
        write.history(
            nc_id,
            [
                ("create", None, "detected", {"title": "Grades published late"}),
                ("plan_action", "detected", "action_planned", PLAN),
                ("implement", "action_planned", "implemented", {"implementation_notes": "Done"}),
            ],
            nc_hash,
        )
        none_needed = write.row(
            "nonconformity", state="action_planned", version=3, workflow_name="nonconformity",
            workflow_hash=nc_hash, title="Typo in a form", created_at=T0, updated_at=T0,
            process_id=None, detected_by_id=None, repeat_of_id=None, cause_category=None,
            is_repeat=False, action_due_date=date(2026, 4, 30),
            data={**{k: v for k, v in PLAN.items() if k != "action_due_date"},
                  "corrective_action_needed": False, "action_plan": "None"},
        )  # fmt: skip
        write.history(
            none_needed,
            [
                ("create", None, "detected", {"title": "Typo in a form"}),
                ("analyse", "detected", "analysed", {"corrective_action_needed": False}),
                ("plan_action", "analysed", "action_planned", {**PLAN, "action_plan": "None"}),
            ],
            nc_hash,
        )
    migrations.upgrade(database.engine)
    migrations.downgrade(database.engine, "0007")
    migrations.upgrade(database.engine)  # again: nothing is carried over twice
    with database.reading() as session:
        [action] = session.scalars(sa.select(ImprovementAction)).all()
        assert (action.kind, action.origin, action.nonconformity_id) == (
            "corrective", "nonconformity", nc_id,
        )  # fmt: skip
        assert action.title == "Add a 15-day deadline to the grading procedure"
        assert (action.owner_id, action.due_date, action.state) == (
            owner,
            date(2026, 4, 30),
            "done",
        )
        assert action.data == {"work_done": "Done", "carried_over_from": action_row_id(session)}
        assert action.created_at == T0 + timedelta(days=2)  # when it was planned
        [row] = trail.history_of(session, "improvement_action", action.id)
        assert row.actor == "ebenoit" and f"nonconformity #{nc_id}" in row.comment
        nc = session.get(Nonconformity, nc_id)
        assert nc is not None and nc.data["action_due_date"] == "2026-04-30"
        assert nc.action_due_date is None  # its one action is done
        report = verify(session, keys.load(get_settings().trail_key_file), T0 + timedelta(days=9))
        assert report.problems == []
    database.dispose()
