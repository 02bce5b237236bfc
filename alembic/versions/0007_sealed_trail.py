"""sealed trail: one chain per record, keyed rows, seals, and triggers that refuse the rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Rows written before this revision keep their plain SHA-256 hashes and their place in the
single chain they were written in (``key_id`` empty); ``seq`` and ``prev_id`` are filled
in for them, which their hashes do not cover.  The first ``qms trail seal`` after the
upgrade covers them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "{table} is append-only (ISO 9001 clause 7.5): rows cannot be changed or removed"
OVERWRITE = (
    "workflow_history is append-only (ISO 9001 clause 7.5): "
    "a row cannot be written over an existing one"
)
BACKWARDS = (
    "workflow_history (ISO 9001 clause 7.5): a row cannot be dated before the last row "
    "of its record"
)
SEAL_TABLES = ("trail_seal", "trail_seal_head")

SAME_CHAIN = "h.record_kind = NEW.record_kind AND h.record_id = NEW.record_id"

SQLITE_HISTORY_TRIGGERS = [
    *(
        f"""CREATE TRIGGER workflow_history_no_{verb.lower()} BEFORE {verb} ON workflow_history
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY.format(table="workflow_history")}'); END"""
        for verb in ("UPDATE", "DELETE")
    ),
    # INSERT OR REPLACE deletes the row it replaces without firing the DELETE trigger.
    f"""CREATE TRIGGER workflow_history_no_overwrite BEFORE INSERT ON workflow_history
    WHEN EXISTS (SELECT 1 FROM workflow_history h WHERE h.id = NEW.id OR h.hash = NEW.hash
                 OR ({SAME_CHAIN} AND h.seq = NEW.seq))
    BEGIN SELECT RAISE(ABORT, '{OVERWRITE}'); END""",
    f"""CREATE TRIGGER workflow_history_in_time_order BEFORE INSERT ON workflow_history
    WHEN NEW.at < (SELECT max(h.at) FROM workflow_history h WHERE {SAME_CHAIN})
    BEGIN SELECT RAISE(ABORT, '{BACKWARDS}'); END""",
]

SQLITE_SEAL_TRIGGERS = [
    f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY.format(table=table)}'); END"""
    for table in SEAL_TABLES
    for verb in ("UPDATE", "DELETE")
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION workflow_history_in_time_order() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.at < (SELECT max(h.at) FROM workflow_history h WHERE {SAME_CHAIN}) THEN
        RAISE EXCEPTION '{BACKWARDS}' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER workflow_history_in_time_order BEFORE INSERT ON workflow_history
    FOR EACH ROW EXECUTE FUNCTION workflow_history_in_time_order()""",
    """CREATE FUNCTION trail_seal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% is append-only (ISO 9001 clause 7.5): rows cannot be changed or
    removed', TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$""",
    *(
        statement
        for table in SEAL_TABLES
        for statement in (
            f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION trail_seal_append_only()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION trail_seal_append_only()""",
        )
    ),
]

BACKFILL = """UPDATE workflow_history SET
  seq = (SELECT count(*) FROM workflow_history h
         WHERE h.record_kind = workflow_history.record_kind
           AND h.record_id = workflow_history.record_id AND h.id <= workflow_history.id),
  prev_id = (SELECT max(h.id) FROM workflow_history h
             WHERE h.record_kind = workflow_history.record_kind
               AND h.record_id = workflow_history.record_id AND h.id < workflow_history.id)"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER workflow_history_no_update")
        op.execute("DROP TRIGGER workflow_history_no_delete")
    else:
        op.execute("ALTER TABLE workflow_history DISABLE TRIGGER workflow_history_no_change")
    with op.batch_alter_table("workflow_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("key_id", sa.String(length=16), nullable=False, server_default="")
        )
    op.execute(BACKFILL)
    with op.batch_alter_table("workflow_history", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("key_id", existing_type=sa.String(length=16), server_default=None)
        batch_op.drop_constraint("uq_workflow_history_prev_hash", type_="unique")
        batch_op.drop_index("ix_workflow_history_record")
        batch_op.create_unique_constraint(
            "uq_workflow_history_record_kind", ["record_kind", "record_id", "seq"]
        )

    op.create_table(
        "trail_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_by", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("unkeyed_rows", sa.Integer(), nullable=False),
        sa.Column("unkeyed_last_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trail_seal")),
    )
    op.create_table(
        "trail_seal_head",
        sa.Column("seal_id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["seal_id"], ["trail_seal.id"], name=op.f("fk_trail_seal_head_seal_id_trail_seal")
        ),
        sa.PrimaryKeyConstraint(
            "seal_id", "record_kind", "record_id", name=op.f("pk_trail_seal_head")
        ),
    )
    with op.batch_alter_table("trail_seal_head", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trail_seal_head_chain", ["record_kind", "record_id", "seal_id"], unique=False
        )

    if _sqlite():
        for statement in SQLITE_HISTORY_TRIGGERS + SQLITE_SEAL_TRIGGERS:
            op.execute(statement)
    else:
        op.execute("ALTER TABLE workflow_history ENABLE TRIGGER workflow_history_no_change")
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    chains_started = bind.execute(
        sa.text("SELECT count(*) FROM workflow_history WHERE seq = 1")
    ).scalar_one()
    if (
        chains_started > 1
        and bind.execute(
            sa.text("SELECT count(*) FROM workflow_history WHERE key_id <> ''")
        ).scalar_one()
    ):
        raise RuntimeError(
            "the trail holds rows chained per record (written after revision 0007); "
            "revision 0006 kept a single chain and cannot hold them: restore a backup instead"
        )
    if _sqlite():
        for name in ("no_overwrite", "in_time_order", "no_update", "no_delete"):
            op.execute(f"DROP TRIGGER workflow_history_{name}")
    else:
        op.execute("DROP TRIGGER workflow_history_in_time_order ON workflow_history")
        op.execute("DROP FUNCTION workflow_history_in_time_order()")
        for table in SEAL_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION trail_seal_append_only()")
    with op.batch_alter_table("trail_seal_head", schema=None) as batch_op:
        batch_op.drop_index("ix_trail_seal_head_chain")
    op.drop_table("trail_seal_head")
    op.drop_table("trail_seal")
    with op.batch_alter_table("workflow_history", schema=None) as batch_op:
        batch_op.drop_constraint("uq_workflow_history_record_kind", type_="unique")
        batch_op.create_index(
            "ix_workflow_history_record", ["record_kind", "record_id", "id"], unique=False
        )
        batch_op.create_unique_constraint("uq_workflow_history_prev_hash", ["prev_hash"])
        batch_op.drop_column("key_id")
        batch_op.drop_column("prev_id")
        batch_op.drop_column("seq")
    if _sqlite():  # the table was rebuilt: revision 0002's triggers again
        for statement in SQLITE_HISTORY_TRIGGERS[:2]:
            op.execute(statement)
