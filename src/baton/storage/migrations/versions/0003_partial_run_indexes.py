"""Index flow runs by deployment, work queue, parent task and idempotency key only
where they have one.

Revision ID: 0003
Revises: 0002
Created: 2026-11-21

Most runs are started by hand or by a parent flow and have none of these, yet
each of those indexes held an entry for every run, and the work queue's (which
includes the state) was rewritten on every state change. As partial indexes
they hold only the runs with a value, which is all a query on them reads: an
equality, ``IN`` or join on the column implies it is not null, and both SQLite
and PostgreSQL use the index for it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# (index, its columns, the column it now requires, unique)
_INDEXES = (
    ("ix_flow_run__parent_task_run_id", ["parent_task_run_id"], "parent_task_run_id", False),
    (
        "ix_flow_run__deployment_id_expected_start_time",
        ["deployment_id", "expected_start_time"],
        "deployment_id",
        False,
    ),
    (
        "ix_flow_run__work_queue_id_state_type_expected_start_time",
        ["work_queue_id", "state_type", "expected_start_time"],
        "work_queue_id",
        False,
    ),
    (
        "ix_flow_run__flow_id_idempotency_key",
        ["flow_id", "idempotency_key"],
        "idempotency_key",
        True,
    ),
)


def upgrade() -> None:
    for name, columns, required, unique in _INDEXES:
        where = sa.text(f"{required} IS NOT NULL")
        op.drop_index(name, table_name="flow_run")
        op.create_index(
            name, "flow_run", columns, unique=unique, sqlite_where=where, postgresql_where=where
        )


def downgrade() -> None:
    for name, columns, _, unique in _INDEXES:
        op.drop_index(name, table_name="flow_run")
        op.create_index(name, "flow_run", columns, unique=unique)
