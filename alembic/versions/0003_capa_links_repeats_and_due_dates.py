"""capa links, repeats and due dates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:25:04.065227
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("improvement_action", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.String(length=10), nullable=False, server_default="normal")
        )
        batch_op.add_column(
            sa.Column("origin", sa.String(length=30), nullable=False, server_default="suggestion")
        )
        batch_op.add_column(
            sa.Column("origin_ref", sa.String(length=60), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("nonconformity_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_improvement_action_nonconformity_id"), ["nonconformity_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_improvement_action_nonconformity_id_nonconformity"),
            "nonconformity",
            ["nonconformity_id"],
            ["id"],
        )

    with op.batch_alter_table("nonconformity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause_category", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("action_due_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("is_repeat", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("repeat_of_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_nonconformity_action_due_date"), ["action_due_date"], unique=False
        )
        batch_op.create_index(
            "ix_nonconformity_repeat_lookup",
            ["process_id", "cause_category", "detected_on"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_nonconformity_repeat_of_id_nonconformity"),
            "nonconformity",
            ["repeat_of_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("nonconformity", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_nonconformity_repeat_of_id_nonconformity"), type_="foreignkey"
        )
        batch_op.drop_index("ix_nonconformity_repeat_lookup")
        batch_op.drop_index(batch_op.f("ix_nonconformity_action_due_date"))
        batch_op.drop_column("repeat_of_id")
        batch_op.drop_column("is_repeat")
        batch_op.drop_column("action_due_date")
        batch_op.drop_column("cause_category")

    with op.batch_alter_table("improvement_action", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_improvement_action_nonconformity_id_nonconformity"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_improvement_action_nonconformity_id"))
        batch_op.drop_column("nonconformity_id")
        batch_op.drop_column("origin_ref")
        batch_op.drop_column("origin")
        batch_op.drop_column("priority")
