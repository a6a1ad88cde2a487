"""A flow run's Gantt timeline as geometry for an inline SVG, with level of detail.

Up to ``DETAILED_LIMIT`` task runs get a bar each. Beyond that, drawing every
run would make a page the browser cannot handle, so runs are gathered into
lanes (one per task) and time buckets: each cell shows how many runs of that
task were active then, coloured by the most alarming state among them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from baton.ui.detail import TaskRow
from baton.ui.states import SEVERITY, look

DETAILED_LIMIT = 200
MAX_LANES = 24
BUCKETS = 120
LABEL_WIDTH = 200
PLOT_WIDTH = 760
ROW = 22
AXIS = 26


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    href: str


@dataclass(frozen=True)
class Lane:
    y: float
    label: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    lanes: list[Lane]
    bars: list[Bar]
    ticks: list[Tick]
    aggregated: bool
    total: int
    start: dt.datetime | None


def task_href(row: TaskRow) -> str:
    if row.child_flow_run_id is not None:
        return f"/runs/{row.child_flow_run_id}"
    return f"/task-runs/{row.id}"


def _span(row: TaskRow, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = row.start_time or row.created
    end = row.end_time or (now if row.start_time else start)
    return start, max(end, start)


def lane_label(row: TaskRow) -> str:
    base, dash, number = row.name.rpartition("-")
    return base if dash and number.isdigit() else row.name


def _offset(seconds: float, total: float) -> str:
    """A tick's distance from the start, as precise as the timeline's length needs."""
    if total >= 120:
        return f"+{seconds / 60:.1f} min"
    return f"+{seconds:.2f} s" if total < 2 else f"+{seconds:.1f} s"


def _ticks(seconds: float) -> list[Tick]:
    count = 5
    return [
        Tick(LABEL_WIDTH + PLOT_WIDTH * i / count, _offset(seconds * i / count, seconds))
        for i in range(count + 1)
    ]


def build_timeline(rows: list[TaskRow], now: dt.datetime) -> Timeline:
    if not rows:
        return Timeline(LABEL_WIDTH + PLOT_WIDTH, 0, [], [], [], False, 0, None)
    spans = [_span(row, now) for row in rows]
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    seconds = max((end - start).total_seconds(), 0.001)
    if len(rows) <= DETAILED_LIMIT:
        return _detailed(rows, spans, start, seconds)
    return _aggregated(rows, spans, start, seconds)


def _x(moment: dt.datetime, start: dt.datetime, seconds: float) -> float:
    return LABEL_WIDTH + (moment - start).total_seconds() / seconds * PLOT_WIDTH


def _detailed(
    rows: list[TaskRow],
    spans: list[tuple[dt.datetime, dt.datetime]],
    start: dt.datetime,
    seconds: float,
) -> Timeline:
    order = sorted(range(len(rows)), key=lambda i: spans[i][0])
    lanes, bars = [], []
    for line, index in enumerate(order):
        row, (begin, finish) = rows[index], spans[index]
        y = AXIS + line * ROW
        state = look(row.state_type, row.state_name)
        lasted = (finish - begin).total_seconds()
        title = f"{row.name}: {state.label}, {lasted:.2f} s"
        x = _x(begin, start, seconds)
        width = max(_x(finish, start, seconds) - x, 2.0)
        lanes.append(Lane(y, row.name, title))
        bars.append(Bar(x, y + 3, width, ROW - 6, state.css, title, task_href(row)))
    height = AXIS + len(rows) * ROW + 4
    return Timeline(
        LABEL_WIDTH + PLOT_WIDTH,
        height,
        lanes,
        bars,
        _ticks(seconds),
        False,
        len(rows),
        start,
    )


def _aggregated(
    rows: list[TaskRow],
    spans: list[tuple[dt.datetime, dt.datetime]],
    start: dt.datetime,
    seconds: float,
) -> Timeline:
    by_lane: dict[str, list[int]] = defaultdict(list)
    labels: dict[str, str] = {}
    for index, row in enumerate(rows):
        by_lane[row.task_key].append(index)
        labels.setdefault(row.task_key, lane_label(row))
    ranked = sorted(by_lane, key=lambda key: -len(by_lane[key]))
    keys = ranked[:MAX_LANES]
    if len(ranked) > MAX_LANES:
        others = [i for key in ranked[MAX_LANES:] for i in by_lane[key]]
        keys.append("\0others")
        by_lane["\0others"] = others
        labels["\0others"] = f"{len(ranked) - MAX_LANES} other tasks"
    width = PLOT_WIDTH / BUCKETS
    bucket_seconds = seconds / BUCKETS
    lanes, bars = [], []
    for line, key in enumerate(keys):
        y = AXIS + line * ROW
        members = by_lane[key]
        # Difference arrays per state: O(1) per run, however long it lasted.
        deltas: dict[str, list[int]] = defaultdict(lambda: [0] * (BUCKETS + 1))
        for index in members:
            begin, finish = spans[index]
            first = min(int((begin - start).total_seconds() / bucket_seconds), BUCKETS - 1)
            last = min(int((finish - start).total_seconds() / bucket_seconds), BUCKETS - 1)
            array = deltas[rows[index].state_type or ""]
            array[first] += 1
            array[last + 1] -= 1
        active = {state: _running_sum(array) for state, array in deltas.items()}
        peak = max(max(counts) for counts in active.values())
        lanes.append(Lane(y, labels[key], f"{labels[key]}: {len(members):,} runs"))
        for bucket in range(BUCKETS):
            present = {state: counts[bucket] for state, counts in active.items() if counts[bucket]}
            if not present:
                continue
            worst = next((s.value for s in SEVERITY if s.value in present), "")
            state = look(worst)
            total = sum(present.values())
            moment = start + dt.timedelta(seconds=bucket * bucket_seconds)
            parts = ", ".join(f"{n:,} {look(s).label.lower()}" for s, n in sorted(present.items()))
            title = f"{labels[key]} at +{(moment - start).total_seconds():.1f} s: {parts}"
            height = (ROW - 6) * (0.35 + 0.65 * total / peak)
            bars.append(
                Bar(
                    LABEL_WIDTH + bucket * width,
                    y + 3 + (ROW - 6) - height,
                    max(width - 0.5, 1.0),
                    height,
                    state.css,
                    title,
                    "",
                )
            )
    height = AXIS + len(keys) * ROW + 4
    return Timeline(
        LABEL_WIDTH + PLOT_WIDTH,
        height,
        lanes,
        bars,
        _ticks(seconds),
        True,
        len(rows),
        start,
    )


def _running_sum(deltas: list[int]) -> list[int]:
    total, out = 0, []
    for value in deltas[:-1]:
        total += value
        out.append(total)
    return out


def upstream_ids(row: TaskRow) -> list[uuid.UUID]:
    """The task runs ``row`` consumed results of."""
    found = []
    for inputs in row.task_inputs.values():
        for item in inputs:
            if item.get("input_type", "task_run") == "task_run" and item.get("id"):
                found.append(uuid.UUID(str(item["id"])))
    return found
