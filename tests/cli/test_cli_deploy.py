"""``baton deploy``: deployments registered from a project's ``baton.yaml``, every mistake in
the file reported with the deployment and field at fault, and nothing half-registered."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from baton import flow
from baton.client.base import BatonClient
from baton.core.actions import WorkPoolCreate, WorkQueueCreate
from baton.core.deployments import GitSource
from baton.deploy_config import deploy_flow
from baton.runner.entrypoint import EntrypointError
from baton.testing import baton_test_harness

Invoke = Callable[..., Any]

ETL = """
from baton import flow

@flow(name="etl")
def etl(table: str, rows: int = 10) -> int:
    return rows

not_a_flow = 42
"""

PROJECT = """
source:
  git:
    repository: https://example.com/acme/pipelines.git
    branch: main
deployments:
  - name: nightly
    entrypoint: flows/etl.py:etl
    parameters: {table: events}
    schedules:
      - cron: "0 2 * * *"
        timezone: Europe/Paris
      - interval: 1h30m
        active: false
    work_pool:
      name: etl-pool
      work_queue_name: high
      job_variables: {env: {MODE: fast}}
    tags: [nightly, etl]
    description: Load the night's events.
    version: "3"
    concurrency_limit: 1
    crash_retries: 2
    paused: true
  - name: adhoc
    entrypoint: flows/etl.py:etl
    work_pool: {name: etl-pool}
"""


@pytest.fixture
def project(tmp_path: Path, sqlite_client: BatonClient) -> Path:
    """A project directory with one flow file and the pool its deployments use."""
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "etl.py").write_text(ETL)
    (root / "baton.yaml").write_text(PROJECT)
    sqlite_client.create_work_pool(WorkPoolCreate(name="etl-pool"))
    sqlite_client.create_work_queue("etl-pool", WorkQueueCreate(name="high", priority=1))
    return root


def write_config(root: Path, text: str) -> str:
    (root / "baton.yaml").write_text(textwrap.dedent(text))
    return str(root / "baton.yaml")


def test_deploy_all(invoke: Invoke, sqlite_client: BatonClient, project: Path) -> None:
    result = invoke("deploy", "--all", "--file", str(project / "baton.yaml"))
    assert result.exit_code == 0, result.output
    assert "Deployed etl/nightly" in result.stdout and "Deployed etl/adhoc" in result.stdout

    nightly = sqlite_client.read_deployment_by_name("etl/nightly")
    assert nightly.entrypoint == "flows/etl.py:etl"
    assert nightly.source == GitSource(
        repository="https://example.com/acme/pipelines.git", branch="main"
    )
    assert nightly.path is None
    assert nightly.parameters == {"table": "events"}
    cron, interval = sorted(nightly.schedules, key=lambda s: "cron" not in s.schedule)
    assert (cron.schedule["cron"], cron.schedule["timezone"], cron.active) == (
        "0 2 * * *",
        "Europe/Paris",
        True,
    )
    assert (interval.schedule["interval"], interval.active) == (5400, False)
    assert (nightly.work_pool_name, nightly.work_queue_name) == ("etl-pool", "high")
    assert nightly.job_variables == {"env": {"MODE": "fast"}}
    assert nightly.tags == ["nightly", "etl"]
    assert (nightly.description, nightly.version) == ("Load the night's events.", "3")
    assert (nightly.concurrency_limit, nightly.crash_retries, nightly.paused) == (1, 2, True)
    schema = nightly.parameter_openapi_schema
    assert schema is not None
    assert set(schema["properties"]) == {"table", "rows"}
    assert schema["required"] == ["table"]

    adhoc = sqlite_client.read_deployment_by_name("etl/adhoc")
    assert (adhoc.work_queue_name, adhoc.paused, adhoc.schedules) == ("default", False, [])


def test_deploy_by_name_updates_in_place(
    invoke: Invoke, sqlite_client: BatonClient, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)  # baton.yaml is found in the current directory
    first = invoke("deploy", "adhoc")
    assert first.exit_code == 0, first.output
    assert "baton deployment run etl/adhoc" in first.stdout
    assert [d.name for d in sqlite_client.read_deployments()] == ["adhoc"]
    deployment_id = sqlite_client.read_deployment_by_name("etl/adhoc").id

    pool = "work_pool: {name: etl-pool}"
    text = PROJECT.replace(pool, f"{pool}\n    tags: [v2]")
    (project / "baton.yaml").write_text(text)
    assert invoke("deploy", "adhoc").exit_code == 0
    again = sqlite_client.read_deployment_by_name("etl/adhoc")
    assert (again.id, again.tags) == (deployment_id, ["v2"])


def test_names_are_needed_when_the_file_has_several(
    invoke: Invoke, error_line: Callable[[str], str], sqlite_client: BatonClient, project: Path
) -> None:
    file = str(project / "baton.yaml")
    result = invoke("deploy", "--file", file)
    assert result.exit_code == 2
    assert "has 2 deployments (nightly, adhoc)" in error_line(result.stderr)
    result = invoke("deploy", "daily", "--file", file)
    assert result.exit_code == 2
    assert "no deployment 'daily'; it has 'nightly', 'adhoc'" in error_line(result.stderr)
    assert sqlite_client.read_deployments() == []


def test_the_one_deployment_of_a_file_needs_no_name(
    invoke: Invoke, sqlite_client: BatonClient, project: Path
) -> None:
    file = write_config(
        project,
        """
        deployments:
          - name: only
            entrypoint: flows/etl.py:etl
            work_pool: {name: etl-pool}
        """,
    )
    assert invoke("deploy", "--file", file).exit_code == 0
    deployment = sqlite_client.read_deployment_by_name("etl/only")
    assert deployment.path == str(project.resolve())  # code stays where the project is
    assert deployment.source is None


def test_a_local_source_directory(
    invoke: Invoke, sqlite_client: BatonClient, project: Path
) -> None:
    code = project / "code"
    (code / "jobs").mkdir(parents=True)
    (code / "jobs" / "load.py").write_text(ETL)
    file = write_config(
        project,
        """
        source: {path: code}
        deployments:
          - name: local
            entrypoint: jobs/load.py:etl
            work_pool: {name: etl-pool}
        """,
    )
    result = invoke("deploy", "--all", "--file", file)
    assert result.exit_code == 0, result.output
    deployment = sqlite_client.read_deployment_by_name("etl/local")
    assert (deployment.path, deployment.entrypoint) == (str(code.resolve()), "jobs/load.py:etl")


BAD_FILES = [
    pytest.param(
        PROJECT.replace('"0 2 * * *"', '"0 25 * * *"'),
        "deployment 'nightly': schedules[0]: ",
        id="bad-cron",
    ),
    pytest.param(
        PROJECT.replace("interval: 1h30m", "interval: 1h30m\n        cron: '* * * * *'"),
        "deployment 'nightly': schedules[1]: give exactly one of cron, interval and rrule",
        id="two-kinds",
    ),
    pytest.param(
        PROJECT.replace("interval: 1h30m", "interval: soon"),
        "deployment 'nightly': schedules[1].interval: 'soon' is not a duration",
        id="bad-interval",
    ),
    pytest.param(
        PROJECT.replace("Europe/Paris", "Mars/Olympus"),
        "deployment 'nightly': schedules[0]: ",
        id="bad-timezone",
    ),
    pytest.param(
        PROJECT.replace("    schedules:", "    schedule:"),
        "deployment 'nightly': schedule: Extra inputs are not permitted",
        id="unknown-field",
    ),
    pytest.param(
        PROJECT.replace("    work_pool: {name: etl-pool}\n", ""),
        "deployment 'adhoc': work_pool: Field required",
        id="no-pool",
    ),
    pytest.param(
        PROJECT.replace("crash_retries: 2", "crash_retries: -1"),
        "deployment 'nightly': crash_retries: Input should be greater than or equal to 0",
        id="negative",
    ),
    pytest.param(
        PROJECT.replace("name: adhoc", "name: nightly"),
        "deployments: two deployments are called 'nightly'",
        id="duplicate",
    ),
    pytest.param(
        PROJECT.replace("flows/etl.py:etl\n    work_pool", "flows/etl.py\n    work_pool"),
        "deployment 'adhoc': entrypoint: 'flows/etl.py' is not 'path/to/file.py:flow_function'",
        id="entrypoint-format",
    ),
    pytest.param(
        PROJECT.replace("flows/etl.py:etl\n    work_pool", "flows/gone.py:etl\n    work_pool"),
        "deployment 'adhoc': no file",
        id="entrypoint-missing",
    ),
    pytest.param(
        PROJECT.replace("etl.py:etl\n    work_pool", "etl.py:not_a_flow\n    work_pool"),
        "deployment 'adhoc': entrypoint 'flows/etl.py:not_a_flow' is",
        id="not-a-flow",
    ),
    pytest.param(
        PROJECT.replace("{table: events}", "{table: events, colour: red}"),
        "deployment 'nightly': parameters: flow 'etl' has no parameter(s) 'colour'",
        id="unknown-parameter",
    ),
    pytest.param(
        PROJECT.replace("{table: events}", "{table: events, rows: many}"),
        "deployment 'nightly': parameters: parameter 'rows'",
        id="bad-parameter",
    ),
    pytest.param(
        PROJECT.replace("work_pool: {name: etl-pool}", "work_pool: {name: nowhere}"),
        "'nowhere' not found",
        id="unknown-pool",
    ),
    pytest.param(
        PROJECT.replace("work_queue_name: high", "work_queue_name: low"),
        "work pool 'etl-pool' has no queue 'low'; create it with: baton work-queue create low",
        id="unknown-queue",
    ),
    pytest.param(
        "deployments:\n  - name: a\n   entrypoint: b\n",
        "baton.yaml: invalid YAML at line 3: expected <block end>",
        id="yaml-syntax",
    ),
    pytest.param("- a list", "expected a mapping with a 'deployments' list", id="not-a-mapping"),
    pytest.param("deployments: []", "deployments: List should have at least 1 item", id="none"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_bad_file_registers_nothing(
    invoke: Invoke,
    *,
    error_line: Callable[[str], str],
    sqlite_client: BatonClient,
    project: Path,
    text: str,
    message: str,
) -> None:
    file = write_config(project, text)
    result = invoke("deploy", "--all", "--file", file)
    assert result.exit_code == 1, result.output
    assert message in error_line(result.stderr)
    assert sqlite_client.read_deployments() == []


def test_a_missing_file(
    invoke: Invoke, error_line: Callable[[str], str], tmp_path: Path, sqlite_client: BatonClient
) -> None:
    result = invoke("deploy", "--all", "--file", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "nope.yaml does not exist" in error_line(result.stderr)


@flow(name="report")
def report(day: str, pages: int = 1) -> None:
    """Make the daily report."""


def test_deploy_flow_from_python(
    sqlite_client: BatonClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``Flow.deploy`` does: the entrypoint is where the flow was defined."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    sqlite_client.create_work_pool(WorkPoolCreate(name="reports"))
    deployment_id = deploy_flow(
        report,
        "daily",
        "reports",
        cron="30 6 * * 1-5",
        timezone="America/New_York",
        parameters={"day": "today"},
        tags=["reports"],
    )
    deployment = sqlite_client.read_deployment(deployment_id)
    assert deployment.entrypoint == "tests/cli/test_cli_deploy.py:report"
    assert deployment.path == str(root)
    assert deployment.description == "Make the daily report."
    assert deployment.schedules[0].schedule["cron"] == "30 6 * * 1-5"
    assert deployment.schedules[0].schedule["timezone"] == "America/New_York"

    with pytest.raises(EntrypointError, match="outside"):
        deploy_flow(report, "daily", "reports", source=root / "docs")
    with pytest.raises(ValueError, match="exactly one of cron, interval and rrule"):
        deploy_flow(report, "daily", "reports", cron="* * * * *", interval=60)


def test_deploy_through_a_server(invoke: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "remote"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "etl.py").write_text(ETL)
    with baton_test_harness(server=True) as client:
        client.create_work_pool(WorkPoolCreate(name="etl-pool"))
        client.create_work_queue("etl-pool", WorkQueueCreate(name="high"))
        file = write_config(root, PROJECT)
        result = invoke("deploy", "nightly", "--file", file)
        assert result.exit_code == 0, result.output
        deployment = client.read_deployment_by_name("etl/nightly")
        assert sorted(s.schedule.get("interval", 0) for s in deployment.schedules) == [0, 5400]
        assert deployment.source is not None
        bad = write_config(root, PROJECT.replace("etl-pool", "nowhere"))
        refused = invoke("deploy", "adhoc", "--file", bad)
        assert refused.exit_code == 1
        assert "'nowhere'" in refused.stderr
