"""The shared locks and budgets, on both engines, including under concurrent takers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.db.engine import create_engine
from leadflow.db.statements import ConnectionSql, Sql
from leadflow.db.time_locks import forget_locks, forget_slots, take_time_lock, use_rate_slot
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


async def test_forgetting_touches_only_the_named_scope_and_what_is_already_free(
    settings: Settings,
) -> None:
    engine = create_engine(settings.database_url)
    try:
        later = NOW + timedelta(minutes=5)
        for scope, key, at in (
            ("dial:1", "old", NOW),
            ("dial:1", "new", later),
            ("dedupe:1", "x", NOW),
        ):
            await _in_transaction(
                engine, lambda sql, s=scope, k=key, t=at: take_time_lock(sql, s, k, t, WINDOW)
            )
        for scope, slot in (("cps:1", 10), ("cps:1", 20), ("cap:1", 10)):
            await _in_transaction(engine, lambda sql, s=scope, n=slot: use_rate_slot(sql, s, n, 5))

        assert await _in_transaction(engine, lambda sql: forget_locks(sql, "dial:", later)) == 1
        assert await _in_transaction(engine, lambda sql: forget_slots(sql, "cps:", 20)) == 1
        still_held = await _in_transaction(
            engine, lambda sql: take_time_lock(sql, "dedupe:1", "x", NOW, WINDOW)
        )
        assert not still_held, "another scope's lock was forgotten"
        assert not await _in_transaction(
            engine, lambda sql: take_time_lock(sql, "dial:1", "new", later, WINDOW)
        )
        assert await _in_transaction(
            engine, lambda sql: take_time_lock(sql, "dial:1", "old", NOW, WINDOW)
        ), "the forgotten lock is free again"
    finally:
        await engine.dispose()
