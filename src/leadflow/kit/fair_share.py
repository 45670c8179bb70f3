"""Each company's share of the worker's slots for work that waits on a company's own URLs.

A worker has a fixed number of slots for deliveries to buyers (and auctions) and for webhook
sends, and every company's work waits for them. The URLs are the companies' own choice, and
one may take its whole timeout on every try: without a share, one company's burst of work to a
slow URL would fill every slot, and every other company's would wait until that URL had
answered it all. With it, a company holds at most ``LEADFLOW_DELIVERY_SLOTS_PER_COMPANY``
slots, and the rest stay free for the others. Pure functions over counts: the jobs keep the
counts, their claims obey them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

Row = TypeVar("Row", bound=Mapping[str, Any])


def full(in_flight: Mapping[int, int], share: int) -> frozenset[int]:
    """The companies holding their whole share: the claim does not read their rows."""
    return frozenset(company for company, count in in_flight.items() if count >= share)


def within_share(rows: Sequence[Row], in_flight: Mapping[int, int], share: int) -> list[Row]:
    """``rows`` in their order (oldest due first), each company's taken while it has room:
    what it holds already and what this claim gives it stay within ``share``."""
    taken: Counter[int] = Counter()
    kept: list[Row] = []
    for row in rows:
        company = int(row["company_id"])
        if in_flight.get(company, 0) + taken[company] < share:
            taken[company] += 1
            kept.append(row)
    return kept
