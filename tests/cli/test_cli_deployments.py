"""``baton deployment``: listing, inspecting, running, pausing and deleting deployments."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from baton.client.base import BatonClient
from baton.core.actions import DeploymentCreate, DeploymentScheduleCreate, WorkPoolCreate
from baton.core.deployments import Deployment
from baton.core.states import StateType
from baton.deploy_config import parse_duration
from baton.exceptions import ObjectNotFound
from baton.states import Completed, Crashed, Failed, Pending, Running, State
from baton.testing import baton_test_harness

Invoke = Callable[..., Any]
UUID_LINE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.M)

SCHEMA = {
    "type": "object",
    "properties": {
        "rows": {"type": "integer"},
        "table": {"type": "string"},
        "dry_run": {"type": "boolean", "default": False},
        "columns": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["rows", "table"],
}


def make_deployment(
    client: BatonClient,
    flow_name: str = "etl",
    name: str = "nightly",
    *,
    schedules: list[dict[str, Any]] | None = None,
    paused: bool = False,
) -> Deployment:
    if not any(pool.name == "etl-pool" for pool in client.read_work_pools()):
        client.create_work_pool(WorkPoolCreate(name="etl-pool"))
    flow_id = client.read_or_create_flow(flow_name).id
    return client.create_deployment(
        DeploymentCreate(
            flow_id=flow_id,
            name=name,
            entrypoint="flows/etl.py:etl",
            path="/srv/etl",
            parameters={"table": "events"},
            parameter_openapi_schema=SCHEMA,
            schedules=[DeploymentScheduleCreate(schedule=s) for s in schedules or []],
            work_pool_name="etl-pool",
            paused=paused,
            tags=["nightly"],
        )
    )


@pytest.fixture
def deployment(sqlite_client: BatonClient) -> Deployment:
    return make_deployment(sqlite_client, schedules=[{"interval": 3600}])


def run_id_of(stdout: str) -> uuid.UUID:
    (line,) = UUID_LINE.findall(stdout)
    return uuid.UUID(line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", dt.timedelta(seconds=90)),
        ("10m", dt.timedelta(minutes=10)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("2d", dt.timedelta(days=2)),
        ("1d2h3m4s", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 5M ", dt.timedelta(minutes=5)),
        ("0s", dt.timedelta(0)),
    ],
)
def test_durations(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "m", "1.5h", "30m1h", "1w", "-5m", "10 m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_ls(invoke: Invoke, sqlite_client: BatonClient) -> None:
    assert invoke("deployment", "ls").stdout.strip() == "No deployments."
    make_deployment(sqlite_client, "etl", "nightly", schedules=[{"interval": 3600}])
    make_deployment(sqlite_client, "backup", "weekly", paused=True)
    listed = invoke("deployment", "ls")
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.stdout.splitlines() if "/" in line]
    assert [line.split()[0] for line in lines] == ["backup/weekly", "etl/nightly"]
    assert lines[0].split()[2:] == ["etl-pool/default", "-", "paused"]
    assert "etl-pool/default" in lines[1] and lines[1].rstrip().endswith("active")
    as_json = json.loads(invoke("deployment", "ls", "-o", "json").stdout)
    assert [(d["flow_name"], d["name"]) for d in as_json] == [
        ("backup", "weekly"),
        ("etl", "nightly"),
    ]


def test_flow_run_inspect_says_where_a_deployment_run_went_and_ran(
    invoke: Invoke, sqlite_client: BatonClient
) -> None:
    from baton.core.actions import FlowRunUpdate

    make_deployment(sqlite_client)
    run_id = run_id_of(invoke("deployment", "run", "etl/nightly", "-p", "rows=1").stdout)
    sqlite_client.update_flow_run(
        run_id, FlowRunUpdate(infrastructure_pid="box-1:4242", code_revision="1a2b3c4")
    )

    out = invoke("flow-run", "inspect", str(run_id)).stdout

    assert re.search(r"Work pool / queue\s+etl-pool / default", out)
    assert re.search(r"Process\s+box-1:4242", out)
    assert re.search(r"Code revision\s+1a2b3c4", out)


def test_inspect(invoke: Invoke, sqlite_client: BatonClient) -> None:
    make_deployment(
        sqlite_client,
        schedules=[{"cron": "0 9 * * *", "timezone": "Europe/Paris"}, {"interval": 600}],
    )
    later = invoke("deployment", "run", "etl/nightly", "-p", "rows=1", "--start-in", "1h")
    run_id = run_id_of(later.stdout)

    inspected = invoke("deployment", "inspect", "etl/nightly")
    assert inspected.exit_code == 0, inspected.output
    out = inspected.stdout
    assert re.search(r"Name\s+etl/nightly", out)
    assert re.search(r"Entrypoint\s+flows/etl.py:etl", out)
    assert re.search(r"Source\s+/srv/etl", out)
    assert re.search(r"Work pool\s+etl-pool", out)
    assert re.search(r'Parameters\s+\{"table": "events"\}', out)
    assert re.search(r"Status\s+active", out)
    assert "Schedules" in out and "Upcoming runs" in out
    (upcoming,) = [line for line in out.splitlines() if str(run_id) in line]
    assert "Scheduled" in upcoming

    data = json.loads(invoke("deployment", "inspect", "etl/nightly", "-o", "json").stdout)
    intervals = [s["schedule"].get("interval") for s in data["deployment"]["schedules"]]
    assert sorted(intervals, key=str) == [600, None]
    assert [run["id"] for run in data["upcoming_runs"]] == [str(run_id)]


def test_run_merges_parameters_over_the_deployment_defaults(
    invoke: Invoke, sqlite_client: BatonClient, deployment: Deployment
) -> None:
    result = invoke(
        "deployment",
        "run",
        "etl/nightly",
        "--params-json",
        '{"rows": 1, "dry_run": true}',
        "--param",
        "rows=500",
        "-p",
        'columns=["a", "b"]',
        "-p",
        "table=users",
    )
    assert result.exit_code == 0, result.output
    run = sqlite_client.read_flow_run(run_id_of(result.stdout))
    assert run.parameters == {"rows": 500, "table": "users", "dry_run": True, "columns": ["a", "b"]}
    assert run.deployment_id == deployment.id
    assert run.state_type is StateType.SCHEDULED
    assert run.name in result.stdout


def test_a_value_that_is_not_json_is_a_string(
    invoke: Invoke, sqlite_client: BatonClient, deployment: Deployment
) -> None:
    result = invoke("deployment", "run", "nightly", "-p", "rows=2", "-p", "table=a=b c")
    assert result.exit_code == 0, result.output
    assert sqlite_client.read_flow_run(run_id_of(result.stdout)).parameters["table"] == "a=b c"


def test_run_later(invoke: Invoke, sqlite_client: BatonClient, deployment: Deployment) -> None:
    before = dt.datetime.now(dt.timezone.utc)
    result = invoke("deployment", "run", "etl/nightly", "-p", "rows=1", "--start-in", "1h30m")
    after = dt.datetime.now(dt.timezone.utc)
    state = sqlite_client.read_flow_run(run_id_of(result.stdout)).state
    assert state is not None and state.state_details.scheduled_time is not None
    delay = dt.timedelta(hours=1, minutes=30)
    assert before + delay <= state.state_details.scheduled_time <= after + delay

    at = "2031-05-01T14:30:00+02:00"
    result = invoke("deployment", "run", "etl/nightly", "-p", "rows=1", "--start-at", at)
    assert result.exit_code == 0, result.output
    state = sqlite_client.read_flow_run(run_id_of(result.stdout)).state
    assert state is not None
    assert state.state_details.scheduled_time == dt.datetime.fromisoformat(at)


class StandInWorker(threading.Thread):
    """Takes the flow's run once it exists and moves it to ``end``, as a worker would.

    If a state is refused it crashes the run (forced), so a watching command still ends.
    """

    def __init__(self, client: BatonClient, flow_id: uuid.UUID, end: State) -> None:
        super().__init__()
        self.client, self.flow_id, self.end = client, flow_id, end
        self.accepted: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + 30
        runs = self.client.read_flow_runs(flow_id=self.flow_id)
        while not runs and time.monotonic() < deadline:
            time.sleep(0.02)
            runs = self.client.read_flow_runs(flow_id=self.flow_id)
        if not runs:
            return  # no run was made: the command failed before watching
        run_id = runs[0].id
        try:
            for state in (Pending(), Running(), self.end):
                result = self.client.set_flow_run_state(run_id, state)
                if result.state is None or result.state.type is not state.type:
                    break
                self.accepted.append(result.state.name)
        finally:
            if len(self.accepted) < 3:
                self.client.set_flow_run_state(run_id, Crashed(message="refused"), force=True)


@pytest.mark.parametrize(
    ("end", "exit_code"),
    [(Completed(message="all rows loaded"), 0), (Failed(message="table is locked"), 1)],
)
def test_watch_follows_the_run_until_it_ends(
    invoke: Invoke,
    sqlite_client: BatonClient,
    deployment: Deployment,
    end: State,
    exit_code: int,
) -> None:
    worker = StandInWorker(sqlite_client, deployment.flow_id, end)
    worker.start()
    args = ("deployment", "run", "etl/nightly", "-p", "rows=1", "--watch")
    result = invoke(*args, "--watch-interval", "0.02")
    worker.join()
    assert worker.accepted == ["Pending", "Running", end.name]
    assert result.exit_code == exit_code, result.output
    states = [line.split()[2] for line in result.stdout.splitlines() if line[:2] == "20"]
    assert states[0] == "Scheduled"
    assert states[-1] == end.name
    assert f"{end.name}  {end.message}" in result.stdout
    if end.is_completed():
        assert result.stderr == ""
    else:
        assert "ended Failed" in result.stderr


def test_pause_resume_delete(
    invoke: Invoke, sqlite_client: BatonClient, deployment: Deployment
) -> None:
    paused = invoke("deployment", "pause", "etl/nightly")
    assert paused.exit_code == 0
    assert "Paused deployment etl/nightly" in paused.stdout
    assert sqlite_client.read_deployment(deployment.id).paused
    assert invoke("deployment", "resume", "nightly").exit_code == 0
    assert not sqlite_client.read_deployment(deployment.id).paused
    assert invoke("deployment", "delete", "etl/nightly").exit_code == 0
    with pytest.raises(ObjectNotFound):
        sqlite_client.read_deployment(deployment.id)


@pytest.mark.parametrize(
    "command",
    [
        ["deployment", "inspect", "etl/missing"],
        ["deployment", "inspect", "missing"],
        ["deployment", "run", "etl/missing"],
        ["deployment", "pause", "missing"],
        ["deployment", "delete", "etl/missing"],
    ],
)
def test_an_unknown_deployment_is_one_line_error(
    invoke: Invoke,
    error_line: Callable[[str], str],
    deployment: Deployment,
    command: list[str],
) -> None:
    result = invoke(*command)
    assert result.exit_code == 1
    assert "missing" in error_line(result.stderr)
    assert "not found" in result.stderr


def test_a_name_two_flows_share_must_be_given_in_full(
    invoke: Invoke, error_line: Callable[[str], str], sqlite_client: BatonClient
) -> None:
    make_deployment(sqlite_client, "etl", "nightly")
    make_deployment(sqlite_client, "backup", "nightly")
    result = invoke("deployment", "pause", "nightly")
    assert result.exit_code == 2
    assert "backup/nightly, etl/nightly" in error_line(result.stderr)
    assert invoke("deployment", "pause", "backup/nightly").exit_code == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-p", "rows"], "'rows' is not KEY=VALUE"),
        (["-p", "=5"], "'=5' is not KEY=VALUE"),
        (["--params-json", "{rows: 1}"], "not valid JSON"),
        (["--params-json", "[1, 2]"], "must be a JSON object"),
        (["--start-in", "soon"], "'soon' is not a duration"),
        (["--start-at", "tomorrow"], "'tomorrow' is not an ISO 8601 time"),
        (["--start-in", "1m", "--start-at", "2031-01-01T00:00"], "not both"),
    ],
)
def test_bad_run_options_are_usage_errors(
    invoke: Invoke,
    *,
    error_line: Callable[[str], str],
    sqlite_client: BatonClient,
    deployment: Deployment,
    arguments: list[str],
    message: str,
) -> None:
    result = invoke("deployment", "run", "etl/nightly", *arguments)
    assert result.exit_code == 2
    assert message in error_line(result.stderr)
    assert sqlite_client.read_flow_runs(flow_id=deployment.flow_id) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-p", "rows=many"], "parameter 'rows'"),
        ([], "'rows' is a required property"),
    ],
)
def test_parameters_the_deployment_refuses(
    invoke: Invoke,
    *,
    error_line: Callable[[str], str],
    sqlite_client: BatonClient,
    deployment: Deployment,
    arguments: list[str],
    message: str,
) -> None:
    result = invoke("deployment", "run", "etl/nightly", *arguments)
    assert result.exit_code == 1
    assert message in error_line(result.stderr)
    assert sqlite_client.read_flow_runs(flow_id=deployment.flow_id) == []


@pytest.fixture
def server_client() -> Iterator[BatonClient]:
    with baton_test_harness(server=True) as client:
        yield client


def test_deployments_through_a_server(
    invoke: Invoke, error_line: Callable[[str], str], server_client: BatonClient
) -> None:
    deployment = make_deployment(server_client, schedules=[{"interval": 60}])
    listed = invoke("deployment", "ls")
    assert "etl/nightly" in listed.stdout

    refused = invoke("deployment", "run", "etl/nightly", "-p", "rows=many")
    assert refused.exit_code == 1
    line = error_line(refused.stderr)
    assert "parameter 'rows'" in line

    created = invoke("deployment", "run", "etl/nightly", "-p", "rows=3")
    assert created.exit_code == 0, created.output
    run = server_client.read_flow_run(run_id_of(created.stdout))
    assert (run.deployment_id, run.parameters["rows"]) == (deployment.id, 3)

    assert invoke("deployment", "pause", "etl/nightly").exit_code == 0
    assert server_client.read_deployment(deployment.id).paused
    assert "etl/nightly" in invoke("deployment", "inspect", "etl/nightly").stdout
