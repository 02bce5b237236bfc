"""workflow records and trail

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:15:50.684512
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APPEND_ONLY = (
    "workflow_history is append-only (ISO 9001 clause 7.5): rows cannot be changed or removed"
)

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER workflow_history_no_{verb.lower()} BEFORE {verb} ON workflow_history
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for verb in ("UPDATE", "DELETE")
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION workflow_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; END $$""",
    """CREATE TRIGGER workflow_history_no_change BEFORE UPDATE OR DELETE ON workflow_history
    FOR EACH ROW EXECUTE FUNCTION workflow_history_append_only()""",
    """CREATE TRIGGER workflow_history_no_truncate BEFORE TRUNCATE ON workflow_history
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_history_append_only()""",
]


def _append_only() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sent", "failed", name="outboxstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_status_available", ["status", "available_at"], unique=False
        )

    op.create_table(
        "workflow_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_history")),
        sa.UniqueConstraint("hash", name=op.f("uq_workflow_history_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_workflow_history_prev_hash")),
    )
    with op.batch_alter_table("workflow_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workflow_history_record", ["record_kind", "record_id", "id"], unique=False
        )

    op.create_table(
        "workflow_version",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_workflow_version")),
    )
    with op.batch_alter_table("workflow_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflow_version_name"), ["name"], unique=False)

    op.create_table(
        "improvement_action",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("effectiveness_criteria", sa.Text(), nullable=False),
        sa.Column("effectiveness_check_date", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_improvement_action_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_improvement_action_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_action")),
    )
    with op.batch_alter_table("improvement_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_improvement_action_due_date"), ["due_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_improvement_action_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_improvement_action_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_improvement_action_state"), ["state"], unique=False)

    op.create_table(
        "internal_audit",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("lead_auditor_id", sa.Integer(), nullable=True),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_auditor_id"],
            ["person.id"],
            name=op.f("fk_internal_audit_lead_auditor_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_internal_audit_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_audit")),
    )
    with op.batch_alter_table("internal_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_internal_audit_lead_auditor_id"), ["lead_auditor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_internal_audit_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_internal_audit_state"), ["state"], unique=False)

    op.create_table(
        "management_review",
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_management_review_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_review")),
    )
    with op.batch_alter_table("management_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_management_review_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_management_review_state"), ["state"], unique=False)

    op.create_table(
        "nonconformity",
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=True),
        sa.Column("detected_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["detected_by_id"], ["person.id"], name=op.f("fk_nonconformity_detected_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_nonconformity_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nonconformity")),
    )
    with op.batch_alter_table("nonconformity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nonconformity_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_nonconformity_state"), ["state"], unique=False)

    op.create_table(
        "process_review",
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_process_review_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_review")),
    )
    with op.batch_alter_table("process_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_review_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_process_review_state"), ["state"], unique=False)

    op.create_table(
        "audit_finding",
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("finding_type", sa.String(length=40), nullable=False),
        sa.Column("criterion", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["internal_audit.id"],
            name=op.f("fk_audit_finding_audit_id_internal_audit"),
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_audit_finding_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_finding")),
    )
    with op.batch_alter_table("audit_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_finding_audit_id"), ["audit_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_finding_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_finding_state"), ["state"], unique=False)

    # ### end Alembic commands ###

    _append_only()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER workflow_history_no_truncate ON workflow_history")
        op.execute("DROP TRIGGER workflow_history_no_change ON workflow_history")
        op.execute("DROP FUNCTION workflow_history_append_only()")
    with op.batch_alter_table("audit_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_finding_state"))
        batch_op.drop_index(batch_op.f("ix_audit_finding_process_id"))
        batch_op.drop_index(batch_op.f("ix_audit_finding_audit_id"))

    op.drop_table("audit_finding")
    with op.batch_alter_table("process_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_review_state"))
        batch_op.drop_index(batch_op.f("ix_process_review_process_id"))

    op.drop_table("process_review")
    with op.batch_alter_table("nonconformity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nonconformity_state"))
        batch_op.drop_index(batch_op.f("ix_nonconformity_process_id"))

    op.drop_table("nonconformity")
    with op.batch_alter_table("management_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_management_review_state"))
        batch_op.drop_index(batch_op.f("ix_management_review_process_id"))

    op.drop_table("management_review")
    with op.batch_alter_table("internal_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_internal_audit_state"))
        batch_op.drop_index(batch_op.f("ix_internal_audit_process_id"))
        batch_op.drop_index(batch_op.f("ix_internal_audit_lead_auditor_id"))

    op.drop_table("internal_audit")
    with op.batch_alter_table("improvement_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_improvement_action_state"))
        batch_op.drop_index(batch_op.f("ix_improvement_action_process_id"))
        batch_op.drop_index(batch_op.f("ix_improvement_action_owner_id"))
        batch_op.drop_index(batch_op.f("ix_improvement_action_due_date"))

    op.drop_table("improvement_action")
    with op.batch_alter_table("workflow_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_version_name"))

    op.drop_table("workflow_version")
    with op.batch_alter_table("workflow_history", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_history_record")

    op.drop_table("workflow_history")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_available")

    op.drop_table("outbox")
    # ### end Alembic commands ###
