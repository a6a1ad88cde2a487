"""Settings, read from ``BATON_*`` environment variables (see docs/settings.md)."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a user can configure; each field is ``BATON_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    home: Path = Field(
        default=Path("~/.baton"), description="Where Baton keeps its database and results."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: SQLite at $BATON_HOME/baton.db.",
    )
    database_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for a locked database before failing."
    )
    api_url: str | None = Field(
        default=None, description="URL of a Baton server; unset means the embedded API."
    )
    results_storage: str | None = Field(
        default=None,
        description="Where results are persisted: a path or fsspec URL; "
        "default: $BATON_HOME/storage.",
    )
    results_serializer: str = Field(default="pickle", description="'pickle' or 'json'.")
    results_persist_by_default: bool = Field(
        default=False,
        description="Persist every result, not only those that caching or the user asks for.",
    )
    logging_level: str = Field(default="INFO", description="Level of run loggers.")
    logging_to_console: bool = Field(default=True, description="Echo run logs to stderr.")
    task_runner_max_workers: int = Field(
        default=16, ge=1, description="Threads of the default thread-pool task runner."
    )
    write_batch_seconds: float = Field(
        default=0.02,
        ge=0,
        description="How long background writes may gather before they are committed.",
    )
    scheduler_max_runs: int = Field(
        default=100, ge=1, description="Runs the scheduler makes ahead, per schedule."
    )
    scheduler_horizon_seconds: float = Field(
        default=100 * 86400, gt=0, description="How far ahead the scheduler makes runs."
    )
    late_runs_after_seconds: float = Field(
        default=15,
        ge=0,
        description="A scheduled run not started this long after its time is Late.",
    )
    heartbeat_timeout_seconds: float = Field(
        default=90,
        gt=0,
        description="A worker-run flow run with no heartbeat for this long is marked Crashed.",
    )
    services_interval_seconds: float = Field(
        default=5, gt=0, description="How often the server's background services run."
    )

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home / 'baton.db'}"

    @property
    def resolved_results_storage(self) -> str:
        return self.results_storage or str(self.resolved_home / "storage")


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment.

    An invalid value is a ``ConfigurationError`` naming the variable, not a
    validation traceback.
    """
    from pydantic import ValidationError

    from baton.exceptions import ConfigurationError

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"BATON_{'_'.join(str(p) for p in issue['loc']).upper()} "
            f"({'_'.join(str(p) for p in issue['loc'])}): {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigurationError(f"invalid setting: {problems}") from None


def reload_settings() -> Settings:
    """Read the environment again (after a test or the CLI changed it)."""
    get_settings.cache_clear()
    return get_settings()
