"""personal access tokens of the JSON API

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

An account may hold personal access tokens for the API under /api/v1: each named, with a
scope (read, or read-write), an expiry (at most 366 days), the time it was last used
(written at most once a minute) and revoked rather than deleted. Only the token's sha256
is stored, unique; the token itself is shown once, when it is created.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("read", "read-write", name="tokenscope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_api_token_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_token_token_sha256")),
    )
    op.create_index("ix_api_token_account", "api_token", ["account_id", "revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_api_token_account", table_name="api_token")
    op.drop_table("api_token")
