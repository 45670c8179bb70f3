"""Reads in flight, by key: callers that miss a per-process cache together await one read.

Without it, the moment a cache entry expires every request in flight with that key misses at
once, and each makes its own read; on a busy key (a publisher's lead token, a buyer's API key)
dozens of identical reads then queue behind each other on the database connection, and the
last request waits a tenth of a second or more. Go calls this ``singleflight``.
"""

from __future__ import annotations

import asyncio
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
