"""indexes for the worklist, the registers and a nonconformity's action due date

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The home page reads the open records of a person's processes (process and state) and the
actions they own (owner and state); the registers filter on process and state and sort by
due date; a nonconformity's "action due" is the earliest due date of its open actions
(nonconformity, state, due date). With 100,000 actions the single-column indexes made each
of these read every action of the process.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    (
        "improvement_action",
        "ix_improvement_action_process_state_due",
        ["process_id", "state", "due_date"],
    ),
    ("improvement_action", "ix_improvement_action_owner_state", ["owner_id", "state"]),
    (
        "improvement_action",
        "ix_improvement_action_nc_state_due",
        ["nonconformity_id", "state", "due_date"],
    ),
    ("nonconformity", "ix_nonconformity_process_state", ["process_id", "state"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
