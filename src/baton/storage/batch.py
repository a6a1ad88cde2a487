"""A group of row writes applied together, with as few statements as possible."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from baton.core.models import OrchestrationDecision, RunKind
from baton.storage.queries import decisions, logs, runs

Op = tuple[Any, ...]


@dataclass
class WriteBatch:
    """Row writes grouped by table and written in dependency order, in one go.

    An operation is a tuple: ("run", kind, row) inserts a run; ("progress", kind,
    row) updates a run's state columns (folded into the insert when the run is
    new in this batch); ("state", kind, row); ("log", row); ("decision", decision).
    """

    new_runs: dict[RunKind, dict[Any, dict[str, Any]]] = field(
        default_factory=lambda: {RunKind.FLOW_RUN: {}, RunKind.TASK_RUN: {}}
    )
    progress: dict[RunKind, dict[Any, dict[str, Any]]] = field(
        default_factory=lambda: {RunKind.FLOW_RUN: {}, RunKind.TASK_RUN: {}}
    )
    states: dict[RunKind, list[dict[str, Any]]] = field(
        default_factory=lambda: {RunKind.FLOW_RUN: [], RunKind.TASK_RUN: []}
    )
    logs: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[OrchestrationDecision] = field(default_factory=list)
    size: int = 0

    def add(self, item: Op) -> None:
        self.size += 1
        op = item[0]
        if op == "run":
            _, kind, row = item
            self.new_runs[kind][row["id"]] = row
        elif op == "progress":
            _, kind, row = item
            pending = self.new_runs[kind].get(row["id"])
            if pending is not None:
                pending.update(row)
            else:
                self.progress[kind][row["id"]] = row
        elif op == "state":
            self.states[item[1]].append(item[2])
        elif op == "log":
            self.logs.append(item[1])
        elif op == "decision":
            self.decisions.append(item[1])

    def write(self, conn: Connection) -> None:
        for kind in (RunKind.FLOW_RUN, RunKind.TASK_RUN):
            runs.insert_runs(conn, kind, list(self.new_runs[kind].values()))
        for kind in (RunKind.FLOW_RUN, RunKind.TASK_RUN):
            runs.insert_states(conn, kind, self.states[kind])
            runs.update_run_progress(conn, kind, list(self.progress[kind].values()))
        logs.insert_logs(conn, self.logs)
        decisions.insert_decisions(conn, self.decisions)
