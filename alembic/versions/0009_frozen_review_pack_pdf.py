"""frozen review packs keep their PDF, in revisions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A review pack is frozen as HTML and PDF, each with its sha256, and a later freeze (the
outputs recorded, clause 9.3.3) makes a new revision beside the old one: one row per
(review_kind, review_id, revision).  Packs frozen before this revision keep their HTML
and hash as they are and have no PDF yet: a migration does not render documents, so
their PDF is printed from the stored HTML at its first download and kept from then on
(services.reviews.frozen).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "uq_review_pack_review_kind"  # the naming convention's name, before and after


def upgrade() -> None:
    with op.batch_alter_table("review_pack", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["review_kind", "review_id", "revision"])
    with op.batch_alter_table("review_pack", schema=None) as batch_op:
        # The defaults served the rows already there; the model gives every new row both.
        batch_op.alter_column("revision", server_default=None)
        batch_op.alter_column("reason", server_default=None)


def downgrade() -> None:
    review_pack = sa.table("review_pack", sa.column("revision", sa.Integer()))
    op.execute(review_pack.delete().where(review_pack.c.revision > 1))  # one pack per review
    with op.batch_alter_table("review_pack", schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["review_kind", "review_id"])
        batch_op.drop_column("pdf_sha256")
        batch_op.drop_column("pdf")
        batch_op.drop_column("reason")
        batch_op.drop_column("revision")
