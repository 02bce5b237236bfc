"""indicators, measurements, process and management reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEW_KIND = sa.Enum(
    "management_review", "process_review", name="reviewkind", native_enum=False, length=32
)


def upgrade() -> None:
    _indicators()
    _measurements()
    _breaches_and_charts()
    _review_tables()
    for table in ("management_review", "process_review"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
            batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))
            batch_op.add_column(sa.Column("previous_review_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_previous_review_id_{table}"),
                table,
                ["previous_review_id"],
                ["id"],
            )


def _indicators() -> None:
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("higher", "lower", name="direction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("alert_threshold", sa.Float(), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum(
                "monthly",
                "quarterly",
                "semester",
                "yearly",
                name="frequency",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("data_source", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=True),
        sa.Column("maximum", sa.Float(), nullable=True),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("since_period", sa.String(length=10), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_indicator_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["process.id"], name=op.f("fk_indicator_process_id_process")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_code")),
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_process_id"), ["process_id"], unique=False)


def _measurements() -> None:
    op.create_table(
        "indicator_measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_measurement_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_measurement")),
        sa.UniqueConstraint(
            "indicator_id", "period", name=op.f("uq_indicator_measurement_indicator_id")
        ),
    )
    with op.batch_alter_table("indicator_measurement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_measurement_period_end"), ["period_end"], unique=False
        )
    op.create_table(
        "indicator_measurement_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measurement_id", sa.Integer(), nullable=False),
        sa.Column("previous_value", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["measurement_id"],
            ["indicator_measurement.id"],
            name=op.f("fk_indicator_measurement_revision_measurement_id_indicator_measurement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_measurement_revision")),
    )
    with op.batch_alter_table("indicator_measurement_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_measurement_revision_measurement_id"),
            ["measurement_id"],
            unique=False,
        )


def _breaches_and_charts() -> None:
    op.create_table(
        "indicator_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "accepted",
                "dismissed",
                "withdrawn",
                name="breachstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["improvement_action.id"],
            name=op.f("fk_indicator_breach_action_id_improvement_action"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_breach_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_breach")),
        sa.UniqueConstraint(
            "indicator_id", "period", name=op.f("uq_indicator_breach_indicator_id")
        ),
    )
    with op.batch_alter_table("indicator_breach", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_breach_state"), ["state"], unique=False)
    op.create_table(
        "indicator_chart",
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("svg", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_chart_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("data_hash", name=op.f("pk_indicator_chart")),
    )
    with op.batch_alter_table("indicator_chart", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_chart_indicator_id"), ["indicator_id"], unique=False
        )


def _review_tables() -> None:
    op.create_table(
        "review_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_kind", REVIEW_KIND, nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_note")),
    )
    with op.batch_alter_table("review_note", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_note_review", ["review_kind", "review_id", "section"], unique=False
        )
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_kind", REVIEW_KIND, nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["improvement_action.id"],
            name=op.f("fk_review_decision_action_id_improvement_action"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decision")),
    )
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_decision_review", ["review_kind", "review_id"], unique=False
        )
    op.create_table(
        "review_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_kind", REVIEW_KIND, nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_pack")),
        sa.UniqueConstraint("review_kind", "review_id", name=op.f("uq_review_pack_review_kind")),
    )


def downgrade() -> None:
    for table in ("process_review", "management_review"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_previous_review_id_{table}"), type_="foreignkey"
            )
            batch_op.drop_column("previous_review_id")
            batch_op.drop_column("period_end")
            batch_op.drop_column("period_start")
    op.drop_table("review_pack")
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decision_review")
    op.drop_table("review_decision")
    with op.batch_alter_table("review_note", schema=None) as batch_op:
        batch_op.drop_index("ix_review_note_review")
    op.drop_table("review_note")
    with op.batch_alter_table("indicator_chart", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_chart_indicator_id"))
    op.drop_table("indicator_chart")
    with op.batch_alter_table("indicator_breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_breach_state"))
    op.drop_table("indicator_breach")
    with op.batch_alter_table("indicator_measurement_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_measurement_revision_measurement_id"))
    op.drop_table("indicator_measurement_revision")
    with op.batch_alter_table("indicator_measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_measurement_period_end"))
    op.drop_table("indicator_measurement")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_process_id"))
    op.drop_table("indicator")
