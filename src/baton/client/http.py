"""``BatonClient`` over HTTP, for flows that run against a Baton server (``BATON_API_URL``).

Requests that are safe to repeat are retried with backoff when the server
cannot be reached or answers 5xx/429; a proposal of a state is retried only
when it never reached the server. An unreachable server is a ``ServerError``
naming the URL, never a silent success. Logs are shipped in batches by a
background thread and flushed on ``close()`` and at exit. Task-run transitions
that need no database are judged in this process and shipped in batches too
(``TaskPipeline``); every other request first sends what is queued.
"""

from __future__ import annotations

import atexit
import datetime as dt
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from baton.api.schemas.deployments import (
    DeploymentCreateBody,
    DeploymentFlowRunCreateBody,
    DeploymentResponse,
    DeploymentScheduledRunsBody,
    DeploymentScheduleUpdateBody,
    DeploymentUpdateBody,
    FlowRunHeartbeatBody,
    FlowRunUpdateBody,
)
from baton.api.schemas.other import ConcurrencyLimitResponse, LogCreateBody
from baton.api.schemas.runs import (
    FlowCreateBody,
    FlowResponse,
    FlowRunCreateBody,
    FlowRunResponse,
    TaskRunCreateBody,
    TaskRunResponse,
)
from baton.api.schemas.states import OrchestrationResultResponse, StateCreate, StateResponse
from baton.api.schemas.work_pools import (
    ScheduledRunsBody,
    WorkerFlowRunResponse,
    WorkerHeartbeatBody,
    WorkerResponse,
    WorkPoolCreateBody,
    WorkPoolResponse,
    WorkPoolUpdateBody,
    WorkQueueCreateBody,
    WorkQueueResponse,
    WorkQueueUpdateBody,
)
from baton.client.base import BatonClient
from baton.client.task_pipeline import TaskPipeline
from baton.core.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
    FlowRunCreate,
    FlowRunUpdate,
    LogCreate,
    TaskRunCreate,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from baton.core.deployments import Deployment, Worker, WorkPool, WorkQueue
from baton.core.models import (
    ConcurrencyLimit,
    Flow,
    FlowRun,
    LogRecord,
    OrchestrationDecision,
    TaskRun,
)
from baton.core.orchestration.context import OrchestrationResult
from baton.core.states import State, StateType
from baton.exceptions import (
    BatonError,
    ObjectNotFound,
    OrchestrationError,
    ParameterValidationError,
    ServerError,
    StorageError,
)

RETRY_ATTEMPTS = 5
RETRY_STATUSES = frozenset({429, 502, 503, 504})
PAGE_SIZE = 200  # the API's largest page
LOG_BATCH_SIZE = 500
LOG_BATCH_SECONDS = 0.5


class HttpClient(BatonClient):
    """Talks to a Baton server's REST API."""

    def __init__(self, api_url: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, timeout=timeout)
        self._logs = _LogShipper(self)
        self._tasks = TaskPipeline(
            lambda body: self._call("POST", "/task_runs/ingest", json=body, idempotent=False)
        )

    # -- transport ---------------------------------------------------------
    def request(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> Any:
        """One API call, after the task-run transitions queued so far; returns the body."""
        self._tasks.flush()
        return self._call(method, path, json=json, idempotent=idempotent)

    def _call(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> Any:
        """One API call with retries where they are safe; returns the decoded body."""
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                response = self._http.request(method, path, json=json)
            except httpx.ConnectError as error:  # never reached the server: always safe
                if attempt == RETRY_ATTEMPTS:
                    raise ServerError(
                        f"cannot reach the Baton server at {self.api_url}: {error}"
                    ) from None
            except httpx.TransportError as error:
                if not idempotent or attempt == RETRY_ATTEMPTS:
                    raise ServerError(
                        f"lost the connection to the Baton server at {self.api_url} "
                        f"during {method} {path}: {error}"
                    ) from None
            else:
                if (
                    response.status_code in RETRY_STATUSES
                    and idempotent
                    and (attempt < RETRY_ATTEMPTS)
                ):
                    pass
                else:
                    return _decode(response, method, path)
            time.sleep(min(2.0, 0.1 * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")

    def paged(self, path: str, body: dict[str, Any], limit: int, offset: int) -> list[Any]:
        """Up to ``limit`` items of a filter endpoint, fetched a page at a time."""
        items: list[Any] = []
        while len(items) < limit:
            size = min(PAGE_SIZE, limit - len(items))
            page = self.request(
                "POST", path, json={**body, "limit": size, "offset": offset + len(items)}
            )
            items.extend(page)
            if len(page) < size:
                break
        return items

    # -- flows and runs ----------------------------------------------------
    def read_or_create_flow(self, name: str) -> Flow:
        body = FlowCreateBody(name=name).model_dump(mode="json")
        return Flow.model_validate(self.request("POST", "/flows/", json=body))

    def read_flows(self, limit: int = 200, offset: int = 0) -> list[Flow]:
        found = self.paged("/flows/filter", {"sort": "NAME_ASC"}, limit, offset)
        return [Flow.model_validate(FlowResponse.model_validate(f).model_dump()) for f in found]

    def create_flow_run(self, data: FlowRunCreate) -> FlowRun:
        body = FlowRunCreateBody.from_action(data).model_dump(mode="json")
        found = self.request("POST", "/flow_runs/", json=body, idempotent=False)
        return FlowRunResponse.model_validate(found).to_run()

    def create_task_run(self, data: TaskRunCreate) -> TaskRun:
        run = self._tasks.create(data)
        if run is not None:
            return run
        body = TaskRunCreateBody.from_action(data).model_dump(mode="json")
        found = self.request("POST", "/task_runs/", json=body, idempotent=False)
        return TaskRunResponse.model_validate(found).to_run()

    def set_flow_run_state(
        self, run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        return self._set_state("flow_runs", run_id, state, force)

    def set_task_run_state(
        self, run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        result = self._tasks.propose(run_id, state, force)
        if result is not None:
            return result
        return self._set_state("task_runs", run_id, state, force)

    def _set_state(
        self, resource: str, run_id: uuid.UUID, state: State, force: bool
    ) -> OrchestrationResult:
        body = {"state": StateCreate.from_state(state).model_dump(mode="json"), "force": force}
        found = self.request("POST", f"/{resource}/{run_id}/set_state", json=body, idempotent=False)
        return OrchestrationResultResponse.model_validate(found).to_result()

    def read_flow_run(self, run_id: uuid.UUID) -> FlowRun:
        return FlowRunResponse.model_validate(self.request("GET", f"/flow_runs/{run_id}")).to_run()

    def read_task_run(self, run_id: uuid.UUID) -> TaskRun:
        return TaskRunResponse.model_validate(self.request("GET", f"/task_runs/{run_id}")).to_run()

    def read_flow_runs(
        self,
        *,
        flow_id: uuid.UUID | None = None,
        state_types: Sequence[StateType] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[FlowRun]:
        body: dict[str, Any] = {"sort": "CREATED_DESC"}
        if flow_id is not None:
            body["flows"] = {"id": {"any_": [str(flow_id)]}}
        if state_types:
            body["flow_runs"] = {"state": {"type": {"any_": [t.value for t in state_types]}}}
        found = self.paged("/flow_runs/filter", body, limit, offset)
        return [FlowRunResponse.model_validate(run).to_run() for run in found]

    def read_task_runs(
        self, *, flow_run_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
    ) -> list[TaskRun]:
        body: dict[str, Any] = {"sort": "CREATED_ASC"}
        if flow_run_id is not None:
            body["task_runs"] = {"flow_run_id": {"any_": [str(flow_run_id)]}}
        found = self.paged("/task_runs/filter", body, limit, offset)
        return [TaskRunResponse.model_validate(run).to_run() for run in found]

    def count_task_runs(
        self, *, flow_run_id: uuid.UUID | None = None, state_types: Sequence[StateType] = ()
    ) -> int:
        task_runs: dict[str, Any] = {}
        if flow_run_id is not None:
            task_runs["flow_run_id"] = {"any_": [str(flow_run_id)]}
        if state_types:
            task_runs["state"] = {"type": {"any_": [t.value for t in state_types]}}
        body = {"task_runs": task_runs} if task_runs else {}
        return int(self.request("POST", "/task_runs/count", json=body))

    def read_flow_run_states(self, run_id: uuid.UUID) -> list[State]:
        found = self.request("GET", f"/flow_runs/{run_id}/states")
        return [StateResponse.model_validate(s).to_state() for s in found]

    def read_task_run_states(self, run_id: uuid.UUID) -> list[State]:
        found = self.request("GET", f"/task_runs/{run_id}/states")
        return [StateResponse.model_validate(s).to_state() for s in found]

    def read_decisions(self, run_ids: Sequence[uuid.UUID]) -> list[OrchestrationDecision]:
        body = {"run_ids": [str(run_id) for run_id in run_ids]}
        found = self.request("POST", "/decisions/filter", json=body)
        return [OrchestrationDecision.model_validate(d) for d in found]

    # -- logs --------------------------------------------------------------
    def create_logs(self, logs: Sequence[LogCreate]) -> None:
        self._logs.add([LogCreateBody(**log.model_dump()).model_dump(mode="json") for log in logs])

    def read_logs(
        self,
        *,
        flow_run_id: uuid.UUID | None = None,
        task_run_id: uuid.UUID | None = None,
        min_level: int = 0,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[LogRecord]:
        self._logs.flush()
        logs: dict[str, Any] = {"level": {"ge_": min_level}}
        if flow_run_id is not None:
            logs["flow_run_id"] = {"any_": [str(flow_run_id)]}
        if task_run_id is not None:
            logs["task_run_id"] = {"any_": [str(task_run_id)]}
        body = {"logs": logs, "sort": "TIMESTAMP_ASC"}
        found = self.paged("/logs/filter", body, limit, offset)
        return [LogRecord.model_validate(record) for record in found]

    # -- concurrency limits ------------------------------------------------
    def create_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimit:
        body = {"tag": tag, "concurrency_limit": limit}
        found = self.request("POST", "/concurrency_limits/", json=body)
        return ConcurrencyLimitResponse.model_validate(found).to_limit()

    def read_concurrency_limits(self) -> list[ConcurrencyLimit]:
        found = self.request("POST", "/concurrency_limits/filter", json={})
        return [ConcurrencyLimitResponse.model_validate(c).to_limit() for c in found]

    def delete_concurrency_limit(self, tag: str) -> None:
        # A repeat after a lost answer would report the limit missing: send once.
        self.request("DELETE", f"/concurrency_limits/tag/{tag}", idempotent=False)

    # -- lifecycle ---------------------------------------------------------
    def flush(self) -> None:
        self._tasks.flush()
        self._logs.flush()

    def close(self) -> None:
        try:
            self._tasks.close()
            self._logs.close()
        finally:
            self._http.close()

    # -- deployments, work pools and workers ---------------------------------
    # Prefect answers a PATCH with 204 and no body, so an update reads the object back.

    def create_deployment(self, data: DeploymentCreate) -> Deployment:
        body = DeploymentCreateBody.from_action(data).model_dump(mode="json", exclude_unset=True)
        return _deployment(self.request("POST", "/deployments/", json=body))

    def read_deployment(self, deployment_id: uuid.UUID) -> Deployment:
        return _deployment(self.request("GET", f"/deployments/{deployment_id}"))

    def read_deployment_by_name(self, name: str) -> Deployment:
        flow_name, separator, deployment_name = name.partition("/")
        if not separator or not flow_name or not deployment_name:
            raise ObjectNotFound(
                "deployment named", f"{name!r} (expected 'flow-name/deployment-name')"
            )
        path = f"/deployments/name/{_quoted(flow_name)}/{_quoted(deployment_name)}"
        return _deployment(self.request("GET", path))

    def read_deployments(
        self, *, flow_id: uuid.UUID | None = None, limit: int = 200, offset: int = 0
    ) -> list[Deployment]:
        body: dict[str, Any] = {"sort": "NAME_ASC"}
        if flow_id is not None:
            body["flows"] = {"id": {"any_": [str(flow_id)]}}
        return [_deployment(d) for d in self.paged("/deployments/filter", body, limit, offset)]

    def update_deployment(self, deployment_id: uuid.UUID, data: DeploymentUpdate) -> Deployment:
        body = DeploymentUpdateBody.from_action(data).model_dump(mode="json", exclude_unset=True)
        self.request("PATCH", f"/deployments/{deployment_id}", json=body)
        return self.read_deployment(deployment_id)

    def delete_deployment(self, deployment_id: uuid.UUID) -> None:
        self.request("DELETE", f"/deployments/{deployment_id}", idempotent=False)

    def update_deployment_schedule(
        self, deployment_id: uuid.UUID, schedule_id: uuid.UUID, data: DeploymentScheduleUpdate
    ) -> None:
        body = DeploymentScheduleUpdateBody.from_action(data).model_dump(
            mode="json", exclude_unset=True
        )
        path = f"/deployments/{deployment_id}/schedules/{schedule_id}"
        self.request("PATCH", path, json=body)

    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
        path = f"/deployments/{deployment_id}/schedules/{schedule_id}"
        self.request("DELETE", path, idempotent=False)

    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, data: DeploymentFlowRunCreate
    ) -> FlowRun:
        body = DeploymentFlowRunCreateBody.from_action(data).model_dump(
            mode="json", exclude_unset=True
        )
        # With an idempotency key, a repeat returns the run the first request made.
        found = self.request(
            "POST",
            f"/deployments/{deployment_id}/create_flow_run",
            json=body,
            idempotent=data.idempotency_key is not None,
        )
        return FlowRunResponse.model_validate(found).to_run()

    def update_flow_run(self, run_id: uuid.UUID, data: FlowRunUpdate) -> FlowRun:
        body = FlowRunUpdateBody.from_action(data).model_dump(mode="json", exclude_unset=True)
        self.request("PATCH", f"/flow_runs/{run_id}", json=body)
        return self.read_flow_run(run_id)

    def create_work_pool(self, data: WorkPoolCreate) -> WorkPool:
        body = WorkPoolCreateBody.from_action(data).model_dump(mode="json")
        found = self.request("POST", "/work_pools/", json=body, idempotent=False)
        return WorkPoolResponse.model_validate(found).to_pool()

    def read_work_pool(self, name: str) -> WorkPool:
        found = self.request("GET", _pool_path(name))
        return WorkPoolResponse.model_validate(found).to_pool()

    def read_work_pools(self) -> list[WorkPool]:
        found = self.paged("/work_pools/filter", {}, _EVERYTHING, 0)
        return [WorkPoolResponse.model_validate(pool).to_pool() for pool in found]

    def update_work_pool(self, name: str, data: WorkPoolUpdate) -> WorkPool:
        body = WorkPoolUpdateBody.from_action(data).model_dump(mode="json", exclude_unset=True)
        self.request("PATCH", _pool_path(name), json=body)
        return self.read_work_pool(name)

    def delete_work_pool(self, name: str) -> None:
        self.request("DELETE", _pool_path(name), idempotent=False)

    def create_work_queue(self, pool_name: str, data: WorkQueueCreate) -> WorkQueue:
        body = WorkQueueCreateBody.from_action(data).model_dump(mode="json")
        found = self.request("POST", f"{_pool_path(pool_name)}/queues", json=body, idempotent=False)
        return WorkQueueResponse.model_validate(found).to_queue()

    def read_work_queues(self, pool_name: str) -> list[WorkQueue]:
        found = self.paged(f"{_pool_path(pool_name)}/queues/filter", {}, _EVERYTHING, 0)
        return [WorkQueueResponse.model_validate(queue).to_queue() for queue in found]

    def update_work_queue(self, pool_name: str, name: str, data: WorkQueueUpdate) -> WorkQueue:
        body = WorkQueueUpdateBody.from_action(data).model_dump(mode="json", exclude_unset=True)
        path = f"{_pool_path(pool_name)}/queues/{_quoted(name)}"
        self.request("PATCH", path, json=body)
        return WorkQueueResponse.model_validate(self.request("GET", path)).to_queue()

    def delete_work_queue(self, pool_name: str, name: str) -> None:
        path = f"{_pool_path(pool_name)}/queues/{_quoted(name)}"
        self.request("DELETE", path, idempotent=False)

    def get_scheduled_flow_runs(
        self,
        pool_name: str,
        *,
        queue_names: Sequence[str] = (),
        scheduled_before: dt.datetime | None = None,
        limit: int = 10,
    ) -> list[FlowRun]:
        body = ScheduledRunsBody(
            work_queue_names=list(queue_names) or None,
            scheduled_before=scheduled_before,
            limit=limit,
        ).model_dump(mode="json", exclude_unset=True)
        path = f"{_pool_path(pool_name)}/get_scheduled_flow_runs"
        found = self.request("POST", path, json=body)
        return [WorkerFlowRunResponse.model_validate(item).flow_run.to_run() for item in found]

    def worker_heartbeat(
        self,
        pool_name: str,
        worker_name: str,
        *,
        heartbeat_interval_seconds: float | None = None,
        flow_run_ids: Sequence[uuid.UUID] = (),
    ) -> None:
        body = WorkerHeartbeatBody(
            name=worker_name,
            heartbeat_interval_seconds=heartbeat_interval_seconds,
            flow_run_ids=list(flow_run_ids),
        ).model_dump(mode="json")
        self.request("POST", f"{_pool_path(pool_name)}/workers/heartbeat", json=body)

    def read_workers(self, pool_name: str) -> list[Worker]:
        found = self.paged(f"{_pool_path(pool_name)}/workers/filter", {}, _EVERYTHING, 0)
        return [WorkerResponse.model_validate(worker).to_worker() for worker in found]

    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        *,
        scheduled_before: dt.datetime | None = None,
        limit: int = 10,
    ) -> list[FlowRun]:
        if not deployment_ids:
            return []
        body = DeploymentScheduledRunsBody(
            deployment_ids=list(deployment_ids), scheduled_before=scheduled_before, limit=limit
        ).model_dump(mode="json", exclude_unset=True)
        found = self.request("POST", "/deployments/get_scheduled_flow_runs", json=body)
        return [FlowRunResponse.model_validate(run).to_run() for run in found]

    def heartbeat_flow_runs(self, flow_run_ids: Sequence[uuid.UUID]) -> None:
        if flow_run_ids:
            body = FlowRunHeartbeatBody(flow_run_ids=list(flow_run_ids)).model_dump(mode="json")
            self.request("POST", "/flow_runs/heartbeat", json=body)


_EVERYTHING = 2**31 - 1  # no limit: page until the server has no more


def _quoted(name: str) -> str:
    return quote(name, safe="")


def _pool_path(name: str) -> str:
    return f"/work_pools/{_quoted(name)}"


def _deployment(found: Any) -> Deployment:
    return DeploymentResponse.model_validate(found).to_deployment()


def _decode(response: httpx.Response, method: str, path: str) -> Any:
    """The body of a successful answer; an error answer as the matching Baton error."""
    if response.is_success:
        return response.json() if response.content else None
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    if response.status_code == 404:
        if detail == "Not Found":  # no such route, rather than no such object
            raise ServerError(
                f"the server at {response.request.url.host}:{response.request.url.port} has no "
                f"endpoint {method} {path}; is BATON_API_URL the server's /api URL?"
            )
        raise ObjectNotFound.from_message(str(detail))
    if response.status_code == 503:
        raise StorageError(f"the server's database is unavailable: {detail}")
    if response.status_code == 409:
        raise OrchestrationError(str(detail))
    if response.status_code == 422 and isinstance(detail, str):  # Baton's own words
        raise ParameterValidationError(detail)
    raise ServerError(f"{method} {path} failed with {response.status_code}: {detail}")


class _LogShipper:
    """Sends queued log records in batches from a background thread."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self._pending: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._in_flight = 0

    def add(self, records: list[dict[str, Any]]) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="baton-log-shipper", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)
            self._pending.extend(records)
            if len(self._pending) >= LOG_BATCH_SIZE:
                self._cond.notify_all()

    def flush(self) -> None:
        """Return once every record queued so far has been sent (or given up on)."""
        with self._cond:
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._pending and not self._in_flight)

    def close(self) -> None:
        if self._thread is None:
            return
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._closed or len(self._pending) >= LOG_BATCH_SIZE,
                    timeout=LOG_BATCH_SECONDS,
                )
                if self._closed and not self._pending:
                    return
                batch, self._pending = self._pending, []
                self._in_flight = len(batch)
            try:
                if batch:
                    # Not repeated once sent: the server gives each record its id.
                    self.client._call("POST", "/logs/", json=batch, idempotent=False)
            except BatonError as error:
                import logging

                logging.getLogger("baton.client").warning(
                    "%d log record(s) could not be sent: %s", len(batch), error
                )
            finally:
                with self._cond:
                    self._in_flight = 0
                    self._cond.notify_all()
