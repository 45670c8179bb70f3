"""The queries of operations: worker heartbeats, the cadence's lag, the do-not-call lists'
ages, and retention's deletes.

SQLAlchemy Core on the connection the caller gives: reads (``/healthz`` and ``leadflow
status``) on one of their own, writes (the worker's heartbeat and pruning) in a short
transaction the job opens and commits. None of it is on a hot path: a beat every few seconds,
a prune every ten minutes, so none needs the plain-SQL layer's speed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.models import (
    CallEvent,
    DncList,
    Lead,
    LeadEvent,
    ReportPendingLead,
    Schedule,
    Submission,
    WebhookAttempt,
    WebhookDelivery,
    WorkerHeartbeat,
)


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


@dataclass(frozen=True)
class ListAge:
    """A shared do-not-call list in force: which version, how big, and when it was imported."""

    name: str
    version: int
    numbers: int
    updated_at: datetime


async def dnc_lists(connection: AsyncConnection) -> list[ListAge]:
    """The shared do-not-call lists in force, by name (none until one is imported)."""
    rows = await connection.execute(
        select(DncList.name, DncList.version, DncList.numbers, DncList.updated_at).order_by(
            DncList.name
        )
    )
    return [ListAge(*row) for row in rows.all()]


async def oldest_due_action(connection: AsyncConnection, now: datetime) -> datetime | None:
    """When the lead that has waited longest for its next action became due, among those a
    worker would claim (a paused schedule's leads wait on purpose): each running schedule's
    from its low end of ``ix_leads_schedule_due``, as the worker's claim looks at them."""
    oldest = (
        select(func.min(Lead.next_action_at))
        .where(Lead.schedule_id == Schedule.id, Lead.next_action_at <= now)
        .scalar_subquery()
    )
    heads = select(oldest.label("oldest")).where(Schedule.paused.is_(False)).subquery()
    found: datetime | None = await connection.scalar(select(func.min(heads.c.oldest)))
    return found


async def beat(
    connection: AsyncConnection,
    *,
    worker: str,
    host: str,
    pid: int,
    started_at: datetime,
    now: datetime,
) -> None:
    """Say this worker is alive now: one upsert (both engines spell it ``ON CONFLICT``)."""
    values = {"worker": worker, "host": host, "pid": pid, "started_at": started_at, "beat_at": now}
    if connection.dialect.name == "postgresql":
        on_postgres = postgresql.insert(WorkerHeartbeat).values(values)
        statement: Executable = on_postgres.on_conflict_do_update(
            index_elements=[WorkerHeartbeat.worker],
            set_={"beat_at": on_postgres.excluded.beat_at},
        )
    else:
        on_sqlite = sqlite.insert(WorkerHeartbeat).values(values)
        statement = on_sqlite.on_conflict_do_update(
            index_elements=[WorkerHeartbeat.worker],
            set_={"beat_at": on_sqlite.excluded.beat_at},
        )
    await connection.execute(statement)


async def forget_worker(connection: AsyncConnection, *, worker: str) -> int:
    result = await connection.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)
    )
    return result.rowcount


async def forget_dead_workers(connection: AsyncConnection, *, before: datetime) -> int:
    """Rows of workers that died without saying so, once nobody needs to see them."""
    result = await connection.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < before)
    )
    return result.rowcount


PRUNED_TABLES: dict[str, type[LeadEvent | CallEvent | WebhookAttempt]] = {
    "lead_events": LeadEvent,
    "call_events": CallEvent,
    "webhook_attempts": WebhookAttempt,
}


async def prune_oldest(
    connection: AsyncConnection, table: str, *, before: datetime, limit: int
) -> int:
    """Delete those of the ``limit`` oldest rows of ``table`` (by id) created before ``before``.

    Rows are written in time order, so the lowest ids are the oldest: reading the first
    ``limit`` ids walks the primary key and needs no index on ``created_at``, whatever the
    table's size. Fewer deleted than ``limit`` means no old rows are left (give or take rows
    written out of order by processes whose clocks differ by seconds, caught next time)."""
    model = PRUNED_TABLES.get(table)
    if model is None:
        raise ValueError(f"{table} is not pruned")
    head = select(model.id, model.created_at).order_by(model.id).limit(limit).subquery("head")
    old = select(head.c.id).where(head.c.created_at < before)
    result = await connection.execute(delete(model).where(model.id.in_(old)))
    return result.rowcount


async def webhook_backlog(connection: AsyncConnection) -> int:
    """Webhook deliveries still owed (``ix_webhook_deliveries_due`` counts them)."""
    found = await connection.scalar(
        select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
    )
    return int(found or 0)


async def report_backlog(connection: AsyncConnection) -> int:
    """New leads the report counters have yet to count (``leadflow.reports.pending``): a few
    seconds of intake at most while the worker runs."""
    found = await connection.scalar(select(func.count()).select_from(ReportPendingLead))
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
