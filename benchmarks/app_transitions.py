"""The API's cost per transition without the network: requests sent to the ASGI app itself.

The workload of ``api_throughput.py`` (create a flow run PENDING, set it RUNNING,
then COMPLETED), sent by concurrent tasks straight to ``create_app()`` in this
process on a fresh SQLite database, so what is measured is the app: routing, body
validation, the rules, the transaction and the answer. Prints the CPU time per
transition. The CPU time of a shared machine is noisy; instructions are not:

    python benchmarks/app_transitions.py                    # 8 clients, 1,000 cycles each
    python benchmarks/app_transitions.py --clients 1 --cycles 3000

    # instructions per transition: the difference between two lengths of run
    for n in 30 130; do
        valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
            python benchmarks/app_transitions.py --cycles $n 2>&1 | grep "I *refs"
    done    # (second - first) / (100 cycles x 8 clients x 3 transitions)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from typing import Any

HEADERS = [(b"content-type", b"application/json"), (b"host", b"127.0.0.1")]


async def post(app: Any, path: str, body: bytes) -> tuple[int, Any]:
    """One request through the app's ASGI interface, as uvicorn would make it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": HEADERS,
        "server": ("127.0.0.1", 4200),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }
    received = False
    answer: list[Any] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:  # nothing more will come: wait like a quiet connection
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        answer.append(message)

    await app(scope, receive, send)
    return answer[0]["status"], json.loads(answer[1]["body"])


async def client(app: Any, flow_id: str, cycles: int) -> None:
    create = json.dumps({"flow_id": flow_id, "state": {"type": "PENDING"}}).encode()
    proposals = [json.dumps({"state": {"type": t}}).encode() for t in ("RUNNING", "COMPLETED")]
    for _ in range(cycles):
        status, run = await post(app, "/api/flow_runs/", create)
        if status != 201:
            raise SystemExit(f"creating a run answered {status}: {run}")
        for body in proposals:
            status, result = await post(app, f"/api/flow_runs/{run['id']}/set_state", body)
            if result.get("status") != "ACCEPT":
                raise SystemExit(f"a proposal answered {status}: {result}")


async def measure(clients: int, cycles: int) -> float:
    from baton.api import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        _, flow = await post(app, "/api/flows/", json.dumps({"name": "bench"}).encode())
        await asyncio.gather(*(client(app, flow["id"], 20) for _ in range(clients)))  # warm up
        began = time.process_time()
        await asyncio.gather(*(client(app, flow["id"], cycles) for _ in range(clients)))
        return (time.process_time() - began) / (3 * cycles * clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--cycles", type=int, default=1000, help="cycles per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as home:
        os.environ.update(BATON_HOME=home, BATON_LOGGING_TO_CONSOLE="false")
        os.environ.pop("BATON_API_URL", None)
        os.environ.pop("BATON_DATABASE_URL", None)
        try:
            import uvloop

            seconds = uvloop.run(measure(args.clients, args.cycles))
        except ImportError:
            seconds = asyncio.run(measure(args.clients, args.cycles))
    figures = {"clients": args.clients, "cycles": args.cycles}
    print(json.dumps({**figures, "cpu_ms_per_transition": round(seconds * 1000, 3)}))


if __name__ == "__main__":
    main()
