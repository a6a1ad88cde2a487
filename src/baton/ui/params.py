"""Query strings of the pages, parsed and checked: a bad value gets a sentence, not a 500."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from baton.core.states import StateType
from baton.ui.queries import SORTS, RunFilter
from baton.ui.states import LATE

PAGE_SIZE = 50
MAX_PAGE = 10_000


class BadRequest(ValueError):
    """A query-string value the page cannot use; the message is shown to the user."""


@dataclass(frozen=True)
class Window:
    """A dashboard period: ``buckets`` bars of ``size`` each, the last one holding now."""

    name: str
    label: str
    size: dt.timedelta
    buckets: int

    def end(self, now: dt.datetime) -> dt.datetime:
        """The end of the bucket holding ``now``: bars start on round times."""
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        return epoch + ((now - epoch) // self.size + 1) * self.size


WINDOWS = {
    "hour": Window("hour", "Last hour", dt.timedelta(minutes=5), 12),
    "day": Window("day", "Last 24 hours", dt.timedelta(hours=1), 24),
    "week": Window("week", "Last 7 days", dt.timedelta(hours=6), 28),
}


def parse_window(params: QueryParams) -> Window:
    name = params.get("window") or "day"
    if name not in WINDOWS:
        raise BadRequest(f"window must be one of {', '.join(WINDOWS)}, not {name!r}")
    return WINDOWS[name]


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadRequest(
            f"{what} must be an id such as {uuid.UUID(int=0)}, not {value!r}"
        ) from None


def parse_time(value: str, what: str) -> dt.datetime | None:
    """``2024-05-01`` or ``2024-05-01T14:00`` (UTC unless an offset is given)."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"{what} must be a date or time such as 2024-05-01 or 2024-05-01T14:00, not {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


@dataclass(frozen=True)
class RunsQuery:
    """The runs list's filters, sort and page, as in its URL."""

    spec: RunFilter
    sort: str
    page: int
    since_text: str
    until_text: str

    def url(self, **changes: object) -> str:
        """This view's URL with ``changes`` (``page=2``, ``sort="oldest"``) applied."""
        values: dict[str, object] = {
            "flow": [str(i) for i in self.spec.flow_ids],
            "deployment": [str(i) for i in self.spec.deployment_ids],
            "pool": self.spec.work_pool,
            "state": list(self.spec.states),
            "tag": list(self.spec.tags),
            "q": self.spec.text,
            "since": self.since_text,
            "until": self.until_text,
            "sort": self.sort if self.sort != "newest" else "",
            "page": self.page if self.page != 1 else "",
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = ""
        pairs = [
            (key, item)
            for key, value in values.items()
            for item in (value if isinstance(value, list) else [value])
            if item not in ("", None)
        ]
        query = urlencode(pairs)
        return f"/runs?{query}" if query else "/runs"


def parse_runs_query(params: QueryParams) -> RunsQuery:
    states = []
    for value in params.getlist("state"):
        upper = value.upper()
        if upper != LATE and upper not in StateType.__members__:
            choices = ", ".join([*StateType.__members__, LATE])
            raise BadRequest(f"state must be one of {choices}, not {value!r}")
        states.append(upper)
    sort = params.get("sort") or "newest"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    page_text = params.get("page") or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
        raise BadRequest(f"page must be a whole number from 1 to {MAX_PAGE:,}, not {page_text!r}")
    since_text = params.get("since", "")
    until_text = params.get("until", "")
    spec = RunFilter(
        flow_ids=tuple(parse_uuid(v, "flow") for v in params.getlist("flow") if v),
        deployment_ids=tuple(
            parse_uuid(v, "deployment") for v in params.getlist("deployment") if v
        ),
        work_pool=params.get("pool", "").strip(),
        states=tuple(dict.fromkeys(states)),
        tags=tuple(dict.fromkeys(_split_tags(params.getlist("tag")))),
        text=params.get("q", "").strip(),
        since=parse_time(since_text, "since"),
        until=parse_time(until_text, "until"),
    )
    return RunsQuery(spec, sort, int(page_text), since_text, until_text)


def _split_tags(values: list[str]) -> list[str]:
    """Tags from ``tag=a&tag=b`` or from one comma-separated field."""
    return [tag.strip() for value in values for tag in value.split(",") if tag.strip()]


LOG_LEVELS = {"": 0, "debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def parse_log_level(params: QueryParams) -> int:
    name = (params.get("level") or "").lower()
    if name not in LOG_LEVELS:
        choices = ", ".join(n for n in LOG_LEVELS if n)
        raise BadRequest(f"level must be one of {choices}, not {name!r}")
    return LOG_LEVELS[name]
