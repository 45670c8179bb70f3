"""The dashboard's chart of leads per hour, drawn as SVG on the server: no chart library, no
JavaScript, and a text alternative that screen readers read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WIDTH = 840
HEIGHT = 220
LEFT = 36
BOTTOM = 24


def hourly_counts(times: Sequence[datetime], start: datetime, hours: int) -> list[int]:
    """How many of ``times`` fall in each hour from ``start`` (UTC, on the hour)."""
    counts = [0] * hours
    for moment in times:
        index = int((moment - start).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[index] += 1
    return counts


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class HourlyChart:
    width: int
    height: int
    bars: list[Bar]
    top: int
    total: int
    day_marks: list[tuple[float, str]]
    baseline: float

    @property
    def description(self) -> str:
        days = len(self.bars) // 24
        return f"{self.total} leads in the last {days} days; the busiest hour had {self.top}."


def hourly_chart(counts: Sequence[int], start: datetime, zone: ZoneInfo) -> HourlyChart:
    """Bars for ``counts`` (one per hour from ``start``), labelled in the company's zone."""
    top = max(counts, default=0)
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - BOTTOM - 8
    step = plot_width / max(1, len(counts))
    bars = []
    marks = []
    for index, count in enumerate(counts):
        local = (start + timedelta(hours=index)).astimezone(zone)
        height = plot_height * count / top if top else 0
        bars.append(
            Bar(
                x=LEFT + index * step,
                y=HEIGHT - BOTTOM - height,
                width=max(1.0, step - 1),
                height=height,
                label=f"{local:%a %H}:00: {count} lead{'s' if count != 1 else ''}",
            )
        )
        if local.hour == 0:
            marks.append((LEFT + index * step, f"{local:%a %d}"))
    return HourlyChart(WIDTH, HEIGHT, bars, top, sum(counts), marks, HEIGHT - BOTTOM)
