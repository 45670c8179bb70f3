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
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

Row = TypeVar("Row", bound=Mapping[str, Any])
Work = TypeVar("Work", bound=Hashable)


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


class Slots(Generic[Work]):
    """The work a job has on the network, each piece (a task) with its company: how many
    slots are taken, and each company's count, which its claims' share reads."""

    def __init__(self) -> None:
        self._company: dict[Work, int] = {}
        self.by_company: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self._company)

    def held(self) -> list[Work]:
        return list(self._company)

    def hold(self, work: Work, company: int) -> None:
        self._company[work] = company
        self.by_company[company] += 1

    def free(self, work: Work) -> bool:
        """Give ``work``'s slot back; False when it held none (freed already)."""
        company = self._company.pop(work, None)
        if company is None:
            return False
        self.by_company[company] -= 1
        if not self.by_company[company]:
            del self.by_company[company]
        return True
