"""Benchmark workloads, written once for every implementation.

`run.py` starts this file in a fresh process for each measurement, with the environment
variable BENCH_IMPL naming the module that provides `flow` and `task` (`baton` or `prefect`),
so both implementations execute the very same flows.

Usage: BENCH_IMPL=baton python workloads.py WORKLOAD [N]

The outcome is a single stdout line, `BENCH {json}`, so it stays separable from log output.
Every flow result is checked, so a fast but broken implementation cannot post a figure.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

RESULT_PREFIX = "BENCH "

IMPL = os.environ.get("BENCH_IMPL")
if not IMPL:
    sys.exit("workloads.py: set BENCH_IMPL to the module providing flow and task")

_module = importlib.import_module(IMPL)
flow = _module.flow
task = _module.task


@task
def greet(name: str) -> str:
    """Task of the hello-world flow."""
    return f"hello {name}"


@task
def double(x: int) -> int:
    """Near-free task body, so the figures measure the orchestrator rather than the work."""
    return 2 * x


@flow
def hello() -> str:
    """Smallest useful flow: one task call."""
    return greet("world")


@flow
def inline(n: int) -> int:
    """Call a task `n` times directly, one after the other."""
    total = 0
    for i in range(n):
        total += double(i)
    return total


@flow
def submitted(n: int) -> int:
    """Submit `n` task runs first, then collect every result."""
    futures = [double.submit(i) for i in range(n)]
    return sum(future.result() for future in futures)


@flow
def child(i: int) -> int:
    """Subflow without tasks, so only the cost of a flow run inside a flow is measured."""
    return 2 * i


@flow
def parent(n: int) -> int:
    """Call the subflow `n` times."""
    return sum(child(i) for i in range(n))


def _doubled_sum(n: int) -> int:
    """Expected result of `inline`, `submitted` and `parent`."""
    return n * (n - 1)


def _check(got: object, expected: object) -> None:
    if got != expected:
        raise RuntimeError(f"wrong flow result: {got!r}, expected {expected!r}")


def _second_call(fn: Callable[..., Any], args: tuple[Any, ...], expected: object) -> float:
    """Time the second call only: the first one pays for lazy imports, storage set-up, caches."""
    _check(fn(*args), expected)
    start = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - start
    _check(result, expected)
    return seconds


def _peak_rss_kib() -> int:
    """Peak resident set size of this process; ru_maxrss is KiB on Linux but bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def run_hello(_n: int) -> dict[str, float]:
    """Cold hello-world; the parent process times this whole process from outside."""
    _check(hello(), "hello world")
    return {}


def run_hello_second(_n: int) -> dict[str, float]:
    return {"seconds": _second_call(hello, (), "hello world")}


def run_inline(n: int) -> dict[str, float]:
    return {"seconds": _second_call(inline, (n,), _doubled_sum(n))}


def run_submit(n: int) -> dict[str, float]:
    return {"seconds": _second_call(submitted, (n,), _doubled_sum(n))}


def run_subflows(n: int) -> dict[str, float]:
    return {"seconds": _second_call(parent, (n,), _doubled_sum(n))}


def run_memory(n: int) -> dict[str, float]:
    _check(inline(n), _doubled_sum(n))
    return {"maxrss_kib": _peak_rss_kib()}


WORKLOADS: dict[str, Callable[[int], dict[str, float]]] = {
    "hello": run_hello,
    "hello-second": run_hello_second,
    "inline": run_inline,
    "submit": run_submit,
    "subflows": run_subflows,
    "memory": run_memory,
}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in WORKLOADS or len(argv) > 2:
        sys.exit(f"usage: workloads.py {{{','.join(WORKLOADS)}}} [N]")
    n = int(argv[1]) if len(argv) == 2 else 0
    outcome = WORKLOADS[argv[0]](n)
    print(RESULT_PREFIX + json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
