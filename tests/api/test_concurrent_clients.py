"""Many clients at once against one server get consistent answers.

Each client is its own HTTP connection on its own thread, as separate worker
processes would be; a barrier releases their proposals together. The rules
must pick exactly one winner for a contested transition, and a busy server
must not lose or refuse any of many independent runs.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from baton.client.http import HttpClient
from baton.core.actions import FlowRunCreate
from baton.core.models import Decision
from baton.settings import get_settings
from baton.states import Completed, Pending, Running
from baton.storage import models as m
from baton.storage.database import Database
from baton.testing import baton_test_harness

PROPOSERS = 16
WORKERS = 8
CYCLES = 50


def run_together(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` on ``count`` threads; return what they raised."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def race_to_running(api_url: str, run_id: str) -> list[dict[str, Any]]:
    """Every proposer sends RUNNING for ``run_id`` at the same moment; their answers."""
    barrier = threading.Barrier(PROPOSERS)
    answers: list[dict[str, Any]] = [{} for _ in range(PROPOSERS)]

    def propose(index: int) -> None:
        with httpx.Client(base_url=api_url, timeout=60) as http:
            assert http.get("/health").json() is True  # connected before the race starts
            barrier.wait(timeout=60)
            response = http.post(
                f"/flow_runs/{run_id}/set_state", json={"state": {"type": "RUNNING"}}
            )
            assert response.status_code == 201, response.text
            answers[index] = response.json()

    assert run_together(PROPOSERS, propose) == []
    return answers


@pytest.fixture
def api_url(server_database_url: str | None) -> Iterator[str]:
    with baton_test_harness(server_database_url, server=True) as client:
        assert isinstance(client, HttpClient)
        yield client.api_url


def test_concurrent_proposals_of_running_have_exactly_one_winner(api_url: str) -> None:
    with httpx.Client(base_url=api_url, timeout=60) as http:
        flow = http.post("/flows/", json={"name": "contested"}).json()
        for _ in range(3):
            body = {"flow_id": flow["id"], "state": {"type": "PENDING"}}
            run = http.post("/flow_runs/", json=body).json()

            answers = race_to_running(api_url, run["id"])

            assert Counter(a["status"] for a in answers) == {"ACCEPT": 1, "ABORT": PROPOSERS - 1}
            for answer in answers:
                if answer["status"] == "ABORT":
                    assert answer["details"]["type"] == "abort_details"
                    assert answer["details"]["rule"] == "PreventDuplicateTransitions"
                    assert "already RUNNING" in answer["details"]["reason"]
            states = http.get(f"/flow_runs/{run['id']}/states").json()
            assert [state["type"] for state in states] == ["PENDING", "RUNNING"]
            [winner] = [a for a in answers if a["status"] == "ACCEPT"]
            assert states[1]["id"] == winner["state"]["id"]
            stored = http.get(f"/flow_runs/{run['id']}").json()
            assert (stored["state_type"], stored["run_count"]) == ("RUNNING", 1)
            decisions = http.get(f"/flow_runs/{run['id']}/decisions").json()
            assert [d["decision"] for d in decisions] == ["ABORT"] * (PROPOSERS - 1)


def test_busy_clients_complete_every_run(api_url: str) -> None:
    with contextlib.closing(HttpClient(api_url)) as setup:
        flow_id = setup.read_or_create_flow("busy").id
    surprises: list[str] = []

    def work(worker: int) -> None:
        with contextlib.closing(HttpClient(api_url)) as mine:
            for cycle in range(CYCLES):
                create = FlowRunCreate(flow_id=flow_id, name=f"w{worker}-{cycle}", state=Pending())
                run = mine.create_flow_run(create)
                for state in (Running(), Completed()):
                    result = mine.set_flow_run_state(run.id, state)
                    if result.status is not Decision.ACCEPT:
                        surprises.append(f"{run.name}: {result.status} {result.reason}")

    assert run_together(WORKERS, work) == []
    assert surprises == []

    with httpx.Client(base_url=api_url, timeout=60) as http:
        mine = {"flows": {"id": {"any_": [str(flow_id)]}}}
        done = {**mine, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
        assert http.post("/flow_runs/count", json=mine).json() == WORKERS * CYCLES
        assert http.post("/flow_runs/count", json=done).json() == WORKERS * CYCLES

    db = Database(get_settings().resolved_database_url)
    try:
        with db.read() as conn:
            names = conn.execute(select(m.flow_run.c.name)).scalars().all()
            states = m.flow_run_state
            histories = conn.execute(
                select(states.c.flow_run_id, func.count()).group_by(states.c.flow_run_id)
            ).all()
    finally:
        db.dispose()
    expected = {f"w{w}-{c}" for w in range(WORKERS) for c in range(CYCLES)}
    assert sorted(names) == sorted(expected)
    assert len(histories) == WORKERS * CYCLES
    assert {count for _, count in histories} == {3}
