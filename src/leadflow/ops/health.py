"""What ``/healthz`` and ``leadflow status`` report: the database, the workers' heartbeats,
the cadence's lag (how long the lead that has waited longest for its next action is overdue)
and, once lists are imported, the do-not-call lists' ages.

Only an unreachable database makes the API unhealthy (503): a balancer should stop sending
leads to a process that cannot store them, but not to every API process because the worker
is behind. A worker that is silent or a lag over its threshold makes the report *degraded*,
which a monitor can alert on (``status`` in the body; ``leadflow status`` exits 1)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.ops.repository import Beat, ListAge, dnc_lists, heartbeats, oldest_due_action


@dataclass(frozen=True)
class HealthLimits:
    """When a worker counts as silent, and how much lag is too much (both from settings)."""

    heartbeat_stale_seconds: float
    max_lag_seconds: float


@dataclass
class Health:
    database_ok: bool
    engine: str
    database_ms: float = 0.0
    beats: list[Beat] = field(default_factory=list)
    lag_seconds: float | None = None
    dnc: list[ListAge] = field(default_factory=list)
    now: datetime | None = None
    limits: HealthLimits | None = None

    def live_workers(self) -> list[Beat]:
        """Workers whose last beat is recent enough to believe they are still working."""
        if self.now is None or self.limits is None:
            return []
        stale = self.limits.heartbeat_stale_seconds
        return [b for b in self.beats if (self.now - b.beat_at).total_seconds() <= stale]

    @property
    def worker_ok(self) -> bool:
        return bool(self.live_workers())

    @property
    def lag_ok(self) -> bool:
        if self.lag_seconds is None or self.limits is None:
            return False
        return self.lag_seconds <= self.limits.max_lag_seconds

    @property
    def status(self) -> str:
        """``ok``, ``degraded`` (serving, but the cadence is not keeping up) or ``unhealthy``."""
        if not self.database_ok:
            return "unhealthy"
        return "ok" if self.worker_ok and self.lag_ok else "degraded"

    def as_dict(self) -> dict[str, Any]:
        last = self.beats[0] if self.beats else None
        age = (self.now - last.beat_at).total_seconds() if last and self.now else None
        return {
            "ok": self.database_ok,
            "status": self.status,
            "database": {
                "ok": self.database_ok,
                "engine": self.engine,
                "latency_ms": round(self.database_ms, 2),
            },
            "worker": {
                "ok": self.worker_ok,
                "processes": len(self.live_workers()),
                "last_heartbeat_at": last.beat_at.isoformat() if last else None,
                "last_heartbeat_age_seconds": None if age is None else round(age, 3),
            },
            "lag": {
                "ok": self.lag_ok,
                "oldest_due_seconds": None
                if self.lag_seconds is None
                else round(self.lag_seconds, 3),
            },
            **({"dnc": {"lists": [self._list(found) for found in self.dnc]}} if self.dnc else {}),
        }

    def _list(self, found: ListAge) -> dict[str, Any]:
        age = (self.now - found.updated_at).total_seconds() / 86400 if self.now else None
        return {
            "name": found.name,
            "version": found.version,
            "numbers": found.numbers,
            "updated_at": found.updated_at.isoformat(),
            "age_days": None if age is None else round(age, 2),
        }


async def check_health(engine: AsyncEngine, now: datetime, limits: HealthLimits) -> Health:
    """Ask the database; never raises (an unreachable database is a report, not an error)."""
    health = Health(database_ok=False, engine=engine.dialect.name, now=now, limits=limits)
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            health.database_ms = (time.perf_counter() - started) * 1000
            health.database_ok = True
            health.beats = await heartbeats(connection)
            due = await oldest_due_action(connection, now)
            health.dnc = await dnc_lists(connection)
    except Exception:
        # Unreachable (database_ok stays False), or reachable but not migrated: the parts not
        # read stay unknown, which reports as not ok.
        return health
    health.lag_seconds = 0.0 if due is None else max(0.0, (now - due).total_seconds())
    return health


def describe(report: dict[str, Any]) -> str:
    """``leadflow status``'s text from the report (:meth:`Health.as_dict`, with ``warnings``
    when there are any): one line per part, as an operator reads it."""
    lines = [f"status: {report['status']}"]
    database = report["database"]
    reachable = "reachable" if database["ok"] else "UNREACHABLE"
    lines.append(f"database: {database['engine']}, {reachable}, {database['latency_ms']} ms")
    worker = report["worker"]
    if worker["last_heartbeat_at"] is None:
        lines.append("worker: no heartbeat yet")
    else:
        lines.append(
            f"worker: {worker['processes']} live process(es), last heartbeat "
            f"{worker['last_heartbeat_age_seconds']} s ago"
        )
    lag = report["lag"]["oldest_due_seconds"]
    lines.append("lag: unknown" if lag is None else f"lag: oldest due lead waited {lag} s")
    for found in report.get("dnc", {}).get("lists", []):
        lines.append(
            f"dnc: {found['name']} version {found['version']}, {found['numbers']:,} numbers, "
            f"imported {found['age_days']} days ago"
        )
    lines.extend(f"warning: {warning}" for warning in report.get("warnings", []))
    return "\n".join(lines)
