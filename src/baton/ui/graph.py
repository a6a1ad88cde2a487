"""A flow run's task-run graph (upstream edges from ``task_inputs``) as SVG geometry.

Small runs show every task run, in columns by depth. Big runs are summarised:
one node per task, edges between tasks counted, so a 10,000-task run still
draws a few dozen shapes.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass

from baton.ui.detail import TaskRow
from baton.ui.states import look, worst
from baton.ui.timeline import lane_label, task_href, upstream_ids

FULL_LIMIT = 150
MAX_GROUPS = 60
NODE_WIDTH = 170
NODE_HEIGHT = 34
GAP_X = 60
GAP_Y = 12
MARGIN = 10


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    label: str
    detail: str
    css: str
    icon: str
    title: str
    href: str


@dataclass(frozen=True)
class Edge:
    path: str
    title: str


@dataclass(frozen=True)
class Graph:
    width: float
    height: float
    nodes: list[Node]
    edges: list[Edge]
    summarised: bool
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT


def _depths(
    order: list[uuid.UUID], parents: dict[uuid.UUID, list[uuid.UUID]]
) -> dict[uuid.UUID, int]:
    """Longest path from a source; ``order`` is creation order, so upstreams come first."""
    depth: dict[uuid.UUID, int] = {}
    for node in order:
        depth[node] = 1 + max((depth[p] for p in parents.get(node, ()) if p in depth), default=-1)
    return depth


def _place(columns: dict[int, list[uuid.UUID]]) -> dict[uuid.UUID, tuple[float, float]]:
    where: dict[uuid.UUID, tuple[float, float]] = {}
    for column, members in columns.items():
        for row, node in enumerate(members):
            where[node] = (
                MARGIN + column * (NODE_WIDTH + GAP_X),
                MARGIN + row * (NODE_HEIGHT + GAP_Y),
            )
    return where


def _edge_path(source: tuple[float, float], target: tuple[float, float]) -> str:
    x1, y1 = source[0] + NODE_WIDTH, source[1] + NODE_HEIGHT / 2
    x2, y2 = target[0], target[1] + NODE_HEIGHT / 2
    bend = max((x2 - x1) / 2, 20)
    return (
        f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    )


def _size(where: dict[uuid.UUID, tuple[float, float]]) -> tuple[float, float]:
    if not where:
        return 0, 0
    return (
        max(x for x, _ in where.values()) + NODE_WIDTH + MARGIN,
        max(y for _, y in where.values()) + NODE_HEIGHT + MARGIN,
    )


def _runs(count: int) -> str:
    return f"{count:,} run" if count == 1 else f"{count:,} runs"


def build_graph(rows: list[TaskRow]) -> Graph:
    if len(rows) <= FULL_LIMIT:
        return _full(rows)
    return _summary(rows)


def _full(rows: list[TaskRow]) -> Graph:
    parents = {row.id: upstream_ids(row) for row in rows}
    depth = _depths([row.id for row in rows], parents)
    columns: dict[int, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        columns[depth[row.id]].append(row.id)
    where = _place(columns)
    names = {row.id: row.name for row in rows}
    edges = [
        Edge(_edge_path(where[p], where[row.id]), f"{names[p]} → {row.name}")
        for row in rows
        for p in parents[row.id]
        if p in where
    ]
    nodes = []
    for row in rows:
        x, y = where[row.id]
        state = look(row.state_type, row.state_name)
        detail = state.label + (" · subflow" if row.child_flow_run_id else "")
        nodes.append(
            Node(
                x,
                y,
                row.name,
                detail,
                state.css,
                state.icon,
                f"{row.name}: {state.label}",
                task_href(row),
            )
        )
    width, height = _size(where)
    return Graph(width, height, nodes, edges, False)


def _summary(rows: list[TaskRow]) -> Graph:
    key_of = {row.id: row.task_key for row in rows}
    members: dict[str, list[TaskRow]] = defaultdict(list)
    for row in rows:
        members[row.task_key].append(row)
    keys = sorted(members, key=lambda k: -len(members[k]))[:MAX_GROUPS]
    kept = set(keys)
    links: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for parent in upstream_ids(row):
            source = key_of.get(parent)
            if source in kept and row.task_key in kept and source != row.task_key:
                links[(source, row.task_key)] += 1
    order = [members[key][0].created for key in keys]
    ranked = [key for _, key in sorted(zip(order, keys, strict=True))]
    ids = {key: uuid.uuid5(uuid.NAMESPACE_OID, key) for key in ranked}
    parents: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for source, target in links:
        parents[ids[target]].append(ids[source])
    depth = _depths([ids[k] for k in ranked], parents)
    columns: dict[int, list[uuid.UUID]] = defaultdict(list)
    for key in ranked:
        columns[depth[ids[key]]].append(ids[key])
    where = _place(columns)
    nodes = []
    for key in ranked:
        group = members[key]
        counts = Counter(row.state_type or "" for row in group)
        state = look(worst(set(counts)))
        label = lane_label(group[0])
        parts = ", ".join(f"{n:,} {look(s).label.lower()}" for s, n in sorted(counts.items()))
        x, y = where[ids[key]]
        nodes.append(
            Node(x, y, label, _runs(len(group)), state.css, state.icon, f"{label}: {parts}", "")
        )
    edges = [
        Edge(_edge_path(where[ids[s]], where[ids[t]]), f"{n:,} edges")
        for (s, t), n in links.items()
    ]
    width, height = _size(where)
    return Graph(width, height, nodes, edges, True)
