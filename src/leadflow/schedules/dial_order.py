"""Which due lead a schedule dials first: a sort key, so the worker can order any batch.

Real-time priority leads (``lead_priority`` at or under the schedule's threshold) go first
*most of the time*: the worker draws ``favour_real_time`` per batch (see
:func:`favours_real_time`), so a steady stream of hot leads cannot starve the rest. Among
the favoured, a lower ``lead_priority`` goes first; then the schedule's order applies: oldest
first (FIFO), newest first (LIFO), or a shuffle that is stable for a given ``seed``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from leadflow.schedules.config import DialOrder

REAL_TIME_SHARE = 0.8
"""The share of batches in which real-time priority leads jump the queue."""


def favours_real_time(roll: float) -> bool:
    """``roll`` is a uniform draw in [0, 1); kept outside so the choice can be tested."""
    return roll < REAL_TIME_SHARE


def is_real_time(lead_priority: int | None, real_time_priority: int | None) -> bool:
    return (
        real_time_priority is not None
        and lead_priority is not None
        and lead_priority <= real_time_priority
    )


def _shuffle_rank(lead_id: int, seed: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{lead_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def dial_order_key(
    *,
    lead_id: int,
    created_at: datetime,
    lead_priority: int | None,
    order: DialOrder,
    real_time_priority: int | None = None,
    favour_real_time: bool = True,
    seed: int = 0,
) -> tuple[int, int, float, int]:
    """Sort ascending by this key to get the order a schedule's due leads are dialed in."""
    if favour_real_time and is_real_time(lead_priority, real_time_priority):
        bucket, rank = 0, lead_priority if lead_priority is not None else 0
    else:
        bucket, rank = 1, 0
    stamp = created_at.timestamp()
    if order == "fifo":
        position = stamp
    elif order == "lifo":
        position = -stamp
    else:
        position = float(_shuffle_rank(lead_id, seed))
    return bucket, rank, position, lead_id
