"""internal audits: programme, audits, checklists, findings, reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workflow_record_columns() -> list[sa.Column[object]]:
    return [
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
    ]


def upgrade() -> None:
    op.create_table(
        "audit_programme",
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        *_workflow_record_columns(),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_audit_programme_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_programme")),
        sa.UniqueConstraint("cycle", name=op.f("uq_audit_programme_cycle")),
    )
    with op.batch_alter_table("audit_programme", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_programme_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_programme_state"), ["state"], unique=False)

    with op.batch_alter_table("internal_audit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audit_type", sa.String(length=20), server_default="internal", nullable=False)
        )
        batch_op.add_column(sa.Column("planned_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("location", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("auditee", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("audit_client", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("programme_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_audit_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_internal_audit_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_internal_audit_programme_id_audit_programme"),
            "audit_programme",
            ["programme_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_internal_audit_previous_audit_id_internal_audit"),
            "internal_audit",
            ["previous_audit_id"],
            ["id"],
        )

    with op.batch_alter_table("audit_finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("found_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("nonconformity_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("action_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_audit_finding_nonconformity_id"), ["nonconformity_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_finding_action_id_improvement_action"),
            "improvement_action",
            ["action_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_finding_nonconformity_id_nonconformity"),
            "nonconformity",
            ["nonconformity_id"],
            ["id"],
        )

    op.create_table(
        "audit_checklist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("clause", sa.String(length=40), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column(
            "answer",
            sa.Enum(
                "conform",
                "not_conform",
                "not_applicable",
                name="answer",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["person.id"],
            name=op.f("fk_audit_checklist_item_answered_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["internal_audit.id"],
            name=op.f("fk_audit_checklist_item_audit_id_internal_audit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checklist_item")),
        sa.UniqueConstraint("audit_id", "position", name=op.f("uq_audit_checklist_item_audit_id")),
    )
    with op.batch_alter_table("audit_checklist_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_checklist_item_audit_id"), ["audit_id"], unique=False
        )

    op.create_table(
        "audit_programme_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("lead_auditor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["internal_audit.id"],
            name=op.f("fk_audit_programme_entry_audit_id_internal_audit"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_auditor_id"],
            ["person.id"],
            name=op.f("fk_audit_programme_entry_lead_auditor_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_audit_programme_entry_process_id_process")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["audit_programme.id"],
            name=op.f("fk_audit_programme_entry_programme_id_audit_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_programme_entry")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_audit_programme_entry_audit_id")),
    )
    with op.batch_alter_table("audit_programme_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_programme_entry_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_programme_entry_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "audit_report_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("html_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["internal_audit.id"],
            name=op.f("fk_audit_report_revision_audit_id_internal_audit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_report_revision")),
        sa.UniqueConstraint("audit_id", "revision", name=op.f("uq_audit_report_revision_audit_id")),
    )
    with op.batch_alter_table("audit_report_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_report_revision_audit_id"), ["audit_id"], unique=False
        )

    op.create_table(
        "audit_team_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "lead_auditor",
                "auditor",
                "observer",
                "technical_expert",
                name="teamrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["internal_audit.id"],
            name=op.f("fk_audit_team_member_audit_id_internal_audit"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_audit_team_member_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_team_member")),
        sa.UniqueConstraint("audit_id", "person_id", name=op.f("uq_audit_team_member_audit_id")),
    )
    with op.batch_alter_table("audit_team_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_team_member_audit_id"), ["audit_id"], unique=False
        )

    op.create_table(
        "impartiality_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("conflicting_roles", sa.String(length=200), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["person.id"],
            name=op.f("fk_impartiality_exception_approved_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["internal_audit.id"],
            name=op.f("fk_impartiality_exception_audit_id_internal_audit"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_impartiality_exception_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impartiality_exception")),
        sa.UniqueConstraint(
            "audit_id", "person_id", name=op.f("uq_impartiality_exception_audit_id")
        ),
    )
    with op.batch_alter_table("impartiality_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_impartiality_exception_audit_id"), ["audit_id"], unique=False
        )


def downgrade() -> None:
    for table in (
        "impartiality_exception",
        "audit_team_member",
        "audit_report_revision",
        "audit_programme_entry",
        "audit_checklist_item",
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            index = (
                "ix_audit_programme_entry_programme_id"
                if table == "audit_programme_entry"
                else f"ix_{table}_audit_id"
            )
            batch_op.drop_index(batch_op.f(index))
            if table == "audit_programme_entry":
                batch_op.drop_index(batch_op.f("ix_audit_programme_entry_process_id"))
        op.drop_table(table)

    with op.batch_alter_table("audit_finding", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_finding_nonconformity_id_nonconformity"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_audit_finding_action_id_improvement_action"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_audit_finding_nonconformity_id"))
        batch_op.drop_column("action_id")
        batch_op.drop_column("nonconformity_id")
        batch_op.drop_column("found_on")
        batch_op.drop_column("grade")

    with op.batch_alter_table("internal_audit", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_internal_audit_previous_audit_id_internal_audit"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_internal_audit_programme_id_audit_programme"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_internal_audit_programme_id"))
        batch_op.drop_column("previous_audit_id")
        batch_op.drop_column("programme_id")
        batch_op.drop_column("audit_client")
        batch_op.drop_column("auditee")
        batch_op.drop_column("location")
        batch_op.drop_column("planned_end")
        batch_op.drop_column("audit_type")

    with op.batch_alter_table("audit_programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_programme_state"))
        batch_op.drop_index(batch_op.f("ix_audit_programme_process_id"))
    op.drop_table("audit_programme")
