"""one corrective-action register, and the rules an auditor checks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Each part of this revision lives in its own function below: the corrective-action register
(embedded plans become action records), the audit rules (checklist and findings), the
review rules, and the outbox's delivery attempts.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used by the parts below as they are written
from alembic import op  # noqa: F401

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# -- corrective-action register and duty exceptions ---------------------------------------


def _capa_upgrade() -> None:
    pass


def _capa_downgrade() -> None:
    pass


# -- audits: checklist answers and findings ------------------------------------------------


def _audit_upgrade() -> None:
    pass


def _audit_downgrade() -> None:
    pass


# -- reviews: reasons for missing inputs ---------------------------------------------------


def _review_upgrade() -> None:
    pass


def _review_downgrade() -> None:
    pass


# -- outbox: delivery attempts ---------------------------------------------------------------


def _outbox_upgrade() -> None:
    pass


def _outbox_downgrade() -> None:
    pass


def upgrade() -> None:
    _capa_upgrade()
    _audit_upgrade()
    _review_upgrade()
    _outbox_upgrade()


def downgrade() -> None:
    _outbox_downgrade()
    _review_downgrade()
    _audit_downgrade()
    _capa_downgrade()
