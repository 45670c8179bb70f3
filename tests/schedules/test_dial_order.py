"""Due leads are dialed in the schedule's order, real-time priority leads first mostly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.schedules.config import DialOrder
from leadflow.schedules.dial_order import dial_order_key, favours_real_time

START = datetime(2026, 1, 5, tzinfo=UTC)
LEADS = [  # (id, created minutes after START, lead_priority)
    (1, 0, None),
    (2, 10, 5),
    (3, 20, 1),
    (4, 30, None),
]


def ordered(order: DialOrder, **options: Any) -> list[int]:
    return sorted(
        (lead_id for lead_id, _, _ in LEADS),
        key=lambda lead_id: dial_order_key(
            lead_id=lead_id,
            created_at=START + timedelta(minutes=LEADS[lead_id - 1][1]),
            lead_priority=LEADS[lead_id - 1][2],
            order=order,
            **options,
        ),
    )


def test_fifo_dials_oldest_first() -> None:
    assert ordered("fifo") == [1, 2, 3, 4]


def test_lifo_dials_newest_first() -> None:
    assert ordered("lifo") == [4, 3, 2, 1]


def test_random_is_a_stable_shuffle_per_seed() -> None:
    assert ordered("random", seed=7) == ordered("random", seed=7)
    assert sorted(ordered("random", seed=7)) == [1, 2, 3, 4]


def test_random_differs_between_seeds() -> None:
    assert len({tuple(ordered("random", seed=seed)) for seed in range(10)}) > 1


def test_real_time_priority_leads_go_first_lowest_priority_number_first() -> None:
    assert ordered("fifo", real_time_priority=5) == [3, 2, 1, 4]


def test_priority_over_threshold_is_not_real_time() -> None:
    assert ordered("fifo", real_time_priority=3) == [3, 1, 2, 4]


def test_unfavoured_batch_ignores_real_time_priority() -> None:
    assert ordered("fifo", real_time_priority=5, favour_real_time=False) == [1, 2, 3, 4]


def test_real_time_is_favoured_most_of_the_time() -> None:
    rolls = [i / 100 for i in range(100)]
    assert sum(favours_real_time(roll) for roll in rolls) == 80
