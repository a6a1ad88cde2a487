"""``flow.serve()``: a long-lived process that schedules and runs its own deployments."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from baton.client.base import BatonClient
from baton.core.actions import DeploymentFlowRunCreate
from baton.core.deployments import Deployment
from baton.core.models import FlowRun
from baton.core.states import StateType
from baton.exceptions import ObjectNotFound

from .conftest import Processes
from .support import wait_for, write

pytestmark = pytest.mark.http

SERVED = """
    from baton import flow, get_run_logger


    @flow
    def tick(label: str = "tick") -> str:
        get_run_logger().info("%s", label)
        return label


    @flow
    def tock() -> str:
        return "tock"


    if __name__ == "__main__":
        from baton.runner.serve import serve

        serve(
            tick.to_deployment("every-second", interval=1, parameters={"label": "tick!"}),
            tock.to_deployment("by-hand"),
            poll_interval=0.1,
            limit=1,
        )
"""


def deployment_named(client: BatonClient, name: str) -> Deployment | None:
    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        return None


def test_serve_registers_its_deployments_and_runs_their_scheduled_runs(
    server_client: BatonClient, processes: Processes, project: Path
) -> None:
    write(project / "served.py", SERVED)
    served = processes.start("served.py", cwd=project)

    ticking = wait_for(lambda: deployment_named(server_client, "tick/every-second"))
    assert ticking.entrypoint == "served.py:tick"
    assert ticking.path == str(project.resolve())
    assert ticking.work_pool_name is None
    assert [s.schedule["interval"] for s in ticking.schedules] == [1.0]
    assert ticking.parameter_openapi_schema is not None
    assert ticking.parameter_openapi_schema["properties"]["label"]["default"] == "tick"

    def completed(deployment: Deployment) -> list[FlowRun]:
        return server_client.read_flow_runs(
            flow_id=deployment.flow_id, state_types=[StateType.COMPLETED]
        )

    [run, *_] = wait_for(lambda: completed(ticking), what="a scheduled run to complete")
    assert run.deployment_id == ticking.id
    assert (run.idempotency_key or "").startswith(f"scheduled {ticking.id} ")
    assert run.parameters == {"label": "tick!"}

    by_hand = wait_for(lambda: deployment_named(server_client, "tock/by-hand"))
    assert by_hand.schedules == []
    made = server_client.create_flow_run_from_deployment(by_hand.id, DeploymentFlowRunCreate())
    [done] = wait_for(lambda: completed(by_hand), what="the run made by hand to complete")
    assert done.id == made.id

    served.send_signal(signal.SIGTERM)
    assert served.wait(30) == 0
    assert "finished: Completed" in processes.output(served)
