"""Inside a deployment run's process: get the code, find the flow, run it for the run.

The run already exists (a worker claimed it by moving it to Pending); this
process adopts it, so its states, logs and task runs land on that run. When
the code or the flow cannot be found the run ends Crashed, saying why, and
the process exits non-zero: it never waits for anything that will not come.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from baton.client.base import BatonClient
from baton.core.actions import FlowRunUpdate
from baton.core.deployments import Deployment
from baton.core.models import FlowRun
from baton.core.states import Crashed, State
from baton.exceptions import BatonError, RunAborted
from baton.flows import Flow
from baton.runner.code import prepare_code
from baton.runner.entrypoint import load_flow
from baton.settings import get_settings


def execute_flow_run(client: BatonClient, flow_run_id: uuid.UUID) -> State:
    """Run deployment run ``flow_run_id`` here, to its final state."""
    from baton.engine.flow_engine import run_existing_flow_run
    from baton.engine.logging import RunLoggerAdapter, setup_logging

    setup_logging()
    flow_run = client.read_flow_run(flow_run_id)
    label = f"Flow run {flow_run.name!r}"
    logger = RunLoggerAdapter(
        logging.getLogger("baton.flow_runs"),
        {"flow_run_id": flow_run.id, "task_run_id": None, "run_label": label},
    )
    try:
        flow = _load(client, flow_run)
    except BatonError as error:
        message = f"The flow run could not start: {error}"
        logger.error("%s", message)
        answer = client.set_flow_run_state(flow_run.id, Crashed(message=message))
        return answer.state or Crashed(message=message)
    try:
        return run_existing_flow_run(flow, flow_run)
    except RunAborted as error:
        logger.warning("The orchestrator stopped the run: %s", error)
        return client.read_flow_run(flow_run.id).state or Crashed(message=str(error))


def _load(client: BatonClient, flow_run: FlowRun) -> Flow[..., Any]:
    """The run's flow, imported from its deployment's code (fetched first if in git)."""
    if flow_run.deployment_id is None:
        raise BatonError(f"flow run {flow_run.id} does not belong to a deployment")
    deployment: Deployment = client.read_deployment(flow_run.deployment_id)
    if not deployment.entrypoint:
        raise BatonError(f"deployment {deployment.name!r} has no entrypoint")
    code = prepare_code(deployment, get_settings().resolved_home)
    if code.revision is not None:
        client.update_flow_run(flow_run.id, FlowRunUpdate(code_revision=code.revision))
    if "working_dir" not in {**deployment.job_variables, **flow_run.job_variables}:
        os.chdir(code.directory)
    return load_flow(deployment.entrypoint, code.directory)
