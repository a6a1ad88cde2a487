"""Whether and where a run's return value is persisted.

By default results stay in memory (the caller gets them from the state it
holds); they are persisted when the user asks (``persist_result=True``), when
caching needs them, or when ``BATON_RESULTS_PERSIST_BY_DEFAULT`` is on.
A result that cannot be persisted does not fail a run whose code succeeded:
the completed state says so in its message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baton.core.states import State
    from baton.results.serializers import Serializer
    from baton.results.storage import ResultStorage


@dataclass(frozen=True)
class ResultOptions:
    """A flow's or task's result settings as given by the user (``None``: the default)."""

    persist_result: bool | None = None
    storage: str | ResultStorage | None = None
    serializer: str | Serializer | None = None

    def should_persist(self, needed: bool) -> bool:
        if self.persist_result is not None:
            return self.persist_result
        if needed:
            return True
        from baton.settings import get_settings

        return get_settings().results_persist_by_default

    def inherit(self, parent: ResultOptions | None) -> ResultOptions:
        """Unset options taken from the enclosing flow's."""
        if parent is None:
            return self
        return ResultOptions(
            self.persist_result if self.persist_result is not None else parent.persist_result,
            self.storage if self.storage is not None else parent.storage,
            self.serializer if self.serializer is not None else parent.serializer,
        )


def persist_state_result(
    state: State,
    options: ResultOptions,
    logger: logging.LoggerAdapter[logging.Logger],
    key: str | None = None,
) -> None:
    """Persist the in-memory value of a completed ``state``, recording the reference on it."""
    from baton.results.persistence import persist
    from baton.results.serializers import SerializationError
    from baton.results.storage import ResultStorageError
    from baton.settings import get_settings

    settings = get_settings()
    storage = options.storage if options.storage is not None else settings.resolved_results_storage
    serializer = (
        options.serializer if options.serializer is not None else (settings.results_serializer)
    )
    value: Any = state._value if state.has_value() else None
    try:
        state.result_ref = persist(value, storage, serializer, key=key)
    except (SerializationError, ResultStorageError, ValueError) as error:
        note = f"the result was not persisted: {error}"
        state.message = f"{state.message}; {note}" if state.message else note
        logger.warning("%s", note[0].upper() + note[1:])
