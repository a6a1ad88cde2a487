"""``baton work-pool`` and ``baton work-queue``: where deployment runs wait for workers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from baton.cli import render
from baton.cli.render import OutputFormat

if TYPE_CHECKING:
    from pydantic import BaseModel

    from baton.core.deployments import Worker, WorkPool, WorkQueue

Action = TypeVar("Action", bound="BaseModel")

app = typer.Typer(name="work-pool", help="Manage work pools.", no_args_is_help=True)
queue_app = typer.Typer(
    name="work-queue", help="Manage the work queues of a pool.", no_args_is_help=True
)

PoolName = Annotated[
    str, typer.Argument(metavar="NAME", help="Name of the work pool.", show_default=False)
]
QueueName = Annotated[
    str, typer.Argument(metavar="NAME", help="Name of the work queue.", show_default=False)
]
Pool = Annotated[
    str, typer.Option("--pool", help="The work pool the queue belongs to.", show_default=False)
]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="A table, or JSON for scripts.")
]
Limit = Annotated[
    int | None,
    typer.Option(min=0, help="How many runs may run at once (none: no limit).", show_default=False),
]


@app.command("create")
def create_pool(
    name: PoolName,
    pool_type: Annotated[
        str, typer.Option("--type", help="How its workers start runs.")
    ] = "process",
    concurrency_limit: Limit = None,
    paused: Annotated[
        bool, typer.Option("--paused", help="Create it paused: no run starts until resumed.")
    ] = False,
    description: Annotated[
        str | None, typer.Option(help="What the pool is for.", show_default=False)
    ] = None,
) -> None:
    """Create a work pool (with its ``default`` queue)."""
    from baton.client import get_client
    from baton.core.actions import WorkPoolCreate

    pool = get_client().create_work_pool(
        _action(
            WorkPoolCreate,
            name=name,
            type=pool_type,
            concurrency_limit=concurrency_limit,
            is_paused=paused,
            description=description,
        )
    )
    render.console().print(f"Created work pool {pool.name!r} ({pool.id})")


@app.command("ls")
def list_pools(output: Output = OutputFormat.TABLE) -> None:
    """Every work pool."""
    from baton.client import get_client

    pools = sorted(get_client().read_work_pools(), key=lambda pool: pool.name)
    if output is OutputFormat.JSON:
        render.print_json([pool.model_dump(mode="json") for pool in pools])
        return
    table = render.table("Name", "ID", "Type", "Concurrency limit", "Status")
    for pool in pools:
        table.add_row(
            pool.name, str(pool.id), pool.type, _limit(pool.concurrency_limit), _status(pool)
        )
    render.print_table(table, "No work pools.")


@app.command("inspect")
def inspect_pool(name: PoolName, output: Output = OutputFormat.TABLE) -> None:
    """A work pool's settings, its queues in priority order, and its workers."""
    from baton.client import get_client

    client = get_client()
    pool = client.read_work_pool(name)
    queues = client.read_work_queues(name)
    workers = sorted(client.read_workers(name), key=lambda w: w.last_heartbeat_time, reverse=True)
    if output is OutputFormat.JSON:
        render.print_json(
            {
                "work_pool": pool.model_dump(mode="json"),
                "work_queues": [queue.model_dump(mode="json") for queue in queues],
                "workers": [worker.model_dump(mode="json") for worker in workers],
            }
        )
        return
    out = render.console()
    out.print(_pool_details(pool))
    out.print()
    render.print_table(_queue_table(queues, title="Work queues"), "No work queues.")
    out.print()
    now = dt.datetime.now(dt.timezone.utc)
    table = render.table("Name", "Last heartbeat", "Interval", "Status", title="Workers")
    for worker in workers:
        interval = worker.heartbeat_interval_seconds
        table.add_row(
            worker.name,
            render.format_time(worker.last_heartbeat_time),
            render.EMPTY if interval is None else render.format_duration(interval),
            _worker_status(worker, now),
        )
    render.print_table(table, "No workers have polled this pool.")


@app.command("pause")
def pause_pool(name: PoolName) -> None:
    """Stop handing the pool's runs to workers; they wait until it resumes."""
    _update_pool(name, f"Paused work pool {name!r}", is_paused=True)


@app.command("resume")
def resume_pool(name: PoolName) -> None:
    """Hand the pool's runs to workers again."""
    _update_pool(name, f"Resumed work pool {name!r}", is_paused=False)


@app.command("set-concurrency-limit")
def set_pool_limit(
    name: PoolName,
    limit: Annotated[
        int, typer.Argument(metavar="LIMIT", min=0, help="How many runs may run at once.")
    ],
) -> None:
    """Cap how many of the pool's runs run at once."""
    _update_pool(name, f"Concurrency limit of work pool {name!r}: {limit}", concurrency_limit=limit)


@app.command("clear-concurrency-limit")
def clear_pool_limit(name: PoolName) -> None:
    """Remove the pool's concurrency limit."""
    _update_pool(name, f"Work pool {name!r} has no concurrency limit", concurrency_limit=None)


@app.command("delete")
def delete_pool(name: PoolName) -> None:
    """Remove a work pool and its queues."""
    from baton.client import get_client

    get_client().delete_work_pool(name)
    render.console().print(f"Deleted work pool {name!r}")


@queue_app.command("create")
def create_queue(
    name: QueueName,
    pool: Pool,
    priority: Annotated[
        int | None,
        typer.Option(
            min=1, help="1 is served first (default: after the pool's queues).", show_default=False
        ),
    ] = None,
    concurrency_limit: Limit = None,
) -> None:
    """Create a work queue in a pool."""
    from baton.client import get_client
    from baton.core.actions import WorkQueueCreate

    data = _action(
        WorkQueueCreate, name=name, priority=priority, concurrency_limit=concurrency_limit
    )
    queue = get_client().create_work_queue(pool, data)
    render.console().print(
        f"Created work queue {queue.name!r} in pool {pool!r} (priority {queue.priority})"
    )


@queue_app.command("ls")
def list_queues(pool: Pool, output: Output = OutputFormat.TABLE) -> None:
    """The pool's work queues, in the order workers are served."""
    from baton.client import get_client

    queues = get_client().read_work_queues(pool)
    if output is OutputFormat.JSON:
        render.print_json([queue.model_dump(mode="json") for queue in queues])
        return
    render.print_table(_queue_table(queues), "No work queues.")


@queue_app.command("pause")
def pause_queue(name: QueueName, pool: Pool) -> None:
    """Hold the queue's runs back until it resumes."""
    _update_queue(pool, name, f"Paused work queue {name!r} of pool {pool!r}", is_paused=True)


@queue_app.command("resume")
def resume_queue(name: QueueName, pool: Pool) -> None:
    """Hand the queue's runs to workers again."""
    _update_queue(pool, name, f"Resumed work queue {name!r} of pool {pool!r}", is_paused=False)


@queue_app.command("delete")
def delete_queue(name: QueueName, pool: Pool) -> None:
    """Remove a work queue."""
    from baton.client import get_client

    get_client().delete_work_queue(pool, name)
    render.console().print(f"Deleted work queue {name!r} of pool {pool!r}")


def _action(kind: type[Action], **fields: Any) -> Action:
    """The request body, or a usage error naming the value that does not fit."""
    from pydantic import ValidationError

    try:
        return kind(**fields)
    except ValidationError as error:
        issue = error.errors()[0]
        where = ".".join(str(part) for part in issue["loc"])
        raise typer.BadParameter(f"{where}: {issue['msg']}") from None


def _update_pool(name: str, message: str, **changes: Any) -> None:
    from baton.client import get_client
    from baton.core.actions import WorkPoolUpdate

    get_client().update_work_pool(name, WorkPoolUpdate(**changes))
    render.console().print(message)


def _update_queue(pool: str, name: str, message: str, **changes: Any) -> None:
    from baton.client import get_client
    from baton.core.actions import WorkQueueUpdate

    get_client().update_work_queue(pool, name, WorkQueueUpdate(**changes))
    render.console().print(message)


def _pool_details(pool: WorkPool) -> Group:
    rows: list[tuple[str, Any]] = [
        ("ID", pool.id),
        ("Name", pool.name),
        ("Type", pool.type),
        ("Description", pool.description or render.EMPTY),
        ("Status", _status(pool)),
        ("Concurrency limit", _limit(pool.concurrency_limit)),
        ("Created", render.format_time(pool.created)),
    ]
    return Group(Text("Work pool", style="bold underline"), render.key_values(rows))


def _queue_table(queues: list[WorkQueue], title: str | None = None) -> Table:
    table = render.table(
        "Name", "Priority", "Concurrency limit", "Status", "Last polled", title=title
    )
    for queue in queues:
        table.add_row(
            queue.name,
            str(queue.priority),
            _limit(queue.concurrency_limit),
            _status(queue),
            render.format_time(queue.last_polled),
        )
    return table


def _worker_status(worker: Worker, now: dt.datetime) -> Text:
    if worker.is_online(now):
        return Text("online", style="green")
    return Text("offline", style="grey50")


def _status(item: WorkPool | WorkQueue) -> Text:
    return Text("paused", style="yellow") if item.is_paused else Text("ready", style="green")


def _limit(limit: int | None) -> str:
    return render.EMPTY if limit is None else str(limit)
