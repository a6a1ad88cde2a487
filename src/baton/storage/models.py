"""The tables. Runs keep their current state denormalised (type, name, id) for
fast filtering and their full history in the ``*_state`` tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, MetaData, String, Table, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from baton.storage.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "fk": "fk_%(table_name)s__%(column_0_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSONType}


class Stored:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created: Mapped[dt.datetime]
    updated: Mapped[dt.datetime]


class Flow(Stored, Base):
    __tablename__ = "flow"
    name: Mapped[str] = mapped_column(String, unique=True)
    tags: Mapped[Any] = mapped_column(JSONType, default=list)


class RunColumns(Stored):
    """Columns flow runs and task runs share."""

    name: Mapped[str] = mapped_column(String)
    state_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state_type: Mapped[str | None] = mapped_column(String(16))
    state_name: Mapped[str | None] = mapped_column(String)
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    expected_start_time: Mapped[dt.datetime | None]
    start_time: Mapped[dt.datetime | None]
    end_time: Mapped[dt.datetime | None]
    total_run_time: Mapped[float] = mapped_column(Float, default=0.0)
    tags: Mapped[Any] = mapped_column(JSONType, default=list)
    empirical_policy: Mapped[Any] = mapped_column(JSONType, default=dict)


class FlowRun(RunColumns, Base):
    __tablename__ = "flow_run"
    flow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flow.id", ondelete="CASCADE"))
    parameters: Mapped[Any] = mapped_column(JSONType, default=dict)
    parent_task_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    deployment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    flow_version: Mapped[str | None] = mapped_column(String)

    __table_args__ = (
        Index(None, "flow_id"),
        Index(None, "state_type"),
        Index(None, "start_time"),
        Index(None, "expected_start_time"),
        Index(None, "parent_task_run_id"),
        Index(None, "created"),
    )


class TaskRun(RunColumns, Base):
    __tablename__ = "task_run"
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("flow_run.id", ondelete="CASCADE")
    )
    task_key: Mapped[str] = mapped_column(String)
    dynamic_key: Mapped[str] = mapped_column(String)
    cache_key: Mapped[str | None] = mapped_column(String)
    cache_expiration: Mapped[dt.datetime | None]
    task_version: Mapped[str | None] = mapped_column(String)
    task_inputs: Mapped[Any] = mapped_column(JSONType, default=dict)
    flow_run_run_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index(None, "flow_run_id"),
        Index(None, "state_type"),
        Index(None, "start_time"),
        Index(None, "created"),
    )


class StateColumns:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String)
    timestamp: Mapped[dt.datetime]
    message: Mapped[str | None] = mapped_column(Text)
    result_ref: Mapped[Any | None] = mapped_column(JSONType)
    state_details: Mapped[Any] = mapped_column(JSONType, default=dict)


class FlowRunState(StateColumns, Base):
    __tablename__ = "flow_run_state"
    flow_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flow_run.id", ondelete="CASCADE"))
    __table_args__ = (Index(None, "flow_run_id", "timestamp"),)


class TaskRunState(StateColumns, Base):
    __tablename__ = "task_run_state"
    task_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task_run.id", ondelete="CASCADE"))
    __table_args__ = (Index(None, "task_run_id", "timestamp"),)


class Log(Base):
    __tablename__ = "log"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    level: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[dt.datetime]
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    task_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    __table_args__ = (Index(None, "flow_run_id", "timestamp"), Index(None, "task_run_id"))


class OrchestrationDecision(Base):
    """A non-trivial answer of the rules engine, kept so users can ask why."""

    __tablename__ = "orchestration_decision"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    timestamp: Mapped[dt.datetime]
    run_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    run_kind: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    initial_state_type: Mapped[str | None] = mapped_column(String(16))
    proposed_state_type: Mapped[str] = mapped_column(String(16))
    proposed_state_name: Mapped[str] = mapped_column(String)
    resulting_state_type: Mapped[str | None] = mapped_column(String(16))
    resulting_state_name: Mapped[str | None] = mapped_column(String)
    delay_seconds: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index(None, "run_id", "timestamp"),)


class TaskCache(Base):
    """Results reusable by task runs with the same cache key, until they expire."""

    __tablename__ = "task_cache"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    result_ref: Mapped[Any] = mapped_column(JSONType)
    expiration: Mapped[dt.datetime | None]
    created: Mapped[dt.datetime]


class ConcurrencyLimit(Stored, Base):
    __tablename__ = "concurrency_limit"
    tag: Mapped[str] = mapped_column(String, unique=True)
    limit: Mapped[int] = mapped_column(Integer)
    active_slots: Mapped[Any] = mapped_column(JSONType, default=list)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, typed for Core statements."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
