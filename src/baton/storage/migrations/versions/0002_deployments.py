"""Deployments, their schedules, work pools, work queues and workers.

Revision ID: 0002
Revises: 0001
Created: 2026-11-21

Flow runs gain what a deployment's run carries: an idempotency key (unique per
flow, so a scheduled run is made once whatever the race), its work queue, job
variables, the worker's process id, the code revision it ran and its heartbeat.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

_FLOW_RUN_COLUMNS = (
    ("idempotency_key", sa.String(), True),
    ("auto_scheduled", sa.Boolean(), False),
    ("work_queue_id", sa.Uuid(), True),
    ("work_pool_name", sa.String(), True),
    ("work_queue_name", sa.String(), True),
    ("job_variables", JSON, False),
    ("infrastructure_pid", sa.String(), True),
    ("code_revision", sa.String(), True),
    ("heartbeat_time", TIMESTAMP, True),
)
# Defaults for the rows that exist when the migration runs.
_EXISTING_ROW_DEFAULTS = {"auto_scheduled": sa.text("false"), "job_variables": sa.text("'{}'")}


def _stored_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", TIMESTAMP, nullable=False),
        sa.Column("updated", TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "work_pool",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("base_job_template", JSON, nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("default_queue_id", sa.Uuid(), nullable=True),
        *_stored_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_work_pool"),
        sa.UniqueConstraint("name", name="uq_work_pool__name"),
    )
    op.create_table(
        "work_queue",
        sa.Column("work_pool_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("last_polled", TIMESTAMP, nullable=True),
        *_stored_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_work_queue"),
        sa.UniqueConstraint("work_pool_id", "name", name="uq_work_queue__work_pool_id_name"),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pool.id"],
            name="fk_work_queue__work_pool_id__work_pool",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "worker",
        sa.Column("work_pool_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("last_heartbeat_time", TIMESTAMP, nullable=False),
        sa.Column("heartbeat_interval_seconds", sa.Float(), nullable=True),
        *_stored_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_worker"),
        sa.UniqueConstraint("work_pool_id", "name", name="uq_worker__work_pool_id_name"),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pool.id"],
            name="fk_worker__work_pool_id__work_pool",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "deployment",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.String(), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("entrypoint", sa.String(), nullable=True),
        sa.Column("path", sa.String(), nullable=True),
        sa.Column("source", JSON, nullable=True),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("parameter_openapi_schema", JSON, nullable=True),
        sa.Column("enforce_parameter_schema", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("work_queue_id", sa.Uuid(), nullable=True),
        sa.Column("job_variables", JSON, nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("crash_retries", sa.Integer(), nullable=False),
        sa.Column("last_polled", TIMESTAMP, nullable=True),
        *_stored_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_deployment"),
        sa.UniqueConstraint("flow_id", "name", name="uq_deployment__flow_id_name"),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flow.id"], name="fk_deployment__flow_id__flow", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["work_queue_id"],
            ["work_queue.id"],
            name="fk_deployment__work_queue_id__work_queue",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_deployment__work_queue_id", "deployment", ["work_queue_id"])
    op.create_table(
        "deployment_schedule",
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column("schedule", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_stored_columns(),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name="fk_deployment_schedule__deployment_id__deployment",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deployment_schedule"),
    )
    op.create_index(
        "ix_deployment_schedule__deployment_id", "deployment_schedule", ["deployment_id"]
    )

    for name, type_, nullable in _FLOW_RUN_COLUMNS:
        default = _EXISTING_ROW_DEFAULTS.get(name)
        op.add_column("flow_run", sa.Column(name, type_, nullable=nullable, server_default=default))
    with op.batch_alter_table("flow_run") as batch:
        for name in _EXISTING_ROW_DEFAULTS:
            batch.alter_column(name, server_default=None)
    op.create_index(
        "ix_flow_run__deployment_id_expected_start_time",
        "flow_run",
        ["deployment_id", "expected_start_time"],
    )
    op.create_index(
        "ix_flow_run__work_queue_id_state_type_expected_start_time",
        "flow_run",
        ["work_queue_id", "state_type", "expected_start_time"],
    )
    # Two-column indexes that serve what the one-column ones did, and more: lists in a
    # state newest first, and counts by state over time read from the index alone.
    op.drop_index("ix_flow_run__created", table_name="flow_run")
    op.drop_index("ix_flow_run__state_type", table_name="flow_run")
    op.create_index("ix_flow_run__created_state_type", "flow_run", ["created", "state_type"])
    op.create_index("ix_flow_run__state_type_created", "flow_run", ["state_type", "created"])
    op.create_index(
        "ix_flow_run__flow_id_idempotency_key",
        "flow_run",
        ["flow_id", "idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    for index in (
        "ix_flow_run__state_type_created",
        "ix_flow_run__created_state_type",
        "ix_flow_run__flow_id_idempotency_key",
        "ix_flow_run__work_queue_id_state_type_expected_start_time",
        "ix_flow_run__deployment_id_expected_start_time",
    ):
        op.drop_index(index, table_name="flow_run")
    op.create_index("ix_flow_run__created", "flow_run", ["created"])
    op.create_index("ix_flow_run__state_type", "flow_run", ["state_type"])
    with op.batch_alter_table("flow_run") as batch:
        for name, _, _ in reversed(_FLOW_RUN_COLUMNS):
            batch.drop_column(name)
    for table in ("deployment_schedule", "deployment", "worker", "work_queue", "work_pool"):
        op.drop_table(table)
