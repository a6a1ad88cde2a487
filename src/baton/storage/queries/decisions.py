"""Recorded orchestration decisions: the answer to "why did this happen?"."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, select

from baton.core.models import OrchestrationDecision
from baton.storage import models as m
from baton.storage.queries.runs import insert_rows


def decision_row(decision: OrchestrationDecision) -> dict[str, object]:
    row = decision.model_dump()
    for key in (
        "run_kind",
        "decision",
        "initial_state_type",
        "proposed_state_type",
        "resulting_state_type",
    ):
        value = row[key]
        row[key] = value.value if value is not None else None
    return row


def insert_decisions(conn: Connection, decisions: Sequence[OrchestrationDecision]) -> None:
    insert_rows(conn, m.orchestration_decision, [decision_row(d) for d in decisions])


def read_decisions(conn: Connection, run_ids: Sequence[uuid.UUID]) -> list[OrchestrationDecision]:
    """Decisions about any of ``run_ids``, oldest first."""
    table = m.orchestration_decision
    statement = select(table).where(table.c.run_id.in_(list(run_ids))).order_by(table.c.timestamp)
    return [OrchestrationDecision.model_validate(row._mapping) for row in conn.execute(statement)]
