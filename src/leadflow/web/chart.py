"""Charts drawn as SVG on the server: no chart library, no JavaScript, a text alternative
screen readers read, each value in a tooltip (and, on the reports page, in the table).

The drawing is 480 units wide, about a phone's width, so at 390 px the labels are still
near their drawn size and never overlap: a time series labels at most :data:`TICKS`
evenly spaced buckets, a bar chart puts each label on its own line above its bar. On a wide
screen the drawing scales up (``.chart`` is ``width: 100%``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 480
HEIGHT = 200
LEFT = 40
BOTTOM = 22
TOP = 24
"""Room above the highest bar for the value written over it."""
TICKS = 5
ROW = 40
CHAR = 7.5
"""About the width of a character of the 13-unit labels, to keep each label inside the
drawing and clear of the next."""


@dataclass(frozen=True)
class Point:
    """One bucket or group: its label, its value, and the value as people read it."""

    label: str
    value: float
    shown: str
    href: str | None = None
    tick: str | None = None
    """A short label for the axis (``Sat 09h``); the label's end when none is given."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    shown: str = ""
    """The value written above the bar, on charts with few enough bars to leave it room."""


@dataclass(frozen=True)
class Tick:
    """A labelled mark under a bar: ``x`` where the mark is, ``text_x`` and ``anchor`` where
    its label is, so that the first and last labels stay inside the drawing."""

    x: float
    label: str
    text_x: float
    anchor: str


def tick_label(point: Point) -> str:
    """The point's short label, else its label's end (``13:00`` of ``2026-12-05 13:00``)."""
    if point.tick:
        return point.tick
    return point.label[-5:] if len(point.label) > 10 else point.label


def ticks(points: Sequence[Point], step: float) -> list[Tick]:
    """At most :data:`TICKS` evenly spaced labels, each centred under its bar unless that
    would cross an edge of the drawing."""
    every = max(1, -(-len(points) // TICKS))
    placed = []
    for index in range(0, len(points), every):
        label = tick_label(points[index])
        x = LEFT + (index + 0.5) * step
        half = len(label) * CHAR / 2
        if x - half < LEFT - 30:
            placed.append(Tick(x, label, LEFT - 30, "start"))
        elif x + half > WIDTH - 2:
            placed.append(Tick(x, label, WIDTH - 2, "end"))
        else:
            placed.append(Tick(x, label, x, "middle"))
    return placed


@dataclass(frozen=True)
class SeriesChart:
    """Vertical bars over time, with a few labelled ticks along the bottom."""

    title: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    top: str
    top_y: float
    baseline: float
    description: str


@dataclass(frozen=True)
class BarRow:
    label: str
    shown: str
    y: float
    width: float
    href: str | None
    full_label: str = ""
    """The label before it was shortened to fit, for the tooltip."""


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per group, its label above it and its value beside it."""

    title: str
    width: int
    height: int
    rows: list[BarRow]
    description: str


# Up to this many bars, each carries its value, so the axis need not be read.
LABELLED_BARS = 31


def series_chart(
    points: Sequence[Point], title: str, unit: str, description: str | None = None
) -> SeriesChart:
    top = max((p.value for p in points), default=0)
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - BOTTOM - TOP
    step = plot_width / max(1, len(points))
    bars = []
    for index, point in enumerate(points):
        height = plot_height * point.value / top if top > 0 else 0
        bars.append(
            Bar(
                x=LEFT + index * step,
                y=HEIGHT - BOTTOM - height,
                width=max(0.8, step * 0.85),
                height=max(0.0, height),
                label=f"{point.label}: {point.shown} {unit}",
                shown=point.shown if len(points) <= LABELLED_BARS else "",
            )
        )
    busiest = max(points, key=lambda p: p.value, default=None)
    total = sum(p.value for p in points)
    summary = f"{title}: {len(points)} buckets"
    if busiest is not None and top > 0:
        summary += f", the highest {busiest.shown} {unit} at {busiest.label}"
    shown_top = next((p.shown for p in points if p.value == top), "0")
    return SeriesChart(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=ticks(points, step),
        top=shown_top if top > 0 else "0",
        top_y=TOP,
        baseline=HEIGHT - BOTTOM,
        description=description or f"{summary}; {total:g} {unit} in all.",
    )


BAR_CHAR = 8.6
"""About the width of a character of the 15-unit labels above the bars (14-unit values
beside them are a little narrower)."""


def fitted(label: str, room: float, char: float) -> str:
    """``label``, shortened with an ellipsis to about ``room`` units of ``char``-wide text."""
    most = max(1, int(room / char))
    return label if len(label) <= most else label[: most - 1] + "…"


def bar_chart(points: Sequence[Point], title: str, unit: str) -> BarChart:
    top = max((p.value for p in points), default=0)
    # The longest value must fit beside the longest bar.
    widest = max((len(p.shown) for p in points), default=0) * (BAR_CHAR - 0.6)
    room = max(WIDTH / 2, WIDTH - 4 - 8 - widest - 4)
    rows = []
    for index, point in enumerate(points):
        width = room * point.value / top if top > 0 else 0
        label = fitted(point.label, WIDTH - 8, BAR_CHAR)
        rows.append(
            BarRow(label, point.shown, index * ROW, max(0.0, width), point.href, point.label)
        )
    listed = "; ".join(f"{p.label}: {p.shown} {unit}" for p in points[:10])
    return BarChart(
        title=title,
        width=WIDTH,
        height=max(ROW, len(points) * ROW),
        rows=rows,
        description=f"{title}. {listed}",
    )
