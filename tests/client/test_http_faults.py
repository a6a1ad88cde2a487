"""The HTTP client when the network or the server fails: loud errors, bounded retries.

A server that cannot be reached is a ``ServerError`` naming its URL, after a
bounded number of attempts; a flow whose server goes away mid-run fails rather
than being reported as a success; logs queued before ``close()`` arrive when
the server is up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

from baton import flow, get_run_logger, task
from baton.client import reset_client
from baton.client.http import RETRY_ATTEMPTS, HttpClient
from baton.core.actions import FlowRunCreate, LogCreate
from baton.core.models import RunKind
from baton.core.states import StateType, utcnow
from baton.exceptions import BatonError, ServerError
from baton.settings import get_settings, reload_settings
from baton.states import Pending, Running
from baton.storage.database import Database
from baton.storage.queries import runs
from baton.testing import baton_test_harness, running_server


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """An API URL on a loopback port that is bound but not listening: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{holder.getsockname()[1]}/api"


class HangUp:
    """A loopback server that accepts each connection and closes it without answering."""

    def __init__(self) -> None:
        self.connections = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hang-up-server")
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def __enter__(self) -> HangUp:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


CALLS: list[tuple[str, Callable[[HttpClient], object]]] = [
    ("read-flow-run", lambda client: client.read_flow_run(uuid.uuid4())),
    (
        "create-flow-run",
        lambda client: client.create_flow_run(FlowRunCreate(flow_id=uuid.uuid4(), state=Pending())),
    ),
    ("set-state", lambda client: client.set_flow_run_state(uuid.uuid4(), Running())),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("call", [c[1] for c in CALLS], ids=[c[0] for c in CALLS])
def test_an_unreachable_server_is_a_server_error_naming_its_url(
    call: Callable[[HttpClient], object],
) -> None:
    with refused_url() as url, contextlib.closing(HttpClient(url)) as client:
        with pytest.raises(ServerError) as raised:
            call(client)
        assert url in str(raised.value)


@pytest.mark.timeout(60)
def test_requests_safe_to_repeat_are_retried_a_bounded_number_of_times() -> None:
    with HangUp() as server, contextlib.closing(HttpClient(server.url)) as client:
        with pytest.raises(ServerError) as raised:
            client.read_flow_run(uuid.uuid4())
        assert server.url in str(raised.value)
        assert server.connections == RETRY_ATTEMPTS


@pytest.mark.timeout(60)
def test_a_proposal_that_may_have_reached_the_server_is_not_repeated() -> None:
    with HangUp() as server, contextlib.closing(HttpClient(server.url)) as client:
        with pytest.raises(ServerError) as raised:
            client.set_flow_run_state(uuid.uuid4(), Running())
        assert server.url in str(raised.value)
        assert server.connections == 1


@contextlib.contextmanager
def sdk_talking_to(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Flows called in the block reach the orchestrator at ``url``."""
    monkeypatch.setenv("BATON_API_URL", url)
    reload_settings()
    reset_client()
    try:
        yield
    finally:
        reset_client()


@pytest.mark.timeout(120)
def test_a_flow_against_an_unreachable_server_raises_a_server_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[int] = []

    @flow
    def never_starts() -> int:
        ran.append(1)
        return 1

    with baton_test_harness(), refused_url() as url, sdk_talking_to(url, monkeypatch):
        with pytest.raises(ServerError) as raised:
            never_starts()
        assert url in str(raised.value)
    assert ran == []


@pytest.mark.timeout(180)
def test_a_flow_whose_server_stops_mid_run_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    with baton_test_harness(), contextlib.ExitStack() as server:
        database_url = get_settings().resolved_database_url
        url = server.enter_context(running_server())

        stopped: list[bool] = []

        @task
        def stop_the_server() -> int:
            server.close()  # returns once the server has shut down
            stopped.append(True)
            return 1

        @flow
        def doomed() -> int:
            get_run_logger().info("starting")
            return stop_the_server() + 1

        with sdk_talking_to(url, monkeypatch):
            with pytest.raises(BatonError) as raised:
                doomed()
            assert isinstance(raised.value, ServerError)
            assert url in str(raised.value)
        assert stopped == [True]

        db = Database(database_url)
        try:
            with db.read() as conn:
                [flow_run] = runs.read_runs(conn, RunKind.FLOW_RUN)
                task_runs = runs.read_runs(conn, RunKind.TASK_RUN)
        finally:
            db.dispose()
        assert flow_run.state_type is StateType.RUNNING
        # Task-run transitions travel in batches: the running one may not have arrived.
        assert len(task_runs) <= 1
        assert all(task_run.state_type is StateType.RUNNING for task_run in task_runs)


def test_logs_queued_before_close_reach_a_running_server() -> None:
    with baton_test_harness(server=True) as reader:
        assert isinstance(reader, HttpClient)
        flow_id = reader.read_or_create_flow("chatty").id
        run = reader.create_flow_run(FlowRunCreate(flow_id=flow_id, state=Pending()))
        start = utcnow()
        writer = HttpClient(reader.api_url)
        writer.create_logs(
            [
                LogCreate(
                    name="chatty",
                    level=20,
                    message=f"line {i}",
                    timestamp=start + dt.timedelta(microseconds=i),
                    flow_run_id=run.id,
                )
                for i in range(1201)
            ]
        )
        writer.close()

        stored = reader.read_logs(flow_run_id=run.id, limit=5000)
        assert [record.message for record in stored] == [f"line {i}" for i in range(1201)]


def test_a_flows_logs_are_stored_once_its_client_closes() -> None:
    @flow
    def talkative() -> str:
        get_run_logger().warning("shipped on close")
        return "done"

    with baton_test_harness(server=True) as first:
        assert isinstance(first, HttpClient)
        url = first.api_url
        assert talkative() == "done"
        reset_client()
        with contextlib.closing(HttpClient(url)) as reader:
            [run] = reader.read_flow_runs()
            assert run.state_type is StateType.COMPLETED
            messages = [record.message for record in reader.read_logs(flow_run_id=run.id)]
        assert "shipped on close" in messages
