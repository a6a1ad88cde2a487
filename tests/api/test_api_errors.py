"""Mistakes in requests are a 4xx whose body names the problem, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

# -- mistakes in requests ----------------------------------------------------------

SOME_ID = "0b7e4d52-8f0f-4f43-9a4e-3b1c0f9e2d11"
BAD_REQUESTS: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("malformed-json", "POST", "/flows/", {"content": b'{"name": '}, "json_invalid"),
    ("unknown-field", "POST", "/flows/", {"json": {"name": "x", "colour": "red"}}, "colour"),
    (
        "unknown-filter-field",
        "POST",
        "/flow_runs/filter",
        {"json": {"flow_runs": {"nmae": {"any_": ["x"]}}}},
        "nmae",
    ),
    (
        "unknown-state-field",
        "POST",
        f"/flow_runs/{SOME_ID}/set_state",
        {"json": {"state": {"type": "RUNNING", "colour": "red"}}},
        "colour",
    ),
    ("empty-name", "POST", "/flows/", {"json": {"name": ""}}, "name"),
    ("name-of-wrong-type", "POST", "/flows/", {"json": {"name": 5}}, "name"),
    ("missing-field", "POST", "/task_runs/", {"json": {"task_key": "k"}}, "dynamic_key"),
    ("bad-uuid-in-path", "GET", "/flow_runs/not-a-uuid", {}, "id"),
    ("bad-uuid-in-task-path", "GET", "/task_runs/1234/states", {}, "id"),
    (
        "bad-uuid-in-set-state-path",
        "POST",
        "/task_runs/xyz/set_state",
        {"json": {"state": {"type": "RUNNING"}}},
        "id",
    ),
    ("bad-uuid-in-body", "POST", "/flow_runs/", {"json": {"flow_id": "nope"}}, "flow_id"),
    (
        "bad-state-type",
        "POST",
        f"/flow_runs/{SOME_ID}/set_state",
        {"json": {"state": {"type": "SLEEPING"}}},
        "type",
    ),
    ("bad-sort", "POST", "/flow_runs/filter", {"json": {"sort": "SIDEWAYS"}}, "sort"),
    (
        "bad-state-filter",
        "POST",
        "/task_runs/filter",
        {"json": {"task_runs": {"state": {"type": {"any_": ["DONE"]}}}}},
        "any_",
    ),
    ("negative-limit", "POST", "/flow_runs/filter", {"json": {"limit": -1}}, "limit"),
    ("zero-limit", "POST", "/task_runs/filter", {"json": {"limit": 0}}, "limit"),
    ("negative-offset", "POST", "/flows/filter", {"json": {"offset": -5}}, "offset"),
    ("limit-over-200", "POST", "/flow_runs/filter", {"json": {"limit": 201}}, "limit"),
    ("log-limit-over-200", "POST", "/logs/filter", {"json": {"limit": 1000}}, "limit"),
    (
        "negative-concurrency-limit",
        "POST",
        "/concurrency_limits/",
        {"json": {"tag": "t", "concurrency_limit": -1}},
        "concurrency_limit",
    ),
    (
        "negative-retries",
        "POST",
        "/flow_runs/",
        {"json": {"flow_id": SOME_ID, "empirical_policy": {"retries": -1}}},
        "retries",
    ),
    (
        "log-without-timestamp",
        "POST",
        "/logs/",
        {"json": [{"name": "n", "level": 20, "message": "m"}]},
        "timestamp",
    ),
    ("body-of-wrong-type", "POST", "/logs/", {"json": {"name": "n"}}, "body"),
    ("offset-beyond-64-bits", "POST", "/flows/filter", {"json": {"offset": 2**64}}, "offset"),
    (
        "run-offset-beyond-64-bits",
        "POST",
        "/task_runs/filter",
        {"json": {"offset": 2**63}},
        "offset",
    ),
    (
        "concurrency-limit-beyond-64-bits",
        "POST",
        "/concurrency_limits/",
        {"json": {"tag": "t", "concurrency_limit": 2**64}},
        "concurrency_limit",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs", "named"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_a_bad_request_is_422_naming_the_problem(
    api: httpx.Client, method: str, path: str, request_kwargs: dict[str, Any], named: str
) -> None:
    headers = {"content-type": "application/json"} if "content" in request_kwargs else None
    response = api.request(method, path, headers=headers, **request_kwargs)

    assert response.status_code == 422, response.text
    problems = response.json()["detail"]
    assert isinstance(problems, list) and problems
    for problem in problems:
        assert problem["msg"]
    named_in = [
        p for p in problems if named in [str(part) for part in p["loc"]] or named == p["type"]
    ]
    assert named_in, f"no problem names {named!r}: {problems}"


@pytest.mark.parametrize("bound", ["ge_", "le_"])
@pytest.mark.parametrize("level", [2**31, 2**64])
def test_a_log_level_beyond_any_stored_one_is_no_server_error(
    api: httpx.Client, bound: str, level: int
) -> None:
    """Refused as out of range, or answered: either way the client learns something true."""
    response = api.post("/logs/filter", json={"logs": {"level": {bound: level}}})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert bound in str(response.json()["detail"])


def test_a_page_larger_than_200_is_refused_with_the_bound(api: httpx.Client) -> None:
    response = api.post("/task_runs/filter", json={"limit": 201})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert "200" in problem["msg"]


MISSING = "6f1c2a9e-3d4b-4c5a-8e7f-9a0b1c2d3e4f"
UNKNOWN_IDS: list[tuple[str, str, str, Any]] = [
    ("flow", "GET", f"/flows/{MISSING}", None),
    ("flow-by-name", "GET", "/flows/name/no-such-flow", None),
    ("flow-run", "GET", f"/flow_runs/{MISSING}", None),
    ("task-run", "GET", f"/task_runs/{MISSING}", None),
    ("flow-run-states", "GET", f"/flow_runs/{MISSING}/states", None),
    ("task-run-states", "GET", f"/task_runs/{MISSING}/states", None),
    ("flow-run-decisions", "GET", f"/flow_runs/{MISSING}/decisions", None),
    ("task-run-decisions", "GET", f"/task_runs/{MISSING}/decisions", None),
    ("flow-run-graph", "GET", f"/flow_runs/{MISSING}/graph", None),
    (
        "flow-run-set-state",
        "POST",
        f"/flow_runs/{MISSING}/set_state",
        {"state": {"type": "RUNNING"}},
    ),
    (
        "task-run-set-state",
        "POST",
        f"/task_runs/{MISSING}/set_state",
        {"state": {"type": "RUNNING"}},
    ),
    ("delete-flow-run", "DELETE", f"/flow_runs/{MISSING}", None),
    ("delete-task-run", "DELETE", f"/task_runs/{MISSING}", None),
    ("concurrency-limit", "GET", "/concurrency_limits/tag/no-such-tag", None),
    ("delete-concurrency-limit", "DELETE", "/concurrency_limits/tag/no-such-tag", None),
    ("flow-run-of-unknown-flow", "POST", "/flow_runs/", {"flow_id": MISSING}),
    (
        "task-run-of-unknown-flow-run",
        "POST",
        "/task_runs/",
        {"flow_run_id": MISSING, "task_key": "k", "dynamic_key": "0"},
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), [case[1:] for case in UNKNOWN_IDS], ids=[c[0] for c in UNKNOWN_IDS]
)
def test_an_unknown_id_is_404_not_found(
    api: httpx.Client, method: str, path: str, body: Any
) -> None:
    response = api.request(method, path, json=body)

    assert response.status_code == 404, response.text
    detail = response.json()["detail"]
    assert "not found" in detail
    assert MISSING in detail or "no-such" in detail


def test_an_unknown_route_is_404(api: httpx.Client) -> None:
    assert api.get("/no_such_resource/").status_code == 404
