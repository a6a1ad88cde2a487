"""Reads the commands share: everything goes through the client, page by page.

The client reads in pages (it must stay cheap for a server to answer), so the
helpers here keep asking until a page comes back short.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

import typer

from baton.exceptions import ObjectNotFound

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.core.models import LogRecord, OrchestrationDecision, TaskRun
    from baton.core.states import StateType

T = TypeVar("T")

PAGE = 200
DECISION_BATCH = 500
"""Run ids per decisions query: well under the bound-parameter limits of SQLite and PostgreSQL."""


def pages(fetch: Callable[[int, int], list[T]], page: int = PAGE) -> Iterator[T]:
    """Every item ``fetch(limit, offset)`` can return, one page at a time."""
    offset = 0
    while True:
        items = fetch(page, offset)
        yield from items
        if len(items) < page:
            return
        offset += page


def flow_names(client: BatonClient) -> dict[uuid.UUID, str]:
    """Name of every flow, by id."""
    found = pages(lambda limit, offset: client.read_flows(limit=limit, offset=offset))
    return {flow.id: flow.name for flow in found}


def flow_id(client: BatonClient, name: str) -> uuid.UUID:
    """The id of the flow called ``name``; ``ObjectNotFound`` if there is none."""
    for found_id, found_name in flow_names(client).items():
        if found_name == name:
            return found_id
    raise ObjectNotFound("flow", repr(name))


def task_runs(client: BatonClient, flow_run_id: uuid.UUID) -> list[TaskRun]:
    """All task runs of a flow run, oldest first."""
    return list(
        pages(
            lambda limit, offset: client.read_task_runs(
                flow_run_id=flow_run_id, limit=limit, offset=offset
            )
        )
    )


def decisions(client: BatonClient, run_ids: Sequence[uuid.UUID]) -> list[OrchestrationDecision]:
    """Recorded decisions about any of ``run_ids``, oldest first."""
    found: list[OrchestrationDecision] = []
    for start in range(0, len(run_ids), DECISION_BATCH):
        found.extend(client.read_decisions(run_ids[start : start + DECISION_BATCH]))
    return sorted(found, key=lambda decision: decision.timestamp)


def logs(
    client: BatonClient, flow_run_id: uuid.UUID, min_level: int, limit: int | None
) -> list[LogRecord]:
    """A flow run's logs (its task runs' included), oldest first; the first ``limit`` if given."""
    page = PAGE * 5 if limit is None else min(limit, PAGE * 5)
    found: list[LogRecord] = []
    for record in pages(
        lambda size, offset: client.read_logs(
            flow_run_id=flow_run_id, min_level=min_level, limit=size, offset=offset
        ),
        page=page,
    ):
        found.append(record)
        if limit is not None and len(found) >= limit:
            break
    return found


def parse_id(value: str) -> uuid.UUID:
    """A run id given on the command line (a UUID), or a usage error that shows the value."""
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an id (ids are UUIDs)") from None


def state_types(values: Sequence[str]) -> list[StateType]:
    """``--state`` values (any case, repeated or comma-separated) as state types."""
    from baton.core.states import StateType

    known = {state_type.value: state_type for state_type in StateType}
    chosen: list[StateType] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().upper()
            if name not in known:
                raise typer.BadParameter(
                    f"unknown state type {part.strip()!r}; choose from {', '.join(known)}",
                    param_hint="'--state'",
                )
            chosen.append(known[name])
    return chosen
