"""scheduler: reminders, outbox recipients, notification preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index name, columns): the reminder planner reads open records by (state, date).
PLANNER_INDEXES = (
    ("improvement_action", "ix_improvement_action_state_due_date", ["state", "due_date"]),
    (
        "improvement_action",
        "ix_improvement_action_state_effectiveness_check_date",
        ["state", "effectiveness_check_date"],
    ),
    ("nonconformity", "ix_nonconformity_state_action_due_date", ["state", "action_due_date"]),
    ("internal_audit", "ix_internal_audit_state_planned_start", ["state", "planned_start"]),
    ("management_review", "ix_management_review_state_planned_on", ["state", "planned_on"]),
    ("process_review", "ix_process_review_state_planned_on", ["state", "planned_on"]),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("leased_by", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_outbox_recipient_topic_status", ["recipient", "topic", "status"], unique=False
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "notification",
                sa.Enum("immediate", "daily", name="notification", native_enum=False, length=32),
                server_default="immediate",
                nullable=False,
            )
        )

    for table, name, columns in PLANNER_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(PLANNER_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)

    # Not a batch (copy and rename) on SQLite: other tables refer to person, and with
    # foreign keys on, dropping the old copy would fail. SQLite >= 3.35 drops a column.
    op.drop_column("person", "notification")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_recipient_topic_status")
        batch_op.drop_column("leased_by")
        batch_op.drop_column("recipient")
