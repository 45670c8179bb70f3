"""The shared locks and budgets, on both engines, including under concurrent takers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.db.engine import create_engine
from leadflow.db.statements import ConnectionSql, Sql
from leadflow.db.time_locks import prune, take_time_lock, use_rate_slot
from leadflow.settings import Settings

T = TypeVar("T")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=30)


async def _in_transaction(engine: AsyncEngine, work: Callable[[Sql], T]) -> T:
    async with engine.begin() as connection:
        return await connection.run_sync(lambda sync: work(ConnectionSql(sync)))


async def test_a_lock_is_refused_inside_its_window_and_free_exactly_at_its_end(
    settings: Settings,
) -> None:
    engine = create_engine(settings.database_url)
    try:

        async def take(at: datetime, key: str = "+15550100") -> bool:
            return await _in_transaction(
                engine, lambda sql: take_time_lock(sql, "dial:1", key, at, WINDOW)
            )

        assert await take(NOW)
        assert not await take(NOW + timedelta(seconds=29, microseconds=999_999))
        assert await take(NOW, key="+15550199"), "another key is not held by this one"
        assert await take(NOW + WINDOW)
        assert not await take(NOW + WINDOW + timedelta(seconds=1))
    finally:
        await engine.dispose()


async def test_concurrent_takers_of_one_key_have_exactly_one_winner(settings: Settings) -> None:
    engine = create_engine(settings.database_url, 20)
    try:
        results = await asyncio.gather(
            *(
                _in_transaction(engine, lambda sql: take_time_lock(sql, "dial:1", "k", NOW, WINDOW))
                for _ in range(20)
            )
        )
        assert sorted(results) == [False] * 19 + [True]
    finally:
        await engine.dispose()


async def test_a_rate_slot_allows_exactly_its_limit_then_the_next_slot_starts_over(
    settings: Settings,
) -> None:
    engine = create_engine(settings.database_url, 10)
    try:

        async def use(slot: int, limit: int = 3) -> bool:
            return await _in_transaction(
                engine, lambda sql: use_rate_slot(sql, "cps:1", slot, limit)
            )

        results = await asyncio.gather(*(use(100) for _ in range(8)))
        assert sorted(results) == [False] * 5 + [True] * 3
        assert await use(101)
        assert not await use(102, limit=0)
    finally:
        await engine.dispose()


async def test_prune_forgets_only_what_is_already_free(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await _in_transaction(engine, lambda sql: take_time_lock(sql, "s", "old", NOW, WINDOW))
        later = NOW + timedelta(minutes=5)
        await _in_transaction(engine, lambda sql: take_time_lock(sql, "s", "new", later, WINDOW))
        await _in_transaction(engine, lambda sql: use_rate_slot(sql, "cps:1", 10, 5))
        await _in_transaction(engine, lambda sql: use_rate_slot(sql, "cps:1", 20, 5))
        removed = await _in_transaction(
            engine, lambda sql: prune(sql, locks_before=later, slots_before=20)
        )
        assert removed == 2
        assert not await _in_transaction(
            engine, lambda sql: take_time_lock(sql, "s", "new", later, WINDOW)
        )
    finally:
        await engine.dispose()
