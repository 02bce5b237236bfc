"""process map

Revision ID: 0001
Revises:
Create Date: 2026-11-25 15:07:02.396869
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("code", name=op.f("uq_organisation_code")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("email", name=op.f("uq_person_email")),
        sa.UniqueConstraint("handle", name=op.f("uq_person_handle")),
    )
    op.create_table(
        "macro_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_macro_process_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macro_process")),
        sa.UniqueConstraint("code", name=op.f("uq_macro_process_code")),
    )
    with op.batch_alter_table("macro_process", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_macro_process_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("macro_process_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("interfaces", sa.JSON(), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("risks", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["macro_process_id"],
            ["macro_process.id"],
            name=op.f("fk_process_macro_process_id_macro_process"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process")),
        sa.UniqueConstraint("code", name=op.f("uq_process_code")),
    )
    with op.batch_alter_table("process", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_macro_process_id"), ["macro_process_id"], unique=False
        )

    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "pilot",
                "correspondent",
                "contributor",
                "auditor",
                "director",
                "quality_manager",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_role_assignment_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_role_assignment_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignment")),
    )
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_role_assignment_person_role", ["person_id", "role"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_role_assignment_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(
            "uq_role_assignment_open_pilot",
            ["process_id"],
            unique=True,
            sqlite_where=sa.text("role = 'pilot' AND valid_to IS NULL"),
            postgresql_where=sa.text("role = 'pilot' AND valid_to IS NULL"),
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_role_assignment_open_pilot",
            sqlite_where=sa.text("role = 'pilot' AND valid_to IS NULL"),
            postgresql_where=sa.text("role = 'pilot' AND valid_to IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_role_assignment_process_id"))
        batch_op.drop_index("ix_role_assignment_person_role")

    op.drop_table("role_assignment")
    with op.batch_alter_table("process", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_macro_process_id"))

    op.drop_table("process")
    with op.batch_alter_table("macro_process", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_macro_process_organisation_id"))

    op.drop_table("macro_process")
    op.drop_table("person")
    op.drop_table("organisation")
    # ### end Alembic commands ###
