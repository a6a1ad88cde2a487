"""Run logs: ``get_run_logger()``, print capture, and shipping records to storage.

Records of run loggers carry their run ids; one handler turns them into rows
and queues them for the writer, which commits them in batches off the hot
path. A console handler echoes them to stderr in a compact format.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import sys
import threading
from typing import Any

from baton.core.ids import new_id
from baton.engine.context import flow_run_context, task_run_context

_setup_lock = threading.Lock()
_configured = False
_original_print = builtins.print


class RunLoggerAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger whose records name the flow run and task run they belong to."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def get_run_logger(**extra: Any) -> logging.LoggerAdapter[logging.Logger]:
    """The logger of the current flow or task run; its records are stored with the run."""
    setup_logging()
    task_ctx = task_run_context.get()
    flow_ctx = flow_run_context.get()
    if task_ctx is not None:
        run = task_ctx.task_run
        fields = {
            "task_run_id": run.id,
            "flow_run_id": run.flow_run_id,
            "run_label": f"Task run {run.name!r}",
        }
        return RunLoggerAdapter(logging.getLogger("baton.task_runs"), {**fields, **extra})
    if flow_ctx is not None:
        flow_run = flow_ctx.flow_run
        fields = {
            "flow_run_id": flow_run.id,
            "task_run_id": None,
            "run_label": f"Flow run {flow_run.name!r}",
        }
        return RunLoggerAdapter(logging.getLogger("baton.flow_runs"), {**fields, **extra})
    raise RuntimeError(
        "get_run_logger() works inside a flow or task run; use logging.getLogger(...) elsewhere"
    )


class RunLogHandler(logging.Handler):
    """Queue records that belong to a run for storage."""

    def emit(self, record: logging.LogRecord) -> None:
        flow_run_id = getattr(record, "flow_run_id", None)
        task_run_id = getattr(record, "task_run_id", None)
        if flow_run_id is None and task_run_id is None:
            return
        try:
            from baton.client import get_client

            client = get_client()
            row = {
                "id": new_id(),
                "name": record.name,
                "level": record.levelno,
                "message": record.getMessage() + _exception_text(self, record),
                "timestamp": dt.datetime.fromtimestamp(record.created, dt.timezone.utc),
                "flow_run_id": flow_run_id,
                "task_run_id": task_run_id,
            }
            queue_row = getattr(client, "queue_log_row", None)
            if queue_row is not None:
                queue_row(row)
            else:
                from baton.core.actions import LogCreate

                row.pop("id")
                client.create_logs([LogCreate.model_validate(row)])
        except Exception:
            self.handleError(record)


def _exception_text(handler: logging.Handler, record: logging.LogRecord) -> str:
    if not record.exc_info:
        return ""
    formatter = handler.formatter or logging.Formatter()
    return "\n" + formatter.formatException(record.exc_info)


class ConsoleFormatter(logging.Formatter):
    """``12:00:01.234 | INFO    | Flow run 'brisk-heron' - message``"""

    def format(self, record: logging.LogRecord) -> str:
        clock = dt.datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        label = getattr(record, "run_label", None)
        text = record.getMessage()
        if label:
            text = f"{label} - {text}"
        line = f"{clock} | {record.levelname:<7} | {text}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging() -> None:
    """Attach Baton's handlers to the ``baton`` logger, once per process."""
    global _configured
    if _configured:
        return
    with _setup_lock:
        if _configured:
            return
        from baton.settings import get_settings

        settings = get_settings()
        root = logging.getLogger("baton")
        root.setLevel(settings.logging_level.upper())
        root.propagate = False
        root.addHandler(RunLogHandler())
        if settings.logging_to_console:
            console = logging.StreamHandler(sys.stderr)
            console.setFormatter(ConsoleFormatter())
            root.addHandler(console)
        _configured = True


def _print_to_log(*args: Any, **kwargs: Any) -> None:
    """``print`` that becomes a run log line inside runs with ``log_prints=True``."""
    task_ctx = task_run_context.get()
    ctx: Any = task_ctx if task_ctx is not None else flow_run_context.get()
    target = kwargs.get("file")
    if ctx is None or not ctx.log_prints or target not in (None, sys.stdout):
        _original_print(*args, **kwargs)
        return
    sep = kwargs.get("sep", " ")
    message = (sep if sep is not None else " ").join(str(arg) for arg in args)
    get_run_logger().info(message, extra={"printed": True})


def capture_prints() -> None:
    """Route ``print`` through run loggers where ``log_prints`` is on.

    Installed once; outside such runs the replacement is the original ``print``.
    """
    if builtins.print is not _print_to_log:
        builtins.print = _print_to_log
