"""Every error Baton raises on purpose, under one root.

    BatonError
    ├── ConfigurationError          settings that cannot work (bad database URL, ...)
    ├── StorageError                the database cannot be reached or is unusable
    ├── ServerError                 the Baton server is unreachable or refused a request
    ├── ObjectNotFound              an id that names nothing
    ├── ParameterValidationError    flow parameters that do not fit the signature
    ├── InvalidSchedule             a schedule that cannot work (``baton.core.schedules``)
    ├── OrchestrationError          the orchestrator refused or aborted a run
    │   └── RunAborted              told to stop (e.g. the run was already running)
    ├── TaskRunTimeout / FlowRunTimeout   the run exceeded ``timeout_seconds``
    ├── UnfinishedRun               asked for a result of a run that has not finished
    ├── CrashedRun                  the run ended because of an interrupt or infrastructure
    ├── CancelledRun                the run was cancelled
    └── FailedRun                   a run failed without an exception to re-raise

Control-flow signals (pause, abort) are not errors and do not live here.
Result storage errors (``baton.results``) are re-parented under ``BatonError`` too.
"""

from __future__ import annotations


class BatonError(Exception):
    """Base class of every error Baton raises on purpose."""


class ConfigurationError(BatonError):
    """A setting has a value Baton cannot work with."""


class StorageError(BatonError):
    """The database is unreachable, corrupt or otherwise unusable."""


class ServerError(BatonError):
    """The Baton server could not be reached, or answered with an error."""


class ObjectNotFound(BatonError):
    """No object has the requested id."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident

    @classmethod
    def from_message(cls, message: str) -> ObjectNotFound:
        """The error a server reported as ``"<kind> <id> not found"``."""
        kind, _, ident = message.removesuffix(" not found").rpartition(" ")
        return cls(kind or "object", ident)


class ParameterValidationError(BatonError, ValueError):
    """Flow parameters do not validate against the flow's signature."""


class OrchestrationError(BatonError):
    """The orchestrator did not let the run proceed."""


class RunAborted(OrchestrationError):
    """The orchestrator aborted a transition; the run must stop."""


class TaskRunTimeout(BatonError, TimeoutError):
    """A task run exceeded its ``timeout_seconds``."""


class FlowRunTimeout(BatonError, TimeoutError):
    """A flow run exceeded its ``timeout_seconds``."""


class UnfinishedRun(BatonError):
    """A result was requested from a run that is not in a final state."""


class CrashedRun(BatonError):
    """The run crashed (interrupt, infrastructure) rather than failing in user code."""


class CancelledRun(BatonError):
    """The run was cancelled."""


class FailedRun(BatonError):
    """The run failed and no original exception is available to re-raise."""
