"""The tables, as SQLAlchemy Core ``Table`` definitions.

Runs keep their current state denormalised (type, name, id) for fast
filtering and their full history in the ``*_state`` tables. Core tables, not
ORM classes: Baton's queries are Core statements, and the ORM would cost
every process a tenth of a second to import.

The column order follows the initial migration, so a database created from
these definitions is identical to one built by Alembic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from baton.storage.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "fk": "fk_%(table_name)s__%(column_0_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _where_set(column: str) -> dict[str, Any]:
    """A partial index's options: only the rows where ``column`` has a value.

    For columns most runs leave empty (migration 0003 says why).
    """
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


def _stored() -> list[Column[object]]:
    return [
        Column("id", Uuid, primary_key=True),
        Column("created", UTCDateTime, nullable=False),
        Column("updated", UTCDateTime, nullable=False),
    ]


def _run() -> list[Column[object]]:
    """Columns flow runs and task runs share, after their own."""
    return [
        Column("name", String, nullable=False),
        Column("state_id", Uuid),
        Column("state_type", String(16)),
        Column("state_name", String),
        Column("run_count", Integer, nullable=False, default=0),
        Column("expected_start_time", UTCDateTime),
        Column("start_time", UTCDateTime),
        Column("end_time", UTCDateTime),
        Column("total_run_time", Float, nullable=False, default=0.0),
        Column("tags", JSONType, nullable=False, default=list),
        Column("empirical_policy", JSONType, nullable=False, default=dict),
        *_stored(),
    ]


def _state(run_table: str) -> list[Column[object]]:
    """A state-history table: the run it belongs to, then the state's fields."""
    return [
        Column(
            f"{run_table}_id",
            ForeignKey(f"{run_table}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("id", Uuid, primary_key=True),
        Column("type", String(16), nullable=False),
        Column("name", String, nullable=False),
        Column("timestamp", UTCDateTime, nullable=False),
        Column("message", Text),
        Column("result_ref", JSONType),
        Column("state_details", JSONType, nullable=False, default=dict),
    ]


concurrency_limit = Table(
    "concurrency_limit",
    metadata,
    Column("tag", String, nullable=False),
    Column("limit", Integer, nullable=False),
    Column("active_slots", JSONType, nullable=False, default=list),
    *_stored(),
    UniqueConstraint("tag"),
)

flow = Table(
    "flow",
    metadata,
    Column("name", String, nullable=False),
    Column("tags", JSONType, nullable=False, default=list),
    *_stored(),
    UniqueConstraint("name"),
)

log = Table(
    "log",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String, nullable=False),
    Column("level", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("flow_run_id", Uuid),
    Column("task_run_id", Uuid),
    Index(None, "flow_run_id", "timestamp"),
    Index(None, "task_run_id"),
)

orchestration_decision = Table(
    "orchestration_decision",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("run_id", Uuid, nullable=False),
    Column("run_kind", String(16), nullable=False),
    Column("rule", String, nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("initial_state_type", String(16)),
    Column("proposed_state_type", String(16), nullable=False),
    Column("proposed_state_name", String, nullable=False),
    Column("resulting_state_type", String(16)),
    Column("resulting_state_name", String),
    Column("delay_seconds", Float),
    Index(None, "run_id", "timestamp"),
)
"""A non-trivial answer of the rules engine, kept so users can ask why."""

task_cache = Table(
    "task_cache",
    metadata,
    Column("key", String, primary_key=True),
    Column("result_ref", JSONType, nullable=False),
    Column("expiration", UTCDateTime),
    Column("created", UTCDateTime, nullable=False),
)
"""Results reusable by task runs with the same cache key, until they expire."""

flow_run = Table(
    "flow_run",
    metadata,
    Column("flow_id", ForeignKey("flow.id", ondelete="CASCADE"), nullable=False),
    Column("parameters", JSONType, nullable=False, default=dict),
    Column("parent_task_run_id", Uuid),
    Column("deployment_id", Uuid),
    Column("flow_version", String),
    *_run(),
    # Added with deployments (migration 0002), hence after the shared columns.
    Column("idempotency_key", String),
    Column("auto_scheduled", Boolean, nullable=False, default=False),
    Column("work_queue_id", Uuid),
    Column("work_pool_name", String),
    Column("work_queue_name", String),
    Column("job_variables", JSONType, nullable=False, default=dict),
    Column("infrastructure_pid", String),
    Column("code_revision", String),
    Column("heartbeat_time", UTCDateTime),
    Index(None, "flow_id"),
    Index(None, "start_time"),
    Index(None, "expected_start_time"),
    Index(None, "parent_task_run_id", **_where_set("parent_task_run_id")),
    # Lists newest first, and counts by state over time read from the index alone.
    Index(None, "created", "state_type"),
    # Runs in a state, newest first.
    Index(None, "state_type", "created"),
    Index(None, "deployment_id", "expected_start_time", **_where_set("deployment_id")),
    # What a queue's workers are offered, in order.
    Index(
        None, "work_queue_id", "state_type", "expected_start_time", **_where_set("work_queue_id")
    ),
    # One run per key and flow: how scheduled runs are made exactly once.
    Index(None, "flow_id", "idempotency_key", unique=True, **_where_set("idempotency_key")),
)

flow_run_state = Table(
    "flow_run_state",
    metadata,
    *_state("flow_run"),
    Index(None, "flow_run_id", "timestamp"),
)

task_run = Table(
    "task_run",
    metadata,
    Column("flow_run_id", ForeignKey("flow_run.id", ondelete="CASCADE")),
    Column("task_key", String, nullable=False),
    Column("dynamic_key", String, nullable=False),
    Column("cache_key", String),
    Column("cache_expiration", UTCDateTime),
    Column("task_version", String),
    Column("task_inputs", JSONType, nullable=False, default=dict),
    Column("flow_run_run_count", Integer, nullable=False, default=0),
    *_run(),
    Index(None, "flow_run_id"),
    Index(None, "state_type"),
    Index(None, "start_time"),
    Index(None, "created"),
)

task_run_state = Table(
    "task_run_state",
    metadata,
    *_state("task_run"),
    Index(None, "task_run_id", "timestamp"),
)


work_pool = Table(
    "work_pool",
    metadata,
    Column("name", String, nullable=False),
    Column("description", Text),
    Column("type", String, nullable=False),
    Column("base_job_template", JSONType, nullable=False, default=dict),
    Column("is_paused", Boolean, nullable=False, default=False),
    Column("concurrency_limit", Integer),
    Column("default_queue_id", Uuid),
    *_stored(),
    UniqueConstraint("name"),
)

work_queue = Table(
    "work_queue",
    metadata,
    Column("work_pool_id", ForeignKey("work_pool.id", ondelete="CASCADE"), nullable=False),
    Column("name", String, nullable=False),
    Column("description", Text),
    Column("is_paused", Boolean, nullable=False, default=False),
    Column("concurrency_limit", Integer),
    Column("priority", Integer, nullable=False),
    Column("last_polled", UTCDateTime),
    *_stored(),
    UniqueConstraint("work_pool_id", "name"),
)

worker = Table(
    "worker",
    metadata,
    Column("work_pool_id", ForeignKey("work_pool.id", ondelete="CASCADE"), nullable=False),
    Column("name", String, nullable=False),
    Column("last_heartbeat_time", UTCDateTime, nullable=False),
    Column("heartbeat_interval_seconds", Float),
    *_stored(),
    UniqueConstraint("work_pool_id", "name"),
)
"""A worker as its pool last heard from it."""

deployment = Table(
    "deployment",
    metadata,
    Column("flow_id", ForeignKey("flow.id", ondelete="CASCADE"), nullable=False),
    Column("name", String, nullable=False),
    Column("description", Text),
    Column("version", String),
    Column("tags", JSONType, nullable=False, default=list),
    Column("entrypoint", String),
    Column("path", String),
    Column("source", JSONType),
    Column("parameters", JSONType, nullable=False, default=dict),
    Column("parameter_openapi_schema", JSONType),
    Column("enforce_parameter_schema", Boolean, nullable=False, default=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("work_queue_id", ForeignKey("work_queue.id", ondelete="SET NULL")),
    Column("job_variables", JSONType, nullable=False, default=dict),
    Column("concurrency_limit", Integer),
    Column("crash_retries", Integer, nullable=False, default=0),
    Column("last_polled", UTCDateTime),
    *_stored(),
    UniqueConstraint("flow_id", "name"),
    Index(None, "work_queue_id"),
)

deployment_schedule = Table(
    "deployment_schedule",
    metadata,
    Column("deployment_id", ForeignKey("deployment.id", ondelete="CASCADE"), nullable=False),
    Column("schedule", JSONType, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    *_stored(),
    Index(None, "deployment_id"),
)
