"""``BatonClient`` over HTTP, for flows that run against a Baton server (``BATON_API_URL``).

Requests that are safe to repeat are retried with backoff when the server
cannot be reached or answers 5xx/429; a proposal of a state is retried only
when it never reached the server. An unreachable server is a ``ServerError``
naming the URL, never a silent success. Logs are shipped in batches by a
background thread and flushed on ``close()`` and at exit.
"""

from __future__ import annotations

import atexit
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import httpx

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
from baton.client.base import BatonClient
from baton.core.actions import FlowRunCreate, LogCreate, TaskRunCreate
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
from baton.exceptions import BatonError, ObjectNotFound, ServerError, StorageError

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

    # -- transport ---------------------------------------------------------
    def request(self, method: str, path: str, *, json: Any = None, idempotent: bool = True) -> Any:
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
        self._logs.flush()

    def close(self) -> None:
        self._logs.close()
        self._http.close()


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
                    self.client.request("POST", "/logs/", json=batch, idempotent=False)
            except BatonError as error:
                import logging

                logging.getLogger("baton.client").warning(
                    "%d log record(s) could not be sent: %s", len(batch), error
                )
            finally:
                with self._cond:
                    self._in_flight = 0
                    self._cond.notify_all()
