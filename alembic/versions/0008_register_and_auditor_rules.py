"""one corrective-action register, and the rules an auditor checks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Each part of this revision lives in its own function below: the corrective-action register
(embedded plans become action records), the audit rules (checklist and findings), the
review rules, and the outbox's delivery attempts.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# -- corrective-action register and duty exceptions ---------------------------------------


def _capa_upgrade() -> None:
    op.create_table(
        "duty_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_history_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["granted_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["used_by_history_id"], ["workflow_history.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_duty_exception_record", "duty_exception", ["record_kind", "record_id"])
    connection = op.get_bind()
    _due_dates_into_data(connection)
    _plans_into_actions(connection)
    op.drop_index("ix_nonconformity_state_action_due_date", table_name="nonconformity")
    op.drop_index("ix_nonconformity_action_due_date", table_name="nonconformity")
    # Not in batch: rebuilding the table would break the actions that refer to it.
    op.drop_column("nonconformity", "action_due_date")


def _capa_downgrade() -> None:
    op.add_column("nonconformity", sa.Column("action_due_date", sa.Date(), nullable=True))
    op.create_index("ix_nonconformity_action_due_date", "nonconformity", ["action_due_date"])
    op.create_index(
        "ix_nonconformity_state_action_due_date", "nonconformity", ["state", "action_due_date"]
    )
    nc = sa.table("nonconformity", sa.column("id"), sa.column("data", sa.JSON()),
                  sa.column("action_due_date", sa.Date()))  # fmt: skip
    connection = op.get_bind()
    for row in connection.execute(sa.select(nc.c.id, nc.c.data)).all():
        due = (row.data or {}).get("action_due_date")
        if due:
            connection.execute(
                nc.update().where(nc.c.id == row.id).values(action_due_date=date.fromisoformat(due))
            )
    op.drop_index("ix_duty_exception_record", table_name="duty_exception")
    op.drop_table("duty_exception")


# A nonconformity's "action due" is now computed from its actions; the date each of its
# trail rows set goes to its data, where the trail's replay looks for it.
def _due_dates_into_data(connection: sa.Connection) -> None:
    nc = sa.table("nonconformity", sa.column("id"), sa.column("data", sa.JSON()),
                  sa.column("action_due_date", sa.Date()))  # fmt: skip
    rows = connection.execute(
        sa.select(nc.c.id, nc.c.data, nc.c.action_due_date).where(nc.c.action_due_date.is_not(None))
    ).all()
    for row in rows:
        data = dict(row.data or {})
        data.setdefault("action_due_date", row.action_due_date.isoformat())
        connection.execute(nc.update().where(nc.c.id == row.id).values(data=data))


# Each plan a nonconformity's `plan_action` recorded becomes an action record of kind
# corrective, linked to it, created by the person who planned it at the time they did,
# in the state the nonconformity's later rows show (implemented: done; checked: closed
# with the check's result; cancelled: rejected), with one signed trail row saying so.
PLAN_FIELDS = ("action_plan", "action_owner", "action_due_date", "effectiveness_criteria",
               "effectiveness_check_date")  # fmt: skip


def _plans_into_actions(connection: sa.Connection) -> None:
    history = sa.Table("workflow_history", sa.MetaData(), autoload_with=connection)
    rows = connection.execute(
        sa.select(history)
        .where(history.c.record_kind == "nonconformity")
        .order_by(history.c.record_id, history.c.seq)
    ).all()
    by_nc: dict[int, list[sa.Row[Any]]] = {}
    for row in rows:
        by_nc.setdefault(row.record_id, []).append(row)
    plans = [(nc_id, i) for nc_id, chain in by_nc.items()
             for i, row in enumerate(chain) if row.trigger == "plan_action"]  # fmt: skip
    if not plans:
        return
    writer = _ActionWriter(connection)
    for nc_id, i in plans:
        writer.carry_over(nc_id, by_nc[nc_id], i)


class _Version(NamedTuple):
    name: str
    version: int
    hash: str


class _ActionWriter:
    def __init__(self, connection: sa.Connection) -> None:
        from qms.config import get_settings  # the key that signs the trail
        from qms.workflow import keys

        self.connection = connection
        self.keys = keys.load(get_settings().trail_key_file)
        meta = sa.MetaData()
        self.action = sa.Table("improvement_action", meta, autoload_with=connection)
        self.history = sa.Table("workflow_history", meta, autoload_with=connection)
        self.nc = sa.Table("nonconformity", meta, autoload_with=connection)
        self.person = sa.Table("person", meta, autoload_with=connection)
        self.version = sa.Table("workflow_version", meta, autoload_with=connection)
        self._defn: _Version | None = None
        # The plans carried over by an earlier run (read once: one query, not one per plan).
        found = connection.execute(
            sa.select(self.action.c.data).where(self.action.c.origin == "nonconformity")
        ).scalars()
        self.carried = {(d or {}).get("carried_over_from") for d in found} - {None}

    def carry_over(self, nc_id: int, chain: list[sa.Row[Any]], index: int) -> None:
        plan = chain[index]
        given = plan.inputs or {}
        if not given.get("action_plan") or not _needed(chain[:index]):
            return  # no plan, or "none needed because...": no action to carry over
        if self._carried(plan.id) or self._linked_before(nc_id, _aware(plan.at)):
            return  # carried over already, or its action is on the register (an audit's)
        nc = self.connection.execute(sa.select(self.nc).where(self.nc.c.id == nc_id)).one()
        later = chain[index + 1 :]
        end = next((k for k, r in enumerate(later) if r.trigger in ("plan_action", "reanalyse")),
                   len(later))  # fmt: skip
        state, extra, at = _outcome(later[: end + 1], _aware(plan.at))
        owner = self._person_id(given.get("action_owner"))
        due = _day(given.get("action_due_date"))
        text = str(given["action_plan"]).strip()
        values: dict[str, Any] = {
            "title": text.splitlines()[0][:300],
            "description": text,
            "kind": "corrective",
            "process_id": nc.process_id,
            "owner_id": owner,
            "due_date": due,
            "priority": "high" if nc.severity == "major" else "normal",
            "origin": "nonconformity",
            "origin_ref": str(nc_id),
            "nonconformity_id": nc_id,
            "effectiveness_criteria": str(given.get("effectiveness_criteria") or ""),
            "effectiveness_check_date": _day(given.get("effectiveness_check_date")),
        }
        defn = self._definition()
        action_id = self.connection.execute(
            self.action.insert().returning(self.action.c.id),
            {
                **values,
                "state": state,
                "version": 1,
                "workflow_name": defn.name,
                "workflow_hash": defn.hash,
                "data": {**extra, "carried_over_from": plan.id},
                "created_at": _aware(plan.at),
                "updated_at": at,
            },
        ).scalar_one()
        created = {k: v.isoformat() if isinstance(v, date) else v
                   for k, v in values.items() if v not in (None, "")}  # fmt: skip
        if owner is not None:
            created["owner_id"] = given.get("action_owner")
        created["carried_over_from"] = plan.id
        self._trail(action_id, plan, state, {**created, **extra}, defn, nc_id)

    def _carried(self, plan_row: int) -> bool:
        return plan_row in self.carried

    def _linked_before(self, nc_id: int, planned_at: datetime) -> bool:
        created = self.connection.execute(
            sa.select(self.action.c.created_at).where(self.action.c.nonconformity_id == nc_id)
        ).scalars()
        return any(_aware(at) <= planned_at for at in created)

    def _trail(self, action_id: int, plan: sa.Row[Any], state: str, inputs: dict[str, Any],
               defn: _Version, nc_id: int) -> None:  # fmt: skip
        from qms.workflow import trail

        row = {
            "record_kind": "improvement_action",
            "record_id": action_id,
            "trigger": "create",
            "from_state": None,
            "to_state": state,
            "actor": plan.actor,
            "at": _aware(plan.at),
            "inputs": inputs,
            "comment": f"carried over from the plan of nonconformity #{nc_id} (its trail row "
            f"{plan.id}) by migration 0008: corrective actions are records of their own",
            "workflow_name": defn.name,
            "workflow_version": defn.version,
            "workflow_hash": defn.hash,
            "prev_hash": "0" * 64,
            "seq": 1,
            "prev_id": None,
            "key_id": self.keys.active_id,
        }
        row["hash"] = self.keys.sign(trail.signed_content(row))
        self.connection.execute(self.history.insert(), row)

    def _person_id(self, handle: object) -> int | None:
        if not handle:
            return None
        return self.connection.execute(
            sa.select(self.person.c.id).where(self.person.c.handle == str(handle))
        ).scalar()

    def _definition(self) -> sa.Row[Any]:
        """The improvement-action workflow of this installation's files, stored as a version
        if it is not yet: the carried-over actions follow today's rules (clause 5.3 and all)."""
        if self._defn is None:
            from qms.config import get_settings
            from qms.workflow.definition import load_all

            found = next(
                d for d in load_all(get_settings().workflows_dir).values()
                if d.record_kind == "improvement_action"
            )  # fmt: skip
            stored = self.connection.execute(
                sa.select(self.version.c.hash).where(self.version.c.hash == found.content_hash)
            ).first()
            if stored is None:
                self.connection.execute(
                    self.version.insert(),
                    {"hash": found.content_hash, "name": found.name, "version": found.version,
                     "definition": found.to_dict(), "first_used_at": datetime.now(UTC)},
                )  # fmt: skip
            self._defn = _Version(found.name, found.version, found.content_hash)
        return self._defn


def _needed(before: list[sa.Row[Any]]) -> bool:
    """Whether the last analysis before the plan found a corrective action needed."""
    answers = [r.inputs.get("corrective_action_needed") for r in before
               if r.trigger == "analyse" and r.inputs]  # fmt: skip
    return not answers or answers[-1] not in (False, "no", "false", "0")


def _outcome(rows: list[sa.Row[Any]], planned_at: datetime) -> tuple[str, dict[str, Any], datetime]:
    """The state the plan's action reached, what the nonconformity's rows say of it, and when."""
    state, extra, at = "approved", {}, planned_at
    for row in rows:
        inputs = row.inputs or {}
        if row.trigger == "implement":
            state, at = "done", _aware(row.at)
            extra["work_done"] = inputs.get("implementation_notes", "")
        elif row.trigger == "check_effectiveness":
            state, at = "closed", _aware(row.at)
            extra["effectiveness_result"] = inputs.get("effectiveness_result", "")
            extra["effectiveness_evidence"] = inputs.get("effectiveness_evidence", "")
        elif row.trigger == "cancel" and state != "closed":
            state, at = "rejected", _aware(row.at)
            extra["rejection_reason"] = (
                f"nonconformity cancelled: {inputs.get('cancellation_reason', '')}"
            )
    return state, extra, at


def _aware(value: datetime) -> datetime:
    """A trail timestamp as qms reads it: UTC, timezone-aware (SQLite keeps them naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


# -- audits: checklist answers and findings ------------------------------------------------


def _audit_upgrade() -> None:
    with op.batch_alter_table("audit_checklist_item") as batch:
        batch.add_column(
            sa.Column("not_applicable_reason", sa.Text(), server_default="", nullable=False)
        )
    # Until now a "not applicable" answer gave its reason as its evidence (ISO 19011 6.4.7).
    item = sa.table(
        "audit_checklist_item",
        sa.column("answer", sa.String()),
        sa.column("evidence", sa.Text()),
        sa.column("not_applicable_reason", sa.Text()),
    )
    op.get_bind().execute(
        item.update()
        .where(item.c.answer == "not_applicable")
        .values(not_applicable_reason=item.c.evidence)
    )


def _audit_downgrade() -> None:
    with op.batch_alter_table("audit_checklist_item") as batch:
        batch.drop_column("not_applicable_reason")


# -- reviews: reasons for missing inputs ---------------------------------------------------


def _review_upgrade() -> None:
    pass


def _review_downgrade() -> None:
    pass


# -- outbox: delivery attempts ---------------------------------------------------------------


def _outbox_upgrade() -> None:
    op.create_table(
        "outbox_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("sent", "retry", "failed", name="attemptoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_attempt_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempt")),
    )
    with op.batch_alter_table("outbox_attempt") as batch:
        batch.create_index(batch.f("ix_outbox_attempt_outbox_id"), ["outbox_id"], unique=False)
    # ``attempts`` counted claims; from now on it counts failed tries.  A sent message's
    # last claim was its successful try; a handled one, or one never tried, failed none.
    outbox = sa.table(
        "outbox", sa.column("status", sa.String()), sa.column("attempts", sa.Integer()),
        sa.column("last_error", sa.Text()),
    )  # fmt: skip
    op.execute(
        outbox.update()
        .where(outbox.c.status == "sent", outbox.c.attempts > 0)
        .values(attempts=outbox.c.attempts - 1)
    )
    op.execute(
        outbox.update()
        .where((outbox.c.status == "handled") | ((outbox.c.status == "pending")
                                                 & (outbox.c.last_error == "")))
        .values(attempts=0)
    )  # fmt: skip


def _outbox_downgrade() -> None:
    with op.batch_alter_table("outbox_attempt") as batch:
        batch.drop_index(batch.f("ix_outbox_attempt_outbox_id"))
    op.drop_table("outbox_attempt")


# -- process map: a person is active until a date (role changes dated in the future) ----


def _processmap_upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("inactive_from", sa.Date(), nullable=True))
    # Someone already inactive left on the day their last role was closed (a load closes
    # them on its date), or, holding none, on the day of this upgrade.
    op.execute(
        "UPDATE person SET inactive_from = COALESCE((SELECT MAX(valid_to) FROM role_assignment "
        "WHERE role_assignment.person_id = person.id), CURRENT_DATE) WHERE NOT active"
    )
    # Not in batch: rebuilding the person table would break the rows that refer to it.
    op.drop_column("person", "active")


def _processmap_downgrade() -> None:
    op.add_column(
        "person", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    person = sa.table("person", sa.column("active", sa.Boolean()), sa.column("inactive_from"))
    op.execute(person.update().where(person.c.inactive_from.is_not(None)).values(active=False))
    op.drop_column("person", "inactive_from")


def upgrade() -> None:
    _capa_upgrade()
    _audit_upgrade()
    _review_upgrade()
    _outbox_upgrade()
    _processmap_upgrade()


def downgrade() -> None:
    _processmap_downgrade()
    _outbox_downgrade()
    _review_downgrade()
    _audit_downgrade()
    _capa_downgrade()
