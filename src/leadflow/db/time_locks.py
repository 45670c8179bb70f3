"""Locks and budgets that every process shares through the database.

Each is one conditional upsert, so two processes (or two requests in one) can never both win:
PostgreSQL serialises the conflicting inserts on the primary key, SQLite has one writer. Both
engines accept ``INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING``; when the ``WHERE``
refuses the update, no row comes back, and that is the refusal.

Callers run these inside the transaction that acts on the answer (the one that writes the call
or the submission), so a lock taken by a request that then fails is rolled back with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadflow.db.statements import Sql

_TAKE_LOCK = """
INSERT INTO time_locks (scope, key, taken_at) VALUES (:scope, :key, :now)
ON CONFLICT (scope, key) DO UPDATE SET taken_at = :now
WHERE time_locks.taken_at <= :free_before
RETURNING key
"""

_USE_SLOT = """
INSERT INTO rate_windows (scope, slot, count) VALUES (:scope, :slot, 1)
ON CONFLICT (scope, slot) DO UPDATE SET count = rate_windows.count + 1
WHERE rate_windows.count < :limit
RETURNING count
"""


def take_time_lock(sql: Sql, scope: str, key: str, now: datetime, window: timedelta) -> bool:
    """Take ``key`` in ``scope`` unless someone took it less than ``window`` before ``now``.

    Exactly ``window`` after the last take the key is free again.
    """
    taken = sql.one(_TAKE_LOCK, scope=scope, key=key, now=now, free_before=now - window)
    return taken is not None


def use_rate_slot(sql: Sql, scope: str, slot: int, limit: int) -> bool:
    """Count one use of ``scope`` in window ``slot`` (e.g. the current epoch second) if fewer
    than ``limit`` were counted there; a limit of 0 or less allows nothing."""
    if limit <= 0:
        return False
    return sql.one(_USE_SLOT, scope=scope, slot=slot, limit=limit) is not None


def forget_locks(sql: Sql, scope: str, before: datetime, *, exact: bool = False) -> int:
    """Delete the locks taken before ``before`` in the scopes starting with ``scope`` (or in
    ``scope`` alone when ``exact``, which the primary key's index finds directly).

    Each owner prunes its own scopes with its own horizon: a redial lock is free after 30
    seconds, a duplicate window may last a year, so no one horizon fits every scope."""
    if exact:
        return sql.run(
            "DELETE FROM time_locks WHERE scope = :scope AND taken_at < :before",
            scope=scope,
            before=before,
        )
    return sql.run(
        "DELETE FROM time_locks WHERE scope LIKE :prefix AND taken_at < :before",
        prefix=f"{scope}%",
        before=before,
    )


def forget_slots(sql: Sql, scope_prefix: str, before: int) -> int:
    """Delete the windows of scopes starting with ``scope_prefix`` numbered below ``before``."""
    return sql.run(
        "DELETE FROM rate_windows WHERE scope LIKE :prefix AND slot < :before",
        prefix=f"{scope_prefix}%",
        before=before,
    )
