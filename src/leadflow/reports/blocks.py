"""How a range of hours is read from ``report_source_blocks``: the fewest aligned blocks, and
the hours at the ends that no block covers (migration 0021, docs/reports.md). Pure: the
repository turns the answer into queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.models.report_counter import SPAN_HOURS


def hour_instant(hour: int) -> datetime:
    """The start of an hour counted since the Unix epoch."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(hours=hour)


def blocks(first: int, last: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The hours ``[first, last)`` (hours since the Unix epoch) as the fewest aligned blocks of
    ``report_source_blocks``, largest first at each point: (the blocks as ``(span, first
    hour)``, the hours no block covers, which the counters answer). Since the shortest block is
    four hours, those are at most three at each end."""
    spans: list[tuple[int, int]] = []
    hours: list[int] = []
    at = first
    while at < last:
        span = next((s for s in reversed(SPAN_HOURS) if at % s == 0 and at + s <= last), None)
        if span is None:
            hours.append(at)
            at += 1
        else:
            spans.append((span, at))
            at += span
    return spans, hours
