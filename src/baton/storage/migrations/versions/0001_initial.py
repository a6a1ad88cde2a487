"""Initial schema: flows, runs and their state history, logs, decisions, cache, limits.

Revision ID: 0001
Revises:
Created: 2026-11-21

Types are spelled with plain SQLAlchemy so this file keeps creating the same
tables whatever later happens to ``baton.storage.types``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _stored_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("updated", TIMESTAMP, nullable=False),
    ]


def _run_columns() -> list[sa.Column[object]]:
    """Columns flow runs and task runs share, after their own."""
    return [
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state_id", sa.Uuid(), nullable=True),
        sa.Column("state_type", sa.String(16), nullable=True),
        sa.Column("state_name", sa.String(), nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("expected_start_time", TIMESTAMP, nullable=True),
        sa.Column("start_time", TIMESTAMP, nullable=True),
        sa.Column("end_time", TIMESTAMP, nullable=True),
        sa.Column("total_run_time", sa.Float(), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("empirical_policy", JSON, nullable=False),
        *_stored_columns(),
    ]


def _state_columns() -> list[sa.Column[object]]:
    """Columns of the flow run and task run state history tables, after the run id."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("timestamp", TIMESTAMP, nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result_ref", JSON, nullable=True),
        sa.Column("state_details", JSON, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "concurrency_limit",
        sa.Column("tag", sa.String(), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=False),
        sa.Column("active_slots", JSON, nullable=False),
        *_stored_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_concurrency_limit"),
        sa.UniqueConstraint("tag", name="uq_concurrency_limit__tag"),
    )

    op.create_table(
        "flow",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        *_stored_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_flow"),
        sa.UniqueConstraint("name", name="uq_flow__name"),
    )

    op.create_table(
        "log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("timestamp", TIMESTAMP, nullable=False),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_run_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_log"),
    )
    op.create_index("ix_log__flow_run_id_timestamp", "log", ["flow_run_id", "timestamp"])
    op.create_index("ix_log__task_run_id", "log", ["task_run_id"])

    op.create_table(
        "orchestration_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("timestamp", TIMESTAMP, nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("run_kind", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("initial_state_type", sa.String(16), nullable=True),
        sa.Column("proposed_state_type", sa.String(16), nullable=False),
        sa.Column("proposed_state_name", sa.String(), nullable=False),
        sa.Column("resulting_state_type", sa.String(16), nullable=True),
        sa.Column("resulting_state_name", sa.String(), nullable=True),
        sa.Column("delay_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_orchestration_decision"),
    )
    op.create_index(
        "ix_orchestration_decision__run_id_timestamp",
        "orchestration_decision",
        ["run_id", "timestamp"],
    )

    op.create_table(
        "task_cache",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("result_ref", JSON, nullable=False),
        sa.Column("expiration", TIMESTAMP, nullable=True),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_task_cache"),
    )

    op.create_table(
        "flow_run",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("parent_task_run_id", sa.Uuid(), nullable=True),
        sa.Column("deployment_id", sa.Uuid(), nullable=True),
        sa.Column("flow_version", sa.String(), nullable=True),
        *_run_columns(),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flow.id"], name="fk_flow_run__flow_id__flow", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_flow_run"),
    )
    for column in (
        "created",
        "expected_start_time",
        "flow_id",
        "parent_task_run_id",
        "start_time",
        "state_type",
    ):
        op.create_index(f"ix_flow_run__{column}", "flow_run", [column])

    op.create_table(
        "flow_run_state",
        sa.Column("flow_run_id", sa.Uuid(), nullable=False),
        *_state_columns(),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_run.id"],
            name="fk_flow_run_state__flow_run_id__flow_run",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_flow_run_state"),
    )
    op.create_index(
        "ix_flow_run_state__flow_run_id_timestamp", "flow_run_state", ["flow_run_id", "timestamp"]
    )

    op.create_table(
        "task_run",
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_key", sa.String(), nullable=False),
        sa.Column("dynamic_key", sa.String(), nullable=False),
        sa.Column("cache_key", sa.String(), nullable=True),
        sa.Column("cache_expiration", TIMESTAMP, nullable=True),
        sa.Column("task_version", sa.String(), nullable=True),
        sa.Column("task_inputs", JSON, nullable=False),
        sa.Column("flow_run_run_count", sa.Integer(), nullable=False),
        *_run_columns(),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_run.id"],
            name="fk_task_run__flow_run_id__flow_run",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_run"),
    )
    for column in ("created", "flow_run_id", "start_time", "state_type"):
        op.create_index(f"ix_task_run__{column}", "task_run", [column])

    op.create_table(
        "task_run_state",
        sa.Column("task_run_id", sa.Uuid(), nullable=False),
        *_state_columns(),
        sa.ForeignKeyConstraint(
            ["task_run_id"],
            ["task_run.id"],
            name="fk_task_run_state__task_run_id__task_run",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_run_state"),
    )
    op.create_index(
        "ix_task_run_state__task_run_id_timestamp", "task_run_state", ["task_run_id", "timestamp"]
    )


def downgrade() -> None:
    # Children before parents; a table's indexes go with it.
    for table in (
        "task_run_state",
        "task_run",
        "flow_run_state",
        "flow_run",
        "task_cache",
        "orchestration_decision",
        "log",
        "flow",
        "concurrency_limit",
    ):
        op.drop_table(table)
