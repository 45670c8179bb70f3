"""The queries of operations: worker heartbeats, the cadence's lag, and retention's deletes.

Reads go through SQLAlchemy Core on a connection of their own (``/healthz`` and ``leadflow
status``); writes are units for the group committer (the worker's heartbeat and pruning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.db.statements import Sql
from leadflow.models import Lead, Schedule, Submission, WebhookDelivery, WorkerHeartbeat


@dataclass(frozen=True)
class Beat:
    worker: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime


async def heartbeats(connection: AsyncConnection) -> list[Beat]:
    """Every worker that has reported itself, most recent beat first."""
    rows = await connection.execute(
        select(
            WorkerHeartbeat.worker,
            WorkerHeartbeat.host,
            WorkerHeartbeat.pid,
            WorkerHeartbeat.started_at,
            WorkerHeartbeat.beat_at,
        ).order_by(WorkerHeartbeat.beat_at.desc())
    )
    return [Beat(*row) for row in rows.all()]


async def oldest_due_action(connection: AsyncConnection, now: datetime) -> datetime | None:
    """When the lead that has waited longest for its next action became due, among those a
    worker would claim (a paused schedule's leads wait on purpose). ``ix_leads_due`` serves
    it from its low end."""
    live = select(Schedule.id).where(Schedule.paused.is_(False))
    return await connection.scalar(
        select(func.min(Lead.next_action_at)).where(
            Lead.next_action_at <= now, Lead.schedule_id.in_(live)
        )
    )


def beat(
    sql: Sql, *, worker: str, host: str, pid: int, started_at: datetime, now: datetime
) -> None:
    """Say this worker is alive now (one upsert, the same on both engines)."""
    sql.run(
        "INSERT INTO worker_heartbeats (worker, host, pid, started_at, beat_at)"
        " VALUES (:worker, :host, :pid, :started_at, :now)"
        " ON CONFLICT (worker) DO UPDATE SET beat_at = excluded.beat_at",
        worker=worker,
        host=host,
        pid=pid,
        started_at=started_at,
        now=now,
    )


def forget_worker(sql: Sql, *, worker: str) -> int:
    return sql.run("DELETE FROM worker_heartbeats WHERE worker = :worker", worker=worker)


def forget_dead_workers(sql: Sql, *, before: datetime) -> int:
    """Rows of workers that died without saying so, once nobody needs to see them."""
    return sql.run("DELETE FROM worker_heartbeats WHERE beat_at < :before", before=before)


PRUNED_TABLES = frozenset({"lead_events", "call_events", "webhook_attempts"})


def prune_oldest(sql: Sql, table: str, *, before: datetime, limit: int) -> int:
    """Delete those of the ``limit`` oldest rows of ``table`` (by id) created before ``before``.

    Rows are written in time order, so the lowest ids are the oldest: reading the first
    ``limit`` ids walks the primary key and needs no index on ``created_at``, whatever the
    table's size. Fewer deleted than ``limit`` means no old rows are left (give or take rows
    written out of order by processes whose clocks differ by seconds, caught next time)."""
    if table not in PRUNED_TABLES:
        raise ValueError(f"{table} is not pruned")
    return sql.run(
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM (SELECT id, created_at FROM {table}"
        " ORDER BY id LIMIT :limit) AS head WHERE created_at < :before)",
        before=before,
        limit=limit,
    )


async def webhook_backlog(connection: AsyncConnection) -> int:
    """Webhook deliveries still owed (``ix_webhook_deliveries_due`` counts them)."""
    found = await connection.scalar(
        select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
    )
    return int(found or 0)


SUBMISSIONS_IN_FLIGHT = ("new", "pending", "processing", "queued")


async def submission_backlog(connection: AsyncConnection) -> int:
    """Submissions the pipeline has yet to finish (``ix_submissions_due`` counts them)."""
    found = await connection.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.status.in_(SUBMISSIONS_IN_FLIGHT))
    )
    return int(found or 0)
