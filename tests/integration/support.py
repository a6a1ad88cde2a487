"""Running Baton in child processes and reading back what they recorded.

A child is a fresh interpreter with its own ``BATON_HOME``, so it pays every
real cost: schema creation, the writer thread, shutdown at interpreter exit.
What it recorded is then read with a new ``Database`` of the test's own, never
through the child's state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import baton
from baton.storage.database import Database
from baton.storage.models import flow_run, flow_run_state, task_run, task_run_state

# Where ``baton`` is imported from, so children use this very checkout.
BATON_IMPORT_ROOT = Path(baton.__file__).resolve().parents[1]

FULL_HISTORY = ["PENDING", "RUNNING", "COMPLETED"]
"""The states, in order, of a run that went straight through."""


class Child:
    """Runs Python scripts in fresh interpreters that share one Baton home and database."""

    def __init__(self, directory: Path, database_url: str | None) -> None:
        self.directory = directory
        self.home = directory / "home"
        self._database_url = database_url

    @property
    def database_url(self) -> str:
        return self._database_url or f"sqlite:///{self.home / 'baton.db'}"

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of a child: this home and database, no console logging."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        paths = [str(BATON_IMPORT_ROOT), os.environ.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        env["BATON_HOME"] = str(self.home)
        env["BATON_LOGGING_TO_CONSOLE"] = "false"
        if self._database_url:
            env["BATON_DATABASE_URL"] = self._database_url
        env.update(overrides)
        return env

    def script(self, source: str) -> Path:
        path = self.directory / f"child_{uuid.uuid4().hex[:8]}.py"
        path.write_text(source)
        return path

    def run(
        self, source: str, *args: str, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``source`` to completion and return what it printed."""
        return subprocess.run(
            [sys.executable, str(self.script(source)), *args],
            env=self.env(**env),
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    @staticmethod
    def report(process: subprocess.CompletedProcess[str]) -> Any:
        """The JSON document a child printed as its last stdout line, once it succeeded."""
        assert process.returncode == 0, process.stderr
        lines = process.stdout.strip().splitlines()
        assert lines, f"the child printed nothing; stderr:\n{process.stderr}"
        return json.loads(lines[-1])

    def start(self, source: str, *args: str, **env: str) -> subprocess.Popen[str]:
        """Start ``source`` with pipes on stdin, stdout and stderr; the caller waits for it."""
        return subprocess.Popen(
            [sys.executable, str(self.script(source)), *args],
            env=self.env(**env),
            cwd=self.directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


class Records:
    """What a database holds about runs, read with plain queries."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    def flow_run_state(self, run_id: uuid.UUID) -> str | None:
        with self.db.read() as conn:
            return conn.scalar(select(flow_run.c.state_type).where(flow_run.c.id == run_id))

    def flow_run_history(self, run_id: uuid.UUID) -> list[str]:
        with self.db.read() as conn:
            return list(
                conn.scalars(
                    select(flow_run_state.c.type)
                    .where(flow_run_state.c.flow_run_id == run_id)
                    .order_by(flow_run_state.c.timestamp)
                )
            )

    def flow_run_ids(self) -> set[uuid.UUID]:
        with self.db.read() as conn:
            return set(conn.scalars(select(flow_run.c.id)))

    def task_run_states(self, flow_run_id: uuid.UUID | None = None) -> dict[uuid.UUID, str | None]:
        """Current state of every task run (of one flow run, when given)."""
        statement = select(task_run.c.id, task_run.c.state_type)
        if flow_run_id is not None:
            statement = statement.where(task_run.c.flow_run_id == flow_run_id)
        with self.db.read() as conn:
            return {row.id: row.state_type for row in conn.execute(statement)}

    def task_run_states_of(self, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
        """Current state of the given task runs that exist."""
        ids = list(run_ids)
        states: dict[uuid.UUID, str | None] = {}
        with self.db.read() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(task_run.c.id, task_run.c.state_type).where(
                        task_run.c.id.in_(ids[start : start + 500])
                    )
                )
                states.update({row.id: row.state_type for row in rows})
        return states

    def task_run_histories(self, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        """Every state row of the given task runs, oldest first, keyed by run."""
        histories: dict[uuid.UUID, list[str]] = {run_id: [] for run_id in run_ids}
        ids = list(run_ids)
        with self.db.read() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(task_run_state.c.task_run_id, task_run_state.c.type)
                    .where(task_run_state.c.task_run_id.in_(ids[start : start + 500]))
                    .order_by(task_run_state.c.task_run_id, task_run_state.c.timestamp)
                )
                for row in rows:
                    histories[row.task_run_id].append(row.type)
        return histories

    def assert_completed_task_runs(self, run_ids: Sequence[uuid.UUID]) -> None:
        """Each task run finished COMPLETED and kept every state it went through."""
        states = self.task_run_states_of(run_ids)
        missing = [run_id for run_id in run_ids if run_id not in states]
        assert not missing, f"{len(missing)} of {len(run_ids)} task runs were never recorded"
        unfinished = {k: v for k, v in states.items() if v != "COMPLETED"}
        assert not unfinished, f"{len(unfinished)} task runs did not complete: {unfinished}"
        histories = self.task_run_histories(run_ids)
        partial = {k: v for k, v in histories.items() if v != FULL_HISTORY}
        example = next(iter(partial.items()), None)
        assert not partial, f"{len(partial)} task runs have a partial history, e.g. {example}"

    def assert_completed_flow_run(self, run_id: uuid.UUID, task_count: int) -> list[uuid.UUID]:
        """The flow run and exactly ``task_count`` task runs of it completed, histories whole."""
        state = self.flow_run_state(run_id)
        assert state == "COMPLETED", f"flow run {run_id} is {state}"
        history = self.flow_run_history(run_id)
        assert history == FULL_HISTORY, f"flow run {run_id} went through {history}"
        task_runs = self.task_run_states(run_id)
        assert len(task_runs) == task_count, f"flow run {run_id} has {len(task_runs)} task runs"
        self.assert_completed_task_runs(list(task_runs))
        return list(task_runs)

    def count_task_run_states(self) -> int:
        with self.db.read() as conn:
            return conn.scalar(select(func.count()).select_from(task_run_state)) or 0

    def count_task_runs(self) -> int:
        with self.db.read() as conn:
            return conn.scalar(select(func.count()).select_from(task_run)) or 0
