"""How a range of hours is read from ``report_source_blocks``: a few aligned blocks, added or
taken away, and the hours at the ends that the counters answer (migration 0021,
docs/reports.md). Pure: the repository turns the answer into queries."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from leadflow.models.report_counter import SPAN_HOURS

LEVELS = (1, *SPAN_HOURS)
"""The hour (read from the counters) and each block length, shortest first: each a multiple of
the one before it."""


class Part(NamedTuple):
    """Hours ``[first, first + span)`` counted with ``sign``: ``span`` 1 is an hour of the
    counters, any other a block of ``report_source_blocks``."""

    sign: int
    span: int
    first: int


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hour_instant(hour: int) -> datetime:
    """The start of an hour counted since the Unix epoch."""
    return EPOCH + timedelta(hours=hour)


def hour_number(moment: datetime) -> int:
    """The first whole hour (since the Unix epoch) at or after ``moment``: the inverse of
    :func:`hour_instant` at the start of an hour."""
    return math.ceil((moment - EPOCH) / timedelta(hours=1))


def blocks(first: int, last: int) -> list[Part]:
    """The hours ``[first, last)`` (hours since the Unix epoch) as few aligned parts, each
    added or taken away: a range is read as a longer block less what it overshoots when that
    reads fewer rows than the shorter blocks that would fill it. A month starting at 05:00
    UTC (midnight in New York) is then nine parts, two of them hours, against eighteen with
    blocks only added (at most three of each length at each end, and three hours).

    Each end moves, one length at a time, to a multiple of the next length, down or up; the
    parts it steps over are taken away or added; once both ends meet, or at the longest
    length, what lies between is filled. Every such way is tried (two moves an end at each
    length) and the one with the fewest parts kept: the fewest of any way that moves each end
    only to a neighbouring multiple, which is not proven the fewest of all."""
    if first >= last:
        return []
    ways: dict[tuple[int, int], list[Part]] = {(first, last): []}
    best: list[Part] | None = None
    for level, span in enumerate(LEVELS):
        longer = LEVELS[level + 1] if level + 1 < len(LEVELS) else None
        moved: dict[tuple[int, int], list[Part]] = {}
        for (left, right), parts in ways.items():
            filled = [*parts, *_between(left, right, span)]
            if best is None or len(filled) < len(best):
                best = filled
            if longer is None or left == right:
                continue
            for new_left in {left // longer * longer, -(-left // longer) * longer}:
                for new_right in {right // longer * longer, -(-right // longer) * longer}:
                    # What the left end steps over is added when it moves right (those hours
                    # were in the range) and taken away when it moves left; the right end's
                    # the other way round.
                    step = [
                        *_between(left, new_left, span),
                        *_between(new_right, right, span),
                    ]
                    key = (new_left, new_right)
                    if key not in moved or len(parts) + len(step) < len(moved[key]):
                        moved[key] = [*parts, *step]
        ways = moved
    assert best is not None
    return best


def _between(start: int, end: int, span: int) -> list[Part]:
    """``[start, end)`` as blocks of ``span``, added; taken away when ``end`` is before
    ``start`` (both are multiples of ``span``)."""
    if start <= end:
        return [Part(1, span, at) for at in range(start, end, span)]
    return [Part(-1, span, at) for at in range(end, start, span)]
