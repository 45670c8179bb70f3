"""Each company's share of a worker's delivery slots.

The slots (``job.CONCURRENT_SENDS``) belong to the worker and every company's submissions wait
for them. A buyer is the company's own choice, and it may take its endpoint's whole timeout on
every try: without a share, one company's burst of submissions to a slow buyer would fill every
slot, and every other company's leads would wait until that buyer had answered them all. With
it, a company holds at most ``LEADFLOW_DELIVERY_SLOTS_PER_COMPANY`` slots, and the rest stay
free for the others. Pure functions over counts: the job keeps the counts, the claim obeys them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from leadflow.db.statements import Row


def full(in_flight: Mapping[int, int], share: int) -> frozenset[int]:
    """The companies holding their whole share: the claim does not read their rows."""
    return frozenset(company for company, count in in_flight.items() if count >= share)


def within_share(rows: Sequence[Row], in_flight: Mapping[int, int], share: int) -> list[Row]:
    """``rows`` in their order (oldest due first), each company's taken while it has room:
    what it holds already and what this claim gives it stay within ``share``."""
    taken: Counter[int] = Counter()
    kept = []
    for row in rows:
        company = int(row["company_id"])
        if in_flight.get(company, 0) + taken[company] < share:
            taken[company] += 1
            kept.append(row)
    return kept
