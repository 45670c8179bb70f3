"""Group commit: writes that arrive together share one transaction and one commit.

Each caller hands in a unit of work and awaits its result; the result is released only after
the commit that contains it, so an acknowledged write is durable. Each unit runs inside its own
savepoint, so one failing unit is rolled back alone and its caller gets the exception.
On PostgreSQL a unit may take transaction-scoped advisory locks; units are run in the order of
their lock keys, so batches in different processes always lock in the same order and cannot
deadlock each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]


@dataclass
class _Unit(Generic[T]):
    work: Work[T]
    lock_key: int
    future: asyncio.Future[T]
    result: Any = None
    error: BaseException | None = None


@dataclass
class GroupCommitter:
    engine: AsyncEngine
    max_batch: int = 256
    _queue: list[_Unit[Any]] = field(default_factory=list)
    _flusher: asyncio.Task[None] | None = None

    async def run(self, work: Work[T], lock_key: int = 0) -> T:
        """Run ``work`` in the next batch; return its result once the batch is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Unit(work, lock_key, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all())
        return await future

    async def _flush_all(self) -> None:
        # Let every request that is already being parsed join the first batch.
        await asyncio.sleep(0)
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            await self._flush(batch)

    async def _flush(self, batch: list[_Unit[Any]]) -> None:
        batch.sort(key=lambda unit: unit.lock_key)
        try:
            async with self.engine.connect() as connection, connection.begin():
                for unit in batch:
                    await self._run_unit(connection, unit)
        except BaseException as exc:  # the commit itself failed: nobody's write is durable
            log.exception("group commit of %d units failed", len(batch))
            for unit in batch:
                if not unit.future.done():
                    unit.future.set_exception(
                        exc if isinstance(exc, Exception) else RuntimeError("commit interrupted")
                    )
            if not isinstance(exc, Exception):
                raise
            return
        for unit in batch:
            if unit.future.done():
                continue
            if unit.error is not None:
                unit.future.set_exception(unit.error)
            else:
                unit.future.set_result(unit.result)

    @staticmethod
    async def _run_unit(connection: AsyncConnection, unit: _Unit[Any]) -> None:
        if unit.future.cancelled():
            return
        try:
            async with connection.begin_nested():
                unit.result = await unit.work(connection)
        except Exception as exc:
            unit.error = exc
