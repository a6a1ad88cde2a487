"""A small ETL flow: retries, caching, fan-out, ordering and logs, with no server.

Run it with ``python examples/quickstart.py``, then look at what was recorded
with ``baton flow-run ls`` and ``baton flow-run inspect <id>``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from baton import flow, get_run_logger, task
from baton.tasks import task_input_hash


@task(
    retries=3,
    retry_delay_seconds=[1, 2, 4],
    cache_key_fn=task_input_hash,
    cache_expiration=timedelta(hours=1),
    tags=["db"],
)
def extract(day: date) -> list[dict]:
    """Fetch the day's rows; a flaky source fails now and then, and is retried."""
    if random.random() < 0.3:
        raise ConnectionError("the source did not answer")
    return [{"day": day.isoformat(), "order": n, "amount": 10 * n} for n in range(1, 6)]


@task
def transform(row: dict) -> dict:
    return {**row, "amount_with_tax": round(row["amount"] * 1.2, 2)}


@task
def audit() -> None:
    get_run_logger().info("audit trail checked")


@task
def load(rows: list[dict]) -> int:
    return len(rows)


@flow(log_prints=True)
def etl(day: date = date.today(), limit: int = 100) -> int:
    rows = extract(day)  # inline call: runs now, returns the value
    checked = audit.submit()  # runs on the task runner, returns a future
    futures = transform.map(rows[:limit])  # fan out: one task run per row
    n = load.submit(futures, wait_for=[checked]).result()  # futures as inputs, explicit order
    get_run_logger().info("loaded %d rows", n)
    print("done")  # captured into the run's logs
    return n


if __name__ == "__main__":
    etl("2026-01-31")  # "2026-01-31" is validated and coerced to a date
