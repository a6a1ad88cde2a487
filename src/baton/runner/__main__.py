"""``python -m baton.runner <flow run id>``: execute one deployment run in this process.

Workers and ``serve()`` start this for every run they claim. The exit code is
0 when the run completed, 1 otherwise, 2 when the command itself is wrong.

``python -m baton.runner --stdin`` imports Baton and connects first, then reads
the run id from its standard input: a worker keeps one waiting, so a run it
claims starts without paying for the interpreter and the imports. It exits
quietly when its input closes with no id.
"""

from __future__ import annotations

import sys
import uuid


def main(argv: list[str]) -> int:
    from baton.client import get_client
    from baton.runner.execute import execute_flow_run

    if len(argv) != 1:
        print("usage: python -m baton.runner FLOW_RUN_ID | --stdin", file=sys.stderr)
        return 2
    if argv[0] == "--stdin":
        _get_ready()
        argv = [sys.stdin.readline().strip()]
        if not argv[0]:
            return 0
    try:
        flow_run_id = uuid.UUID(argv[0])
    except ValueError:
        print(f"Error: {argv[0]!r} is not a flow run id", file=sys.stderr)
        return 2
    client = get_client()
    try:
        state = execute_flow_run(client, flow_run_id)
    finally:
        client.close()
    return 0 if state.is_completed() else 1


def _get_ready() -> None:
    """Do now what every run needs, before anyone waits for it: imports and the client."""
    import baton.engine.flow_engine
    import baton.engine.logging  # noqa: F401
    from baton.client import get_client

    get_client()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
