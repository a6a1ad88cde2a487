"""Measure the benchmark workloads for Baton and Prefect side by side and print a table.

Every measurement runs in a fresh child process of the implementation's own interpreter, so
imports and warm-up are paid honestly and one implementation cannot warm the other's caches.
Runs of the implementations are interleaved so that drift of the machine affects both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
WORKLOADS_PY = HERE / "workloads.py"
RESULT_PREFIX = "BENCH "
DEFAULT_TIMEOUT = 600.0
PROBE_TIMEOUT = 180.0


@dataclass(frozen=True)
class Impl:
    """An implementation under test: its module name, interpreter and environment."""

    name: str
    python: Path
    home_var: str
    extra_env: dict[str, str] = field(default_factory=dict)


def known_impls(baton_python: Path, prefect_python: Path) -> dict[str, Impl]:
    """Prefect gets no API URL, so it runs against a temporary local server started on demand
    (given time to start on a small machine), and no telemetry, so no figure depends on
    reaching, or failing to reach, the network."""
    return {
        "baton": Impl("baton", baton_python, "BATON_HOME"),
        "prefect": Impl(
            "prefect",
            prefect_python,
            "PREFECT_HOME",
            {
                "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            },
        ),
    }


@dataclass(frozen=True)
class Measurement:
    """One figure: `workload` is the name used by --workloads, --skip and --timeout."""

    key: str
    workload: str
    label: str
    unit: str  # "s" or "KiB"
    child_args: tuple[str, ...] = ()
    whole_process: bool = False  # timed from outside, around the whole child process
    fresh_home: bool = False  # a new home directory even when --home is given
    per_item: int = 0  # also report the median divided by this many items

    def command(self, impl: Impl) -> list[str]:
        if not self.child_args:
            return [str(impl.python), "-c", f"import {impl.name}"]
        return [str(impl.python), str(WORKLOADS_PY), *self.child_args]


MEASUREMENTS = (
    Measurement("import", "import", "import (whole process)", "s", whole_process=True),
    Measurement(
        "hello-process",
        "hello-process",
        "hello-world flow, whole process, fresh home",
        "s",
        ("hello",),
        whole_process=True,
        fresh_home=True,
    ),
    Measurement(
        "hello-second", "hello-second", "2nd hello-world call, same process", "s", ("hello-second",)
    ),
    Measurement(
        "inline-2000",
        "inline-2000",
        "2,000 inline task calls, warm flow",
        "s",
        ("inline", "2000"),
        per_item=2000,
    ),
    Measurement(
        "submit-1000",
        "submit-1000",
        "1,000 .submit() then .result(), warm",
        "s",
        ("submit", "1000"),
    ),
    Measurement(
        "subflows-50", "subflows-50", "50 subflow calls in a flow, warm", "s", ("subflows", "50")
    ),
    Measurement(
        "memory-1000", "memory", "peak RSS, flow of 1,000 inline tasks", "KiB", ("memory", "1000")
    ),
    Measurement(
        "memory-100000",
        "memory",
        "peak RSS, flow of 100,000 inline tasks",
        "KiB",
        ("memory", "100000"),
    ),
)
WORKLOAD_NAMES = tuple(dict.fromkeys(m.workload for m in MEASUREMENTS))
# Rows derived from two measurements: (label, numerator key, denominator key).
GROWTH_ROWS = (("peak RSS growth, 100,000 / 1,000 tasks", "memory-100000", "memory-1000"),)


@dataclass
class Cell:
    """Outcome of one measurement for one implementation, over its repeated runs."""

    runs: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line per failed or doubtful run
    excluded: str = ""  # "skipped" or "unavailable", decided before any run
    failure: str = ""  # "error" or "timeout": how the first failed run ended
    detail: str = ""  # why it was excluded or failed, in one line
    failed_runs: int = 0
    timed_out: bool = False

    @property
    def status(self) -> str:
        if self.excluded:
            return self.excluded
        if self.runs:
            return "ok"
        return self.failure or "pending"

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


@dataclass
class Outcome:
    status: str
    value: float | None = None
    detail: str = ""


def error_line(stream: IO[bytes]) -> str:
    """One line saying why a child failed: the exception of its last traceback if any, else
    its last line of output."""
    stream.seek(0)
    lines = [line.rstrip() for line in stream.read().decode(errors="replace").splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    if starts:
        # Frames are indented; the exception line that ends the traceback is not.
        for line in lines[starts[-1] + 1 :]:
            if line and not line[0].isspace():
                return line[:300]
    lines = [line for line in lines if line.strip()]
    return lines[-1].strip()[:300] if lines else "no output"


def kill_group(pid: int) -> None:
    """End the child's process group: it may leave helpers behind, such as a local API server."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def child_env(impl: Impl, home: Path) -> dict[str, str]:
    """The runner's environment without any BATON_/PREFECT_ setting, plus the impl's own.

    PYTHONDONTWRITEBYTECODE is dropped too: with it, modules that pip did not compile (an
    editable install's) would be compiled again by every process, which no user sees.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "PREFECT_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(impl.extra_env)
    env[impl.home_var] = str(home)
    env["BENCH_IMPL"] = impl.name
    env["DO_NOT_TRACK"] = "1"
    return env


def run_child(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[Outcome, str]:
    """Run one child process; the outcome's value is its wall time, the text its stdout."""
    # Output goes to files, not pipes: a grandchild holding a pipe open would stall the reader.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, start_new_session=True
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.wait()
            return Outcome("timeout", detail=f"killed after {timeout:g} s"), ""
        except BaseException:  # interrupted: leave no process of this run behind
            kill_group(proc.pid)
            raise
        wall = time.perf_counter() - start
        kill_group(proc.pid)
        out.seek(0)
        stdout = out.read().decode(errors="replace")
        if code != 0:
            return Outcome("error", detail=f"exit {code}: {error_line(err)}"), stdout
        return Outcome("ok", wall), stdout


class Runner:
    """Runs measurements, each in a new process with its own home directory."""

    def __init__(self, home_root: Path | None) -> None:
        self.home_root = home_root

    def measure(self, m: Measurement, impl: Impl, timeout: float) -> Outcome:
        if self.home_root is None or m.fresh_home:
            home = Path(tempfile.mkdtemp(prefix=f"bench-{impl.name}-home-"))
            temporary = True
        else:
            home = self.home_root / impl.name
            home.mkdir(parents=True, exist_ok=True)
            temporary = False
        try:
            outcome, stdout = run_child(m.command(impl), child_env(impl, home), timeout)
        finally:
            if temporary:
                shutil.rmtree(home, ignore_errors=True)
        if m.whole_process:
            return outcome
        lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        try:
            figures: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
            value = figures["seconds"] if m.unit == "s" else figures["maxrss_kib"]
        except (IndexError, ValueError, KeyError):
            if outcome.status != "ok":
                return outcome
            return Outcome("error", detail="the child printed no result line")
        # The figure was taken before the child's exit: a failure while shutting down is
        # reported, but does not void it.
        note = f"figure kept, then {outcome.detail}" if outcome.status != "ok" else ""
        return Outcome("ok", float(value), note)

    def probe(self, impl: Impl) -> tuple[str | None, str]:
        """Import the implementation once, which also compiles its bytecode before timing."""
        if not impl.python.exists():
            return None, f"no interpreter at {impl.python}"
        code = (
            f"import {impl.name}; from {impl.name} import flow, task; "
            f"print(getattr({impl.name}, '__version__', 'unknown'))"
        )
        home = Path(tempfile.mkdtemp(prefix=f"bench-{impl.name}-home-"))
        try:
            cmd = [str(impl.python), "-c", code]
            outcome, stdout = run_child(cmd, child_env(impl, home), PROBE_TIMEOUT)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        if outcome.status != "ok":
            return None, outcome.detail
        lines = stdout.split()
        return (lines[-1] if lines else "unknown"), ""


def format_value(value: float, unit: str) -> str:
    if unit == "KiB":
        return f"{value / 1024:.1f} MiB"
    if unit == "x":
        return f"{value:.2f}x"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} us"


def format_cell(cell: Cell, unit: str) -> str:
    """The median of the runs that succeeded, saying how many failed, or why there is none."""
    median = cell.median
    if median is None:
        return cell.status
    failed = f" ({cell.failed_runs} failed)" if cell.failed_runs else ""
    return format_value(median, unit) + failed


def comparing(impls: list[str]) -> bool:
    """The prefect/baton column appears only when both implementations are measured."""
    return set(impls) == {"baton", "prefect"}


def build_rows(
    cells: dict[str, dict[str, Cell]], impls: list[str], keys: list[str]
) -> list[list[str]]:
    """Table rows: label, one column per impl, and prefect/baton when both are measured."""
    compare = comparing(impls)
    rows: list[list[str]] = []

    def add(
        label: str, values: dict[str, float | None], texts: dict[str, str], comparable: bool = True
    ) -> None:
        row = [label, *(texts[i] for i in impls)]
        if compare:
            base, other = values["baton"], values["prefect"]
            ratio = f"{other / base:.1f}x" if comparable and base and other else ""
            row.append(ratio)
        rows.append(row)

    by_key = {m.key: m for m in MEASUREMENTS}
    for key in keys:
        m = by_key[key]
        row_cells = cells[key]
        medians = {i: row_cells[i].median for i in impls}
        add(m.label, medians, {i: format_cell(row_cells[i], m.unit) for i in impls})
        if m.per_item:
            per = {i: (v / m.per_item if v is not None else None) for i, v in medians.items()}
            texts = {i: (format_value(v, "s") if v is not None else "") for i, v in per.items()}
            add("  per task", per, texts)
    for label, num, den in GROWTH_ROWS:
        if num not in keys or den not in keys:
            continue
        growth: dict[str, float | None] = {}
        for i in impls:
            a, b = cells[num][i].median, cells[den][i].median
            growth[i] = a / b if a is not None and b else None
        texts = {i: (format_value(v, "x") if v is not None else "") for i, v in growth.items()}
        add(label, growth, texts, comparable=False)
    return rows


def render_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]

    def line(cols: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def parse_list(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return items


def parse_skips(text: str, impls: tuple[str, ...]) -> set[tuple[str, str]]:
    """`[IMPL:]WORKLOAD,...` into (impl, workload) pairs; no IMPL means every implementation."""
    pairs: set[tuple[str, str]] = set()
    for item in filter(None, (s.strip() for s in text.split(","))):
        impl, _, workload = item.rpartition(":")
        parse_list(workload, WORKLOAD_NAMES, "workload")
        for name in parse_list(impl, impls, "implementation") if impl else impls:
            pairs.add((name, workload))
    return pairs


def parse_timeouts(values: list[str]) -> tuple[float, dict[str, float]]:
    """`SECONDS` sets the default per child process; `WORKLOAD=SECONDS` one workload's."""
    default, per_workload = DEFAULT_TIMEOUT, {}
    for value in values:
        workload, _, seconds = value.rpartition("=")
        if workload:
            parse_list(workload, WORKLOAD_NAMES, "workload")
            per_workload[workload] = float(seconds)
        else:
            default = float(seconds)
    return default, per_workload


def machine_info(load_start: float) -> dict[str, Any]:
    """Where and when the figures were taken; the load averages tell whether anything else
    competed for the CPUs during the run."""
    mem_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "load_start": round(load_start, 2),
        "load_end": round(os.getloadavg()[0], 2),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="baton,prefect", help="comma-separated: baton,prefect")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; median reported")
    parser.add_argument(
        "--baton-python",
        type=Path,
        default=HERE.parent / ".venv" / "bin" / "python",
        help="interpreter with baton installed (default: the repository's .venv)",
    )
    parser.add_argument(
        "--prefect-python",
        type=Path,
        default=Path.home() / ".cache" / "baton-bench" / "prefect-3.8.8" / "bin" / "python",
        help="interpreter with prefect installed (see setup_prefect.sh)",
    )
    parser.add_argument(
        "--workloads", default=",".join(WORKLOAD_NAMES), help="comma-separated workload names"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated [IMPL:]WORKLOAD to leave out, e.g. prefect:memory",
    )
    parser.add_argument(
        "--timeout",
        action="append",
        default=[],
        metavar="[WORKLOAD=]SECONDS",
        help=f"limit per child process (default {DEFAULT_TIMEOUT:g} s); repeatable",
    )
    parser.add_argument(
        "--home",
        type=Path,
        help="reuse DIR/<impl> as the home directory instead of a new temporary one per process "
        "(the fresh-home workload always gets a new one)",
    )
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


Cells = dict[str, dict[str, Cell]]  # measurement key -> implementation name -> cell


def log(text: str) -> None:
    """Progress goes to stderr, so stdout holds only the report."""
    print(text, file=sys.stderr, flush=True)


@dataclass
class Session:
    """One invocation: what to measure, and the figures gathered so far."""

    runner: Runner
    impls: list[Impl]
    measurements: list[Measurement]
    repeat: int
    default_timeout: float
    timeouts: dict[str, float]
    cells: Cells = field(default_factory=dict)
    info: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [impl.name for impl in self.impls]

    def prepare(self, skips: set[tuple[str, str]]) -> None:
        """Probe each implementation, so one that does not import is reported once, not once
        per workload, and mark what --skip leaves out."""
        self.cells = {m.key: {name: Cell() for name in self.names} for m in self.measurements}
        for impl in self.impls:
            version, error = self.runner.probe(impl)
            self.info[impl.name] = {
                "python": str(impl.python),
                "version": version,
                "error": error or None,
            }
            if version is None:
                log(f"{impl.name}: unavailable, skipping all its workloads ({error})")
            else:
                log(f"{impl.name} {version} ({impl.python})")
            for m in self.measurements:
                cell = self.cells[m.key][impl.name]
                if version is None:
                    cell.excluded, cell.detail = "unavailable", error
                elif (impl.name, m.workload) in skips:
                    cell.excluded = "skipped"

    def run(self) -> None:
        for m in self.measurements:
            timeout = self.timeouts.get(m.workload, self.default_timeout)
            for run in range(1, self.repeat + 1):
                for impl in self.impls:
                    self.run_one(m, impl, timeout, run)

    def run_one(self, m: Measurement, impl: Impl, timeout: float, run: int) -> None:
        cell = self.cells[m.key][impl.name]
        if cell.excluded or cell.timed_out:
            return
        outcome = self.runner.measure(m, impl, timeout)
        prefix = f"[{impl.name}] {m.key} run {run}/{self.repeat}:"
        if outcome.status == "ok" and outcome.value is not None:
            cell.runs.append(outcome.value)
            if outcome.detail:
                cell.notes.append(f"run {run}: {outcome.detail}")
            note = f" ({outcome.detail})" if outcome.detail else ""
            log(f"{prefix} {format_value(outcome.value, m.unit)}{note}")
            return
        log(f"{prefix} {outcome.status}: {outcome.detail}")
        cell.notes.append(f"run {run}: {outcome.status}: {outcome.detail}")
        cell.failed_runs += 1
        if not cell.failure:
            cell.failure, cell.detail = outcome.status, outcome.detail
        # Another run after a timeout would most likely cost the whole timeout again.
        cell.timed_out = outcome.status == "timeout"

    def print_report(self, machine: dict[str, Any]) -> None:
        names = self.names
        versions = ", ".join(f"{n} {self.info[n]['version'] or 'unavailable'}" for n in names)
        print(f"\n{machine['cpus']} cpus, {machine['memory_gib']} GiB, {machine['platform']}")
        print(f"{machine['date']}; {versions}; median of {self.repeat} run(s)")
        load = (
            f"load average (1 min): {machine['load_start']} at start, {machine['load_end']} at end"
        )
        print(load + "\n")
        header = ["workload", *names, *(["prefect/baton"] if comparing(names) else [])]
        keys = [m.key for m in self.measurements]
        print(render_table(header, build_rows(self.cells, names, keys)))
        remarks = []
        for key, by_impl in self.cells.items():
            for name, cell in by_impl.items():
                remarks.extend(f"{name} {key}: {note}" for note in cell.notes)
        if remarks:
            print("\n" + "\n".join(remarks))

    def write_json(self, path: Path, machine: dict[str, Any]) -> None:
        results = [
            {
                "key": m.key,
                "label": m.label,
                "unit": m.unit,
                "impl": name,
                "status": cell.status,
                "detail": cell.detail,
                "runs": cell.runs,
                "notes": cell.notes,
                "median": cell.median,
            }
            for m in self.measurements
            for name, cell in self.cells[m.key].items()
        ]
        report = {"machine": machine, "repeat": self.repeat, "impls": self.info, "results": results}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Turn SIGTERM into SystemExit so that the running child's process group is ended too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    available = known_impls(args.baton_python.absolute(), args.prefect_python.absolute())
    names = parse_list(args.impl, tuple(available), "implementation")
    workloads = parse_list(args.workloads, WORKLOAD_NAMES, "workload")
    default_timeout, timeouts = parse_timeouts(args.timeout)
    session = Session(
        runner=Runner(args.home.absolute() if args.home else None),
        impls=[available[name] for name in names],
        measurements=[m for m in MEASUREMENTS if m.workload in workloads],
        repeat=args.repeat,
        default_timeout=default_timeout,
        timeouts=timeouts,
    )
    load_start = os.getloadavg()[0]
    session.prepare(parse_skips(args.skip, tuple(available)))
    session.run()
    machine = machine_info(load_start)
    session.print_report(machine)
    if args.json:
        session.write_json(args.json, machine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
