"""Group commit: writes that arrive together share one transaction, one commit and one hop to
the database thread.

A caller hands in a unit of work, a plain function over :class:`~leadflow.db.statements.Sql`,
and awaits its result; results are released only after the commit that contains them, so an
acknowledged write is durable. A failing unit is rolled back alone and its caller gets the
exception; the others commit (see :func:`_run_all` for how, cheaply).

SQLite: the whole batch runs on a dedicated ``sqlite3`` connection (``BEGIN IMMEDIATE`` makes
it the single writer), on the loop's thread; only a wait for the write lock, while another
process holds it, runs on a thread of its own.
PostgreSQL: the batch runs on a pooled connection's asyncpg driver connection (``db.pg_batch``:
round trips, not work, were what a lead cost there); units take transaction-scoped advisory
locks in the order of their keys, so batches of different processes lock in the same order.
Row locks are not ordered that way (a cadence claim locks leads, then a make_call unit in the
same batch waits for its company's lock), so two processes' batches can still deadlock;
PostgreSQL then fails one unit's statement. The batch runs again unit by unit
(see :func:`_run_all`); a unit refused again there is rolled back to its savepoint and run
again in the next batch, after the commit released what its own batch held:
a unit may run more than once, and must not change anything outside the database before it
returns (none does: units decide, the caller acts on the result).

A unit may also say its work as one item of a call that does many at once (:class:`Together`:
intake's posts, see ``leads.batch``). Those run as one call per batch, which reads, numbers and
inserts the whole batch's leads in a few statements; should that call fail, the batch runs unit
by unit as above. On PostgreSQL that saves round trips, and the call's locks are taken in the
message that begins the transaction. On SQLite, where a statement costs microseconds and no
round trip, it saves the per-row triggers: the batch's leads are counted once, by key
(migration 0019): 27 µs a lead instead of 40 (`bench.batch_counting`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.db import pg_batch
from leadflow.db.checkpoints import WalCheckpointer
from leadflow.db.engine import connect_sqlite
from leadflow.db.search_index import index_new_leads
from leadflow.db.statements import Sql, SqliteSql
from leadflow.ops.metrics import record_batch

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[Sql], T]


MAX_TRIES = 5
"""Runs of one unit that PostgreSQL may refuse as a deadlock victim before its caller hears."""
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


@dataclass(frozen=True, slots=True)
class Together:
    """A unit's work said a second way, as one item of a call that runs a whole batch's items
    at once: ``run_many(sql, items)`` answers each item with its result, or with the exception
    its unit would have raised (having written nothing). It must mean exactly what the units'
    own work, run one after the other, means: the batch falls back to that when it raises.
    ``locks`` are advisory locks the unit's work takes, taken for the batch up front."""

    run_many: Callable[[Sql, list[Any]], Sequence[Any]]
    item: Any
    locks: tuple[int, ...] = ()


@dataclass(slots=True)
class _Unit(Generic[T]):
    work: Work[T]
    lock_key: int
    future: asyncio.Future[T]
    together: Together | None = None
    result: Any = None
    error: BaseException | None = None
    tries: int = 0
    again: bool = False


def _run_all(sql: Sql, batch: list[_Unit[Any]]) -> bool:
    """Every unit of the batch back to back, in the batch's transaction and nothing finer
    (units that have a :class:`Together` as one call per kind); False when one of them
    failed, and the transaction must then be rolled back whole.

    Optimistic, since nearly every unit succeeds. Not even one savepoint around the lot:
    inside a savepoint SQLite copies every page the batch changes into a statement journal,
    which past 64 KiB spills to a temporary file, and that tripled the cost of a lead's
    insert (34 µs instead of 11). A failure is paid for instead: the batch runs again, one
    savepoint per unit (:func:`_run_one_by_one`), which fails the failing units alone,
    exactly as if they had run that way from the start."""
    for unit in batch:
        unit.tries += 1
    try:
        _run_together(sql, batch)
    except Exception:
        for unit in batch:
            unit.tries -= 1
            unit.result = unit.error = None
        return False
    return True


def _run_together(sql: Sql, batch: list[_Unit[Any]]) -> None:
    """The units with a :class:`Together`, one call per kind, then the others: one serial
    order of the batch as good as its lock order (a kind's call runs its items in order)."""
    kinds: dict[Callable[[Sql, list[Any]], Sequence[Any]], list[_Unit[Any]]] = {}
    alone: list[_Unit[Any]] = []
    for unit in batch:
        if unit.together is None:
            alone.append(unit)
        else:
            kinds.setdefault(unit.together.run_many, []).append(unit)
    for run_many, units in kinds.items():
        outcomes = run_many(sql, [unit.together.item for unit in units if unit.together])
        for unit, outcome in zip(units, outcomes, strict=True):
            if isinstance(outcome, Exception):
                unit.error = outcome
            else:
                unit.result = outcome
    for unit in alone:
        unit.result = unit.work(sql)


def _finish(sql: Sql) -> None:
    """What a batch owes as a whole, before its commit: its new leads become searchable in
    the transaction that wrote them."""
    index_new_leads(sql)


def _run_one_by_one(sql: Sql, batch: list[_Unit[Any]]) -> None:
    """The batch again, in a new transaction, each unit in a savepoint of its own."""
    for unit in batch:
        sql.run("SAVEPOINT unit")
        unit.tries += 1
        unit.again = False
        unit.result = None
        try:
            unit.result = unit.work(sql)
        except Exception as exc:
            sql.run("ROLLBACK TO SAVEPOINT unit")
            if is_transient(exc) and unit.tries < MAX_TRIES:
                unit.again = True
            else:
                unit.error = exc
        sql.run("RELEASE SAVEPOINT unit")


LOCK_WAIT_SECONDS = 10.0
"""How long a batch waits for SQLite's write lock before its callers hear it is busy."""
LOCK_POLL_SECONDS = 0.0005


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _begin_when_free(connection: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE`` as soon as the write lock is free, asked every half millisecond.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries: behind a writer
    that takes the lock again and again (the worker process, working a burst), a batch lost
    the race several times in a row and its posts waited 100 to 200 ms. Asking often, for the
    same bound, takes the lock within half a millisecond of its release."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as busy:
            if not _is_busy(busy) or time.monotonic() >= deadline:
                raise
        time.sleep(LOCK_POLL_SECONDS)


def is_transient(error: BaseException) -> bool:
    """A refusal that running the same unit again, in another transaction, can get past."""
    original = getattr(error, "orig", None)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code in _TRANSIENT_SQLSTATES


class GroupCommitter:
    def __init__(self, engine: AsyncEngine, max_batch: int = 256) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: list[_Unit[Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._checkpointer: WalCheckpointer | None = None
        self._thread: ThreadPoolExecutor | None = None
        if engine.dialect.name == "sqlite":
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")

    async def run(self, work: Work[T], lock_key: int = 0, together: Together | None = None) -> T:
        """Run ``work`` in the next batch; return its result once the batch is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Unit(work, lock_key, future, together))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all())
        return await future

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._thread is not None:
            self._thread.submit(self._close_sqlite).result()
            self._thread.shutdown()
        if self._checkpointer is not None:
            self._checkpointer.close()

    async def _flush_all(self) -> None:
        # Let every request that is already being parsed join the first batch.
        await asyncio.sleep(0)
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            batch.sort(key=lambda unit: unit.lock_key)
            record_batch(len(batch))
            try:
                if self._thread is not None:
                    await self._commit_sqlite_batch(batch)
                else:
                    await self._commit_postgres(batch)
            except Exception as exc:  # the commit itself failed: nobody's write is durable
                log.exception("group commit of %d units failed", len(batch))
                for unit in batch:
                    unit.error = exc
            for unit in batch:
                if unit.future.done():
                    continue
                if unit.again and unit.error is None:
                    self._queue.append(unit)  # into the next batch: see the module docstring
                elif unit.error is not None:
                    unit.future.set_exception(unit.error)
                else:
                    unit.future.set_result(unit.result)

    async def _commit_sqlite_batch(self, batch: list[_Unit[Any]]) -> None:
        """Always on the event loop's own thread, which avoids handing the GIL back and forth
        with a database thread for every statement. Only the wait for the write lock, when
        another connection (the worker process's, say) holds it, goes to the thread, where it
        cannot stall the loop."""
        connection = self._sqlite_connection()
        sql = SqliteSql(connection)
        await self._begin_sqlite(connection)
        try:
            if not _run_all(sql, batch):
                connection.execute("ROLLBACK")
                await self._begin_sqlite(connection)
                _run_one_by_one(sql, batch)
            _finish(sql)
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        if self._checkpointer is not None:
            self._checkpointer.after_commit(connection)

    async def _begin_sqlite(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as busy:
            if not _is_busy(busy):
                raise
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._thread, _begin_when_free, connection)

    async def _commit_postgres(self, batch: list[_Unit[Any]]) -> None:
        locks = [key for unit in batch if unit.together for key in unit.together.locks]
        async with pg_batch.transaction(self.engine) as transaction:
            await transaction.begin(locks)
            if not await transaction.run(_run_all, batch):
                await transaction.rollback()
                await transaction.begin()  # as it always did: each unit takes its own locks
                await transaction.run(_run_one_by_one, batch)
            await transaction.run(_finish)
            await transaction.commit()

    def _sqlite_connection(self) -> sqlite3.Connection:
        if self._sqlite is None:
            path = make_url(str(self.engine.url)).database or ":memory:"
            connection = connect_sqlite(path, check_same_thread=False)
            # Never wait for the write lock on the loop's thread; see _commit_sqlite_batch.
            connection.execute("PRAGMA busy_timeout=0")
            if path != ":memory:":
                # Checkpoints leave the commit path (see db.checkpoints).
                connection.execute("PRAGMA wal_autocheckpoint=0")
                page_size = connection.execute("PRAGMA page_size").fetchone()[0]
                self._checkpointer = WalCheckpointer(path, int(page_size))
            self._sqlite = connection
        return self._sqlite

    def _close_sqlite(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
