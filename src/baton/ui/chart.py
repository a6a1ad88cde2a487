"""The dashboard's stacked bar chart, as geometry for an inline SVG."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from baton.ui.queries import Bucket
from baton.ui.states import STATE_ORDER, look

WIDTH = 760
HEIGHT = 220
LEFT = 44
BOTTOM = 24
TOP = 8


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    segments: list[Segment]
    x_labels: list[Label]
    y_labels: list[Label]
    gridlines: list[float]
    total: int


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at least ``value``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _bucket_label(bucket: Bucket, span: dt.timedelta) -> str:
    start = bucket.start.astimezone(dt.timezone.utc)
    return start.strftime("%a %H:%M") if span > dt.timedelta(days=1) else start.strftime("%H:%M")


def stacked_bars(buckets: list[Bucket]) -> Chart:
    """One bar per bucket, states stacked in the usual order, scaled to the tallest bar."""
    top = _nice_ceiling(max([b.total for b in buckets] + [1]))
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(buckets), 1)
    bar = max(slot * 0.8, 1.0)
    span = buckets[-1].end - buckets[0].start if buckets else dt.timedelta(0)
    segments = []
    x_labels = []
    every = max(len(buckets) // 6, 1)
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot + (slot - bar) / 2
        base = float(TOP + plot_height)
        when = f"{_bucket_label(bucket, span)} to {bucket.end.astimezone(dt.timezone.utc):%H:%M}"
        for state_type in STATE_ORDER:
            number = bucket.counts.get(state_type.value, 0)
            if not number:
                continue
            height = number / top * plot_height
            base -= height
            state = look(state_type)
            title = f"{number:,} {state.label} ({when} UTC)"
            segments.append(Segment(x, base, bar, height, state.css, title))
        if index % every == 0:
            x_labels.append(Label(x + bar / 2, HEIGHT - 6, _bucket_label(bucket, span)))
    steps = 4
    gridlines = [TOP + plot_height - plot_height * i / steps for i in range(steps + 1)]
    y_labels = [Label(LEFT - 6, y + 4, f"{top * i // steps:,}") for i, y in enumerate(gridlines)]
    return Chart(
        WIDTH,
        HEIGHT,
        segments,
        x_labels,
        y_labels,
        gridlines,
        sum(b.total for b in buckets),
    )
