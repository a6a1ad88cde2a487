"""One scenario through every client implementation at once: the stories they
tell must be the same, ids and clock readings aside."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from typing import Any

from contract_support import (
    history,
)

from baton.client.base import BatonClient
from baton.client.http import HttpClient
from baton.core.actions import FlowRunCreate, LogCreate, TaskRunCreate
from baton.core.models import Decision, FlowRun, RetryPolicy, TaskRun
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import StateType, utcnow
from baton.states import Completed, Failed, Pending, Running, Scheduled
from baton.testing import baton_test_harness


class Story:
    """What a client reports, with ids replaced by the order they were first seen."""

    def __init__(self) -> None:
        self.lines: list[tuple[Any, ...]] = []
        self._labels: dict[uuid.UUID, str] = {}

    def label(self, ident: uuid.UUID | None) -> str | None:
        if ident is None:
            return None
        return self._labels.setdefault(ident, f"#{len(self._labels)}")

    def run(self, what: str, run: FlowRun | TaskRun) -> None:
        state = run.state
        self.lines.append(
            (
                what,
                self.label(run.id),
                run.name,
                run.state_type,
                run.state_name,
                state.message if state else None,
                run.run_count,
                run.tags,
                run.empirical_policy.model_dump(),
                run.start_time is not None,
                run.end_time is not None,
                run.model_dump(
                    include={"parameters", "flow_version", "task_key", "dynamic_key", "cache_key"}
                ),
            )
        )

    def result(self, what: str, result: OrchestrationResult) -> None:
        state = result.state
        waited = result.status is Decision.WAIT
        self.lines.append(
            (
                what,
                result.status,
                state.type if state else None,
                state.name if state else None,
                result.rule,
                None if waited else result.reason,
                round(result.delay_seconds, -2) if result.delay_seconds else None,
            )
        )

    def error(self, what: str, call: Callable[[], object]) -> None:
        try:
            call()
        except Exception as error:
            self.lines.append((what, type(error).__name__, getattr(error, "kind", None)))
        else:
            self.lines.append((what, "no error"))


def tell_story(client: BatonClient) -> list[tuple[Any, ...]]:
    """Exercise every method of the interface; return what the client reported."""
    story = Story()
    etl = client.read_or_create_flow("etl")
    again = client.read_or_create_flow("etl")
    report = client.read_or_create_flow("report")
    story.lines.append(("flows", [(f.name, story.label(f.id)) for f in client.read_flows()]))
    story.lines.append(("same flow", again.id == etl.id))

    plain = client.create_flow_run(
        FlowRunCreate(flow_id=etl.id, name="plain", parameters={"n": 1}, tags=["b", "a"])
    )
    story.run("created plain", plain)
    main = client.create_flow_run(
        FlowRunCreate(
            flow_id=etl.id,
            name="main",
            flow_version="3",
            empirical_policy=RetryPolicy(retries=1, retry_delay=[2.0]),
            state=Pending(),
        )
    )
    story.run("created main", main)
    later = client.create_flow_run(
        FlowRunCreate(
            flow_id=report.id, name="later", state=Scheduled(utcnow() + dt.timedelta(hours=1))
        )
    )
    story.result("later starts", client.set_flow_run_state(later.id, Running()))
    story.result("main starts", client.set_flow_run_state(main.id, Running()))
    story.result("main starts twice", client.set_flow_run_state(main.id, Running()))

    tasks = [
        client.create_task_run(
            TaskRunCreate(
                task_key="step",
                name=f"step-{i}",
                dynamic_key=str(i),
                flow_run_id=main.id,
                tags=["db"] if i == 0 else [],
                empirical_policy=RetryPolicy(retries=1),
                state=Pending() if i < 2 else None,
            )
        )
        for i in range(3)
    ]
    client.create_concurrency_limit("db", 1)
    story.result("step-0 starts", client.set_task_run_state(tasks[0].id, Running()))
    story.lines.append(
        (
            "limits",
            [(c.tag, c.limit, len(c.active_slots)) for c in client.read_concurrency_limits()],
        )
    )
    story.result("step-0 fails", client.set_task_run_state(tasks[0].id, Failed(message="flaky")))
    story.result("step-0 reruns", client.set_task_run_state(tasks[0].id, Running()))
    story.result("step-0 completes", client.set_task_run_state(tasks[0].id, Completed()))
    story.result("step-1 starts", client.set_task_run_state(tasks[1].id, Running()))
    story.result("step-1 crashes", client.set_task_run_state(tasks[1].id, Failed(), force=True))
    story.result("main fails", client.set_flow_run_state(main.id, Failed(message="step-1")))
    story.result("main reruns", client.set_flow_run_state(main.id, Running()))
    story.result("main completes", client.set_flow_run_state(main.id, Completed()))
    story.result("main restarts", client.set_flow_run_state(main.id, Running()))

    client.create_logs(
        [
            LogCreate(
                name="story",
                level=10 * (i + 1),
                message=f"line {i}",
                timestamp=utcnow() + dt.timedelta(seconds=i),
                flow_run_id=main.id,
                task_run_id=tasks[0].id if i % 2 else None,
            )
            for i in range(5)
        ]
    )
    client.flush()
    read_story_back(client, story, [plain, main, later], tasks)
    return story.lines


def read_story_back(
    client: BatonClient, story: Story, flow_runs: list[FlowRun], tasks: list[TaskRun]
) -> None:
    """Read back, with every reading method, what ``tell_story`` did."""
    main = flow_runs[1]
    etl_id = main.flow_id
    for run in [client.read_flow_run(r.id) for r in flow_runs]:
        story.run("read flow run", run)
    for task_run in client.read_task_runs(flow_run_id=main.id):
        story.run("read task run", task_run)
    story.lines.append(("runs", [story.label(r.id) for r in client.read_flow_runs()]))
    story.lines.append(
        ("etl runs", [story.label(r.id) for r in client.read_flow_runs(flow_id=etl_id)])
    )
    scheduled = client.read_flow_runs(state_types=[StateType.SCHEDULED])
    story.lines.append(("scheduled", [story.label(r.id) for r in scheduled]))
    story.lines.append(
        ("page", [story.label(r.id) for r in client.read_flow_runs(limit=1, offset=1)])
    )
    story.lines.append(("count", client.count_task_runs(flow_run_id=main.id)))
    story.lines.append(("count done", client.count_task_runs(state_types=[StateType.COMPLETED])))
    story.lines.append(("main history", history(client.read_flow_run_states(main.id))))
    story.lines.append(("step-0 history", history(client.read_task_run_states(tasks[0].id))))
    story.lines.append(("step-2 history", history(client.read_task_run_states(tasks[2].id))))
    decisions = client.read_decisions([main.id, flow_runs[2].id, *(t.id for t in tasks)])
    story.lines.append(
        (
            "decisions",
            sorted(
                (
                    story.label(d.run_id),
                    d.run_kind,
                    d.rule,
                    d.decision,
                    d.initial_state_type,
                    d.proposed_state_type,
                    d.resulting_state_type,
                    d.resulting_state_name,
                )
                for d in decisions
            ),
        )
    )
    logs = client.read_logs(flow_run_id=main.id, min_level=20)
    story.lines.append(("logs", [(r.level, r.message, story.label(r.task_run_id)) for r in logs]))
    story.lines.append(
        ("task logs", [r.message for r in client.read_logs(task_run_id=tasks[0].id)])
    )
    client.delete_concurrency_limit("db")
    story.lines.append(("limits after delete", client.read_concurrency_limits()))

    missing = uuid.uuid4()
    story.error("read missing flow run", lambda: client.read_flow_run(missing))
    story.error("read missing task run", lambda: client.read_task_run(missing))
    story.error("missing flow run states", lambda: client.read_flow_run_states(missing))
    story.error("missing task run states", lambda: client.read_task_run_states(missing))
    story.error("propose for missing run", lambda: client.set_flow_run_state(missing, Running()))
    story.error("delete missing limit", lambda: client.delete_concurrency_limit("db"))


def test_every_implementation_tells_the_same_story() -> None:
    setups: dict[str, tuple[str | None, bool]] = {
        "sqlite": (None, False),
        "sqlite-http": (None, True),
    }
    postgres_url = os.environ.get("BATON_TEST_POSTGRES_URL")
    if postgres_url:  # the harness gives it a schema of its own
        setups["postgres"] = (postgres_url, False)
    stories: dict[str, list[tuple[Any, ...]]] = {}
    for name, (database_url, server) in setups.items():
        with baton_test_harness(database_url, server=server) as client:
            assert isinstance(client, HttpClient) is server
            stories[name] = tell_story(client)

    reference = stories["sqlite"]
    assert len(reference) > 40
    for name, story in stories.items():
        differences = [
            (index, expected, found)
            for index, (expected, found) in enumerate(zip(reference, story, strict=True))
            if expected != found
        ]
        assert differences == [], f"{name} differs from the embedded client on SQLite"
