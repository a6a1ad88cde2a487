"""State transitions per second through the HTTP API, with errors, latency and CPU cost.

Each cycle creates a flow run (PENDING), sets it RUNNING, then COMPLETED:
three orchestrated transitions. The server runs as `baton server start` in
its own process. Each client keeps one HTTP/1.1 connection open; clients are
threads of this process, or with ``--processes`` processes of their own, so
that the clients do not share one interpreter lock. They speak HTTP through a
minimal client on a raw socket (``--client stdlib``: the standard library's
``http.client``, which costs the clients about three times the CPU).

The figure to compare is the server's CPU time per transition: the clients and
the server share the machine's cores, and the clients' cost is printed too.

    python benchmarks/api_throughput.py                 # SQLite, 1 and 8 client threads
    python benchmarks/api_throughput.py --processes --repeat 3
    python benchmarks/api_throughput.py --processes --client stdlib
    python benchmarks/api_throughput.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    home: Path, database_url: str | None, port: int, services: bool = True
) -> subprocess.Popen[bytes]:
    """``baton server start`` on loopback, once it answers; ``services=False`` leaves out
    the background services, whose periodic work would count as the server's CPU."""
    env = {**os.environ, "BATON_HOME": str(home), "BATON_LOGGING_TO_CONSOLE": "false"}
    env.pop("BATON_API_URL", None)
    if database_url:
        env["BATON_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "baton", "server", "start", "--port", str(port)]
    command += ["--log-level", "warning", "--services" if services else "--no-services"]
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


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RawClient:
    """HTTP/1.1 on one kept-alive socket, with no more parsing than these answers need
    (a status line and a ``Content-Length`` body): about 0.15 ms of CPU per request,
    against 0.45 ms for ``http.client``, which reads headers with the email package.
    On a small machine, CPU the clients spend is CPU the server does not get."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.unread = b""

    def post(self, path: str, body: bytes) -> tuple[int, Any]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body)
        data = self.unread
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += self._receive()
        status_line, *header_lines = data[:end].split(b"\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers[b"content-length"])
        begin = end + 4
        while len(data) < begin + length:
            data += self._receive()
        self.unread = data[begin + length :]
        return int(status_line.split(b" ", 2)[1]), json.loads(data[begin : begin + length])

    def _receive(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


class StdlibClient:
    """The same requests through the standard library's ``http.client``."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: bytes) -> tuple[int, Any]:
        self.connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def close(self) -> None:
        self.connection.close()


CLIENTS = {"raw": RawClient, "stdlib": StdlibClient}


def cycles(
    port: int, flow_id: str, count: int, start: Any, client: str = "raw"
) -> tuple[list[float], int, float]:
    """One client: ``count`` cycles on one kept-alive connection, begun when ``start``
    lets it. Returns the latency of every request, the number of failed cycles,
    and the CPU time the client spent."""
    connection = CLIENTS[client](port)
    create = json.dumps({"flow_id": flow_id, "state": {"type": "PENDING"}}).encode()
    running = json.dumps({"state": {"type": "RUNNING"}}).encode()
    completed = json.dumps({"state": {"type": "COMPLETED"}}).encode()
    latencies: list[float] = []
    failed = 0
    start.wait()
    cpu = time.thread_time()
    for _ in range(count):
        calls = [("/api/flow_runs/", create), ("set_state", running), ("set_state", completed)]
        run_id = ""
        for path, body in calls:
            url = path if run_id == "" else f"/api/flow_runs/{run_id}/set_state"
            began = time.perf_counter()
            try:
                status, answer = connection.post(url, body)
                ok = status == 201 and (run_id == "" or answer["status"] == "ACCEPT")
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                connection.close()
                connection = CLIENTS[client](port)
                ok = False
            latencies.append(time.perf_counter() - began)
            if not ok:
                failed += 1
                break
            run_id = run_id or answer["id"]
    cpu = time.thread_time() - cpu
    connection.close()
    return latencies, failed, cpu


def _client_process(
    port: int, flow_id: str, count: int, start: Any, results: Any, *, client: str
) -> None:
    results.put(cycles(port, flow_id, count, start, client))


def run_clients(
    port: int,
    clients: int,
    runs: int,
    server_pid: int,
    *,
    processes: bool = False,
    client: str = "raw",
) -> dict[str, Any]:
    """``runs`` create/RUNNING/COMPLETED cycles spread over ``clients`` threads (or
    processes), with rates, latencies, and the CPU time the server and the
    clients spent per transition."""
    flow_id = httpx.post(f"http://127.0.0.1:{port}/api/flows/", json={"name": "bench"})
    flow_id = flow_id.json()["id"]
    shares = [runs // clients + (1 if i < runs % clients else 0) for i in range(clients)]
    outcomes: list[tuple[list[float], int, float]] = []
    if processes:
        context = multiprocessing.get_context("spawn")
        start_event: Any = context.Event()
        queue: Any = context.Queue()
        workers: list[Any] = [
            context.Process(
                target=_client_process,
                args=(port, flow_id, n, start_event, queue),
                kwargs={"client": client},
            )
            for n in shares
        ]
    else:
        start_event = threading.Event()
        lock = threading.Lock()

        def one_client(count: int) -> None:
            outcome = cycles(port, flow_id, count, start_event, client)
            with lock:
                outcomes.append(outcome)

        workers = [threading.Thread(target=one_client, args=(n,)) for n in shares]
    for worker in workers:
        worker.start()
    time.sleep(0.5 if not processes else 3.0)  # let every client get to the start line
    server_cpu = process_cpu_seconds(server_pid)
    begun = time.perf_counter()
    start_event.set()
    if processes:
        outcomes = [queue.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - begun
    server_after = process_cpu_seconds(server_pid)
    server_cpu = server_after - server_cpu if server_cpu is not None and server_after else None
    latencies = sorted(latency for outcome in outcomes for latency in outcome[0])
    client_cpu = sum(outcome[2] for outcome in outcomes)
    count = len(latencies)
    return {
        "clients": clients,
        "client_processes": processes,
        "client": client,
        "transitions": count,
        "seconds": round(elapsed, 3),
        "transitions_per_second": round(count / elapsed, 1),
        "errors": sum(outcome[1] for outcome in outcomes),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(count * 0.95) - 1] * 1000, 2),
        "server_cpu_ms_per_transition": (
            round(server_cpu * 1000 / count, 3) if server_cpu is not None else None
        ),
        "client_cpu_ms_per_transition": round(client_cpu * 1000 / count, 3),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a fresh temporary home")
    parser.add_argument("--runs", type=int, default=500, help="cycles per client count")
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    parser.add_argument("--processes", action="store_true", help="clients as processes")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each client count")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="raw", help="HTTP client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as home:
        port = free_port()
        server = start_server(Path(home), args.database_url, port, services=False)
        try:
            run_clients(port, 1, 20, server.pid)  # warm up
            for _ in range(args.repeat):
                for clients in (int(c) for c in args.clients.split(",")):
                    result = run_clients(
                        port,
                        clients,
                        args.runs,
                        server.pid,
                        processes=args.processes,
                        client=args.client,
                    )
                    result["database"] = "postgresql" if args.database_url else "sqlite"
                    print(json.dumps(result), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
