"""Registering flows as deployments: ``deploy_flow``, and the ``baton.yaml`` that lists them.

A project's ``baton.yaml`` says which flows to deploy, where their code lives and
how they run. It is checked as a whole before anything is registered, so a typo
in the last deployment never leaves the first ones half-updated; each problem is
reported with the deployment's name and the path of the field at fault.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from baton.core.deployments import GitSource
from baton.exceptions import BatonError, ObjectNotFound, ParameterValidationError

if TYPE_CHECKING:
    from baton.client.base import BatonClient
    from baton.flows import Flow

CONFIG_FILE = "baton.yaml"

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_ENTRYPOINT = re.compile(r"[^:]+:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


class DeployConfigError(BatonError):
    """A ``baton.yaml`` (or the flow it points at) that cannot be deployed as written."""


def parse_duration(text: str) -> dt.timedelta:
    """``90s``, ``10m``, ``1h30m``, ``2d``: days, hours, minutes, seconds, largest first."""
    value = text.strip().lower()
    match = _DURATION.fullmatch(value)
    if not value or match is None:
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 10m, 1h30m or 2d")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleConfig(_Strict):
    """One schedule: exactly one of ``cron``, ``interval`` (seconds or ``1h30m``) and ``rrule``."""

    cron: str | None = None
    interval: float | None = Field(default=None, gt=0)
    rrule: str | None = None
    timezone: str | None = None
    anchor_date: dt.datetime | None = None
    active: bool = True

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_duration(value).total_seconds()
        if isinstance(value, dt.timedelta):
            return value.total_seconds()
        return value

    @model_validator(mode="after")
    def _valid(self) -> ScheduleConfig:
        kinds = [kind for kind in ("cron", "interval", "rrule") if getattr(self, kind) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise ValueError(f"give exactly one of cron, interval and rrule (found {found})")
        if self.anchor_date is not None and self.interval is None:
            raise ValueError("anchor_date only applies to an interval schedule")
        from baton.core.schedules import parse_schedule

        parse_schedule(self.schedule())  # InvalidSchedule is a ValueError: reported here
        return self

    def schedule(self) -> dict[str, Any]:
        """The schedule as the API stores it (Prefect 2's cron/interval/RRULE shapes)."""
        return self.model_dump(mode="json", exclude={"active"}, exclude_none=True)


class WorkPoolConfig(_Strict):
    name: str = Field(min_length=1)
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)


class DeploymentConfig(_Strict):
    """One entry of ``deployments:``."""

    name: str = Field(min_length=1)
    entrypoint: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    schedules: list[ScheduleConfig] = Field(default_factory=list)
    work_pool: WorkPoolConfig
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    version: str | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)
    crash_retries: int = Field(default=0, ge=0)
    paused: bool = False

    @field_validator("name")
    @classmethod
    def _no_slash(cls, value: str) -> str:
        if "/" in value:
            raise ValueError("a deployment name cannot contain '/'")
        return value

    @field_validator("entrypoint")
    @classmethod
    def _entrypoint(cls, value: str) -> str:
        if not _ENTRYPOINT.fullmatch(value):
            raise ValueError(f"{value!r} is not 'path/to/file.py:flow_function'")
        return value


class SourceConfig(_Strict):
    """Where workers get the code: a git repository, or a directory on their machine."""

    git: GitSource | None = None
    path: str | None = None

    @model_validator(mode="after")
    def _one(self) -> SourceConfig:
        if (self.git is None) == (self.path is None):
            raise ValueError("give exactly one of git and path")
        return self


class ProjectConfig(_Strict):
    """A whole ``baton.yaml``."""

    source: SourceConfig | None = None
    deployments: list[DeploymentConfig] = Field(min_length=1)

    @field_validator("deployments")
    @classmethod
    def _unique(cls, value: list[DeploymentConfig]) -> list[DeploymentConfig]:
        seen: set[str] = set()
        for deployment in value:
            if deployment.name in seen:
                raise ValueError(f"two deployments are called {deployment.name!r}")
            seen.add(deployment.name)
        return value


def load_project_config(file: Path) -> ProjectConfig:
    """The checked contents of a ``baton.yaml``; ``DeployConfigError`` says what is wrong."""
    import yaml

    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployConfigError(f"{file} does not exist") from None
    except OSError as error:
        raise DeployConfigError(f"cannot read {file}: {error.strerror}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DeployConfigError(f"{file.name}: invalid YAML{line}: {problem}") from None
    if not isinstance(raw, dict):
        raise DeployConfigError(f"{file.name}: expected a mapping with a 'deployments' list")
    try:
        return ProjectConfig.model_validate(raw)
    except ValidationError as error:
        problems = [_describe(issue, raw) for issue in error.errors()]
        raise DeployConfigError(f"{file.name}: {'; '.join(problems)}") from None


def _describe(issue: Mapping[str, Any], raw: dict[str, Any]) -> str:
    """``deployment 'etl': schedules[0].cron: ...`` for one pydantic error."""
    location = list(issue["loc"])
    prefix = ""
    if len(location) >= 2 and location[0] == "deployments" and isinstance(location[1], int):
        entries = raw.get("deployments")
        entry = entries[location[1]] if isinstance(entries, list) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        prefix = f"deployment {name!r}: " if name else f"deployments[{location[1]}]: "
        location = location[2:]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    message = str(issue["msg"]).removeprefix("Value error, ")
    return f"{prefix}{path.lstrip('.') or 'top level'}: {message}"


def deploy_flow(
    flow: Flow[..., Any],
    name: str,
    work_pool_name: str,
    *,
    work_queue_name: str | None = None,
    cron: str | None = None,
    interval: float | dt.timedelta | str | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
    schedules: Iterable[ScheduleConfig] = (),
    parameters: dict[str, Any] | None = None,
    tags: Sequence[str] = (),
    description: str | None = None,
    version: str | None = None,
    job_variables: dict[str, Any] | None = None,
    source: GitSource | str | Path | None = None,
    entrypoint: str | None = None,
    paused: bool = False,
    concurrency_limit: int | None = None,
    crash_retries: int = 0,
) -> uuid.UUID:
    """Register ``flow`` as the deployment ``name`` (replacing one of that name); its id.

    ``source`` is where workers find the code: a ``GitSource``, or a directory
    (default: the current one). ``entrypoint`` (``path/file.py:function``,
    relative to that directory) defaults to where ``flow`` was defined.
    Parameters are checked against the flow's signature before anything is sent.
    """
    from baton.client import get_client
    from baton.core.actions import DeploymentCreate, DeploymentScheduleCreate

    chosen = list(schedules)
    if cron is not None or interval is not None or rrule is not None:
        chosen.insert(0, _schedule(cron=cron, interval=interval, rrule=rrule, timezone=timezone))
    elif timezone is not None:
        raise ValueError("timezone needs a cron, interval or rrule schedule")
    code_dir = None if isinstance(source, GitSource) else Path(source or Path.cwd()).resolve()
    if entrypoint is None:
        from baton.runner.entrypoint import entrypoint_of

        entrypoint = entrypoint_of(flow, code_dir or Path.cwd().resolve())
    defaults = _checked_parameters(flow, parameters or {})
    client = get_client()
    client.read_work_pool(work_pool_name)  # an unknown pool is an error, never created silently
    flow_id = client.read_or_create_flow(flow.name).id
    data = DeploymentCreate(
        flow_id=flow_id,
        name=name,
        description=description if description is not None else flow.description,
        version=version if version is not None else flow.version,
        tags=list(tags),
        entrypoint=entrypoint,
        path=str(code_dir) if code_dir is not None else None,
        source=source if isinstance(source, GitSource) else None,
        parameters=defaults,
        parameter_openapi_schema=_parameter_schema(flow),
        paused=paused,
        schedules=[
            DeploymentScheduleCreate(schedule=item.schedule(), active=item.active)
            for item in chosen
        ],
        work_pool_name=work_pool_name,
        work_queue_name=work_queue_name,
        job_variables=job_variables or {},
        concurrency_limit=concurrency_limit,
        crash_retries=crash_retries,
    )
    return client.create_deployment(data).id


def deploy_project(
    config: ProjectConfig, project_dir: Path, names: Sequence[str] = ()
) -> list[tuple[str, uuid.UUID]]:
    """Deploy the chosen deployments of a ``baton.yaml`` (all when ``names`` is empty).

    Every flow is imported and checked first; only then is anything registered.
    Returns ``("flow-name/deployment-name", id)`` for each, in file order.
    """
    from baton.client import get_client

    chosen = [d for d in config.deployments if not names or d.name in names]
    source = config.source
    git = source.git if source is not None else None
    local = project_dir / source.path if source is not None and source.path else project_dir
    code_dir = local.resolve()
    if not code_dir.is_dir():
        raise DeployConfigError(f"source.path: {code_dir} is not a directory")
    flows = [_checked_flow(deployment, code_dir) for deployment in chosen]
    _check_work_queues(get_client(), chosen)
    deployed = []
    for deployment, flow in zip(chosen, flows, strict=True):
        deployment_id = deploy_flow(
            flow,
            deployment.name,
            deployment.work_pool.name,
            work_queue_name=deployment.work_pool.work_queue_name,
            schedules=deployment.schedules,
            parameters=deployment.parameters,
            tags=deployment.tags,
            description=deployment.description,
            version=deployment.version,
            job_variables=deployment.work_pool.job_variables,
            source=git or code_dir,
            entrypoint=deployment.entrypoint,
            paused=deployment.paused,
            concurrency_limit=deployment.concurrency_limit,
            crash_retries=deployment.crash_retries,
        )
        deployed.append((f"{flow.name}/{deployment.name}", deployment_id))
    return deployed


def _check_work_queues(client: BatonClient, deployments: Sequence[DeploymentConfig]) -> None:
    """Every pool and queue the deployments name exists (none is created on the fly)."""
    from baton.core.deployments import DEFAULT_QUEUE

    wanted: dict[str, set[str]] = {}
    for deployment in deployments:
        pool = deployment.work_pool
        wanted.setdefault(pool.name, set()).add(pool.work_queue_name or DEFAULT_QUEUE)
    for pool_name, queue_names in sorted(wanted.items()):
        try:
            queues = {queue.name for queue in client.read_work_queues(pool_name)}
        except ObjectNotFound as error:
            hint = f"create it with: baton work-pool create {pool_name}"
            raise DeployConfigError(f"{error}; {hint}") from None
        for missing in sorted(queue_names - queues):
            raise DeployConfigError(
                f"work pool {pool_name!r} has no queue {missing!r}; create it with: "
                f"baton work-queue create {missing} --pool {pool_name}"
            )


def _checked_flow(deployment: DeploymentConfig, code_dir: Path) -> Flow[..., Any]:
    """The deployment's flow, imported from its entrypoint, with its parameters checked."""
    try:
        flow = _load_flow(deployment.entrypoint, code_dir)
    except BatonError as error:
        raise DeployConfigError(f"deployment {deployment.name!r}: {error}") from None
    try:
        _checked_parameters(flow, deployment.parameters)
    except ParameterValidationError as error:
        raise DeployConfigError(f"deployment {deployment.name!r}: parameters: {error}") from None
    return flow


def _schedule(**options: Any) -> ScheduleConfig:
    """A ``ScheduleConfig`` from keyword options; a bad one raises ``ValueError`` saying why."""
    try:
        return ScheduleConfig.model_validate(
            {key: value for key, value in options.items() if value is not None}
        )
    except ValidationError as error:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise ValueError(f"bad schedule: {reasons}") from None


def _checked_parameters(flow: Flow[..., Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Default parameters as given, after checking their names and types against the flow."""
    accepted = flow.signature.parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = sorted(set(parameters) - set(accepted))
    if unknown and not takes_any:
        raise ParameterValidationError(
            f"flow {flow.name!r} has no parameter(s) {', '.join(map(repr, unknown))}"
        )
    flow.validate_parameters(parameters)
    return parameters


def _load_flow(entrypoint: str, code_dir: Path) -> Flow[..., Any]:
    from baton.runner.entrypoint import load_flow

    return load_flow(entrypoint, code_dir)


def _parameter_schema(flow: Flow[..., Any]) -> dict[str, Any]:
    from baton.engine.parameters import parameter_schema

    return parameter_schema(flow.fn)
