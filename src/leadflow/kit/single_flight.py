"""Reads in flight, by key: callers that miss a per-process cache together await one read;
and the expiring cache built on them, behind the lead token and key pair caches.

Without it, the moment a cache entry expires every request in flight with that key misses at
once, and each makes its own read; on a busy key (a publisher's lead token, a buyer's API key)
dozens of identical reads then queue behind each other on the database connection, and the
last request waits a tenth of a second or more. Go calls this ``singleflight``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._reads: dict[K, asyncio.Task[V]] = {}

    async def read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """``read()``'s result, shared with every caller that asks for ``key`` meanwhile. The
        read is a task of its own: a caller that goes away cancels only its own wait."""
        task = self._reads.get(key)
        if task is None:
            task = asyncio.ensure_future(read())
            self._reads[key] = task
            task.add_done_callback(partial(self._done, key))
        return await asyncio.shield(task)

    def forget(self) -> None:
        """Reads in flight are no longer shared with later callers (their data has changed)."""
        self._reads.clear()

    def _done(self, key: K, task: asyncio.Task[V]) -> None:
        if self._reads.get(key) is task:
            del self._reads[key]
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have gone


class ExpiringCache(Generic[K, V]):
    """A per-process cache whose entries live ``ttl_seconds``, whose misses share one read,
    and whose :meth:`clear` also disowns the reads in flight: a value read while the data was
    changing (a token regenerated, a key revoked) is handed to its waiters but never kept."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.entries: dict[K, tuple[float, V]] = {}
        self.reads: SingleFlight[K, V] = SingleFlight()
        self._generation = 0

    def get(self, key: K) -> V | None:
        hit = self.entries.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return None
        return hit[1]

    async def get_or_read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """The live entry, else ``read()``'s result (shared with every caller missing ``key``
        meanwhile), kept unless the cache was cleared while it ran."""
        hit = self.get(key)
        if hit is not None:
            return hit
        generation = self._generation

        async def read_and_keep() -> V:
            value = await read()
            if generation == self._generation:
                if len(self.entries) >= self.max_entries:
                    self.entries.clear()
                self.entries[key] = (time.monotonic() + self.ttl_seconds, value)
            return value

        return await self.reads.read(key, read_and_keep)

    def clear(self) -> None:
        self.entries.clear()
        self.reads.forget()
        self._generation += 1
