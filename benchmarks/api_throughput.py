"""State transitions per second through the HTTP API, with errors and latency.

Each cycle creates a flow run (PENDING), sets it RUNNING, then COMPLETED:
three orchestrated transitions. The server runs as `baton server start` in
its own process; clients are threads with their own HTTP connections.

    python benchmarks/api_throughput.py                 # SQLite, 1 and 8 clients
    python benchmarks/api_throughput.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, database_url: str | None, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BATON_HOME": str(home), "BATON_LOGGING_TO_CONSOLE": "false"}
    env.pop("BATON_API_URL", None)
    if database_url:
        env["BATON_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "baton", "server", "start", "--port", str(port)]
    command += ["--log-level", "warning"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").json() is True:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


def run_clients(api: str, clients: int, runs: int) -> dict[str, float]:
    """``runs`` create/RUNNING/COMPLETED cycles spread over ``clients`` threads."""
    flow_id = httpx.post(f"{api}/flows/", json={"name": "bench"}).json()["id"]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(count: int) -> None:
        mine: list[float] = []
        failed = 0
        with httpx.Client(base_url=api, timeout=30) as http:
            barrier.wait()
            for _ in range(count):
                calls = [
                    ("/flow_runs/", {"flow_id": flow_id, "state": {"type": "PENDING"}}),
                    (None, {"state": {"type": "RUNNING"}}),
                    (None, {"state": {"type": "COMPLETED"}}),
                ]
                run_id = None
                for path, body in calls:
                    url = path or f"/flow_runs/{run_id}/set_state"
                    start = time.perf_counter()
                    try:
                        response = http.post(url, json=body)
                        ok = response.status_code == 201 and (
                            path is not None or response.json()["status"] == "ACCEPT"
                        )
                    except httpx.HTTPError:
                        ok = False
                    mine.append(time.perf_counter() - start)
                    if not ok:
                        failed += 1
                        break
                    if path is not None:
                        run_id = response.json()["id"]
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    shares = [runs // clients + (1 if i < runs % clients else 0) for i in range(clients)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "clients": clients,
        "transitions": len(latencies),
        "seconds": round(elapsed, 3),
        "transitions_per_second": round(len(latencies) / elapsed, 1),
        "errors": errors[0],
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a fresh temporary home")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as home:
        port = free_port()
        server = start_server(Path(home), args.database_url, port)
        try:
            api = f"http://127.0.0.1:{port}/api"
            run_clients(api, 1, 20)  # warm up
            for clients in (int(c) for c in args.clients.split(",")):
                result = run_clients(api, clients, args.runs)
                result["database"] = "postgresql" if args.database_url else "sqlite"
                print(json.dumps(result))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
