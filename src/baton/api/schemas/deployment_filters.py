"""Filter bodies of deployments, work pools, queues and workers (Prefect 2's shapes)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field

from baton.api.schemas.states import MAX_INT, WireModel
from baton.core.deployments import (
    Deployment,
    WorkPool,
)

MAX_PAGE = 200


class AnyOf(WireModel):
    any_: list[str] | None = None

    def allows(self, value: object) -> bool:
        return self.any_ is None or str(value) in self.any_


class NameFilter(AnyOf):
    like_: str | None = Field(default=None, description="A case-insensitive substring.")

    def allows(self, value: object) -> bool:
        like = self.like_
        return super().allows(value) and (like is None or like.lower() in str(value).lower())


class IdFilter(WireModel):
    any_: list[uuid.UUID] | None = None

    def allows(self, value: uuid.UUID) -> bool:
        return self.any_ is None or value in self.any_


class EqFilter(WireModel):
    eq_: bool | None = None

    def allows(self, value: bool) -> bool:
        return self.eq_ is None or value == self.eq_


class TagsFilter(WireModel):
    all_: list[str] | None = None
    is_null_: bool | None = None

    def allows(self, tags: list[str]) -> bool:
        if self.is_null_ is not None and (not tags) != self.is_null_:
            return False
        return self.all_ is None or set(self.all_) <= set(tags)


class _Criteria(WireModel):
    """Criteria that must all hold (Prefect's ``and_``; ``or_`` is not supported)."""

    operator: Literal["and_"] = "and_"

    def _checks(self, item: Any) -> list[bool]:
        raise NotImplementedError

    def matches(self, item: Any) -> bool:
        return all(self._checks(item))


class FlowCriteria(_Criteria):
    id: IdFilter | None = None
    name: AnyOf | None = None

    def _checks(self, item: Deployment) -> list[bool]:
        return [
            self.id is None or self.id.allows(item.flow_id),
            self.name is None or self.name.allows(item.flow_name),
        ]


class DeploymentCriteria(_Criteria):
    id: IdFilter | None = None
    name: NameFilter | None = None
    paused: EqFilter | None = None
    is_schedule_active: EqFilter | None = None
    tags: TagsFilter | None = None
    work_queue_name: AnyOf | None = None

    def _checks(self, item: Deployment) -> list[bool]:
        return [
            self.id is None or self.id.allows(item.id),
            self.name is None or self.name.allows(item.name),
            self.paused is None or self.paused.allows(item.paused),
            self.is_schedule_active is None or self.is_schedule_active.allows(not item.paused),
            self.tags is None or self.tags.allows(item.tags),
            self.work_queue_name is None or self.work_queue_name.allows(item.work_queue_name),
        ]


class WorkPoolCriteria(_Criteria):
    id: IdFilter | None = None
    name: AnyOf | None = None
    type: AnyOf | None = None

    def _checks(self, item: WorkPool) -> list[bool]:
        return [
            self.id is None or self.id.allows(item.id),
            self.name is None or self.name.allows(item.name),
            self.type is None or self.type.allows(item.type),
        ]


class DeploymentWorkPoolCriteria(_Criteria):
    """Deployments by their pool's name, the one pool field a deployment carries."""

    name: AnyOf | None = None

    def _checks(self, item: Deployment) -> list[bool]:
        return [self.name is None or self.name.allows(item.work_pool_name)]


class Page(WireModel):
    limit: int | None = Field(default=None, ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")
    offset: int = Field(default=0, ge=0, le=MAX_INT)

    def of(self, items: list[Any]) -> list[Any]:
        return items[self.offset : self.offset + (self.limit or MAX_PAGE)]


class DeploymentSort(str, enum.Enum):
    """Prefect's orders; by name means by the full name, ``flow-name/deployment-name``."""

    CREATED_DESC = "CREATED_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"

    def key(self) -> Callable[[Deployment], Any]:
        if self in (DeploymentSort.NAME_ASC, DeploymentSort.NAME_DESC):
            return lambda d: (d.flow_name or "", d.name, d.id)  # "flow/deployment"
        if self is DeploymentSort.CREATED_DESC:
            return lambda d: (d.created, d.id)
        return lambda d: (d.updated, d.id)

    @property
    def descending(self) -> bool:
        return self is not DeploymentSort.NAME_ASC


class DeploymentCountBody(WireModel):
    """Which deployments: all the criteria given must hold."""

    flows: FlowCriteria | None = None
    deployments: DeploymentCriteria | None = None
    work_pools: DeploymentWorkPoolCriteria | None = None
    flow_runs: None = Field(default=None, description="Not supported; null.")
    task_runs: None = Field(default=None, description="Not supported; null.")
    work_pool_queues: None = Field(default=None, description="Not supported; null.")

    @property
    def flow_id(self) -> uuid.UUID | None:
        """The one flow asked for by id, which the database can narrow to itself."""
        ids = self.flows.id.any_ if self.flows and self.flows.id else None
        return ids[0] if ids is not None and len(ids) == 1 else None

    def select(self, found: list[Deployment]) -> list[Deployment]:
        criteria = [c for c in (self.flows, self.deployments, self.work_pools) if c is not None]
        return [d for d in found if all(c.matches(d) for c in criteria)]


class DeploymentFilterBody(DeploymentCountBody, Page):
    sort: DeploymentSort = DeploymentSort.NAME_ASC

    def select(self, found: list[Deployment]) -> list[Deployment]:
        ordered = sorted(super().select(found), key=self.sort.key(), reverse=self.sort.descending)
        return self.of(ordered)


class WorkPoolFilterBody(Page):
    work_pools: WorkPoolCriteria | None = None

    def select(self, found: list[WorkPool]) -> list[WorkPool]:
        criteria = self.work_pools
        return self.of([p for p in found if criteria is None or criteria.matches(p)])


class WorkQueueFilterBody(Page):
    work_queues: None = Field(default=None, description="Not supported; null.")


class WorkerFilterBody(Page):
    workers: None = Field(default=None, description="Not supported; null.")
