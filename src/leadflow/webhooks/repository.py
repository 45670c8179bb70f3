"""Webhook delivery queries, as plain SQL over :class:`~leadflow.db.statements.Sql` so the
worker's claim and its record each run as one unit of a group-committed batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.db.statements import Sql
from leadflow.kit import fair_share
from leadflow.models import WebhookDelivery
from leadflow.webhooks.sender import Outgoing

SETTLED = ("delivered", "failed")
"""The statuses of a delivery that is over: retention may forget it."""


def claim_due(
    sql: Sql,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    in_flight: Mapping[int, int] | None = None,
    share: int | None = None,
) -> list[Outgoing]:
    """Take up to ``limit`` pending deliveries that are due, moving each one's
    ``next_attempt_at`` to ``lease_until`` so no other worker takes it meanwhile; if this
    worker dies before recording the outcome, the lease runs out and the delivery is due again.
    With a ``share``, a company's are taken only while what it has ``in_flight`` and what
    this claim gives it stay within the share (:mod:`~leadflow.kit.fair_share`).

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets any number of workers claim side by side,
    each getting different rows; SQLite has one writer, which serialises claims already.
    """
    held = sorted(fair_share.full(in_flight or {}, share)) if share is not None else []
    skipped = {f"c{index}": value for index, value in enumerate(held)}
    found = sql.all(
        "SELECT id, company_id FROM webhook_deliveries WHERE status = 'pending'"
        + (f" AND company_id NOT IN ({_placeholders(skipped)})" if skipped else "")
        + " AND next_attempt_at <= :now ORDER BY next_attempt_at, id LIMIT :limit"
        + (" FOR UPDATE SKIP LOCKED" if sql.dialect == "postgresql" else ""),
        now=now,
        limit=limit,
        **skipped,
    )
    if share is not None:
        found = fair_share.within_share(found, in_flight or {}, share)
    ids = sorted(int(row["id"]) for row in found)
    if not ids:
        return []
    names = {f"id{index}": value for index, value in enumerate(ids)}
    sql.run(
        "UPDATE webhook_deliveries SET next_attempt_at = :lease_until, updated_at = :now "
        f"WHERE id IN ({_placeholders(names)})",
        now=now,
        lease_until=lease_until,
        **names,
    )
    rows = sql.all(
        "SELECT d.id, d.uuid, d.company_id, d.event, d.payload, d.attempts, s.target_url,"
        " s.secret, s.active FROM webhook_deliveries d"
        " JOIN subscriptions s ON s.id = d.subscription_id"
        f" WHERE d.id IN ({_placeholders(names)}) ORDER BY d.id",
        **names,
    )
    return [
        Outgoing(
            delivery_id=int(row["id"]),
            uuid=row["uuid"],
            event=row["event"],
            payload=row["payload"],
            attempts=int(row["attempts"]),
            target_url=row["target_url"],
            secret=row["secret"],
            active=bool(row["active"]),
            company_id=int(row["company_id"]),
        )
        for row in rows
    ]


def _placeholders(names: Mapping[str, object]) -> str:
    return ", ".join(":" + name for name in names)


def add_attempt(
    sql: Sql,
    *,
    delivery_id: int,
    attempt: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    now: datetime,
) -> None:
    sql.run(
        "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, "
        "created_at) VALUES (:delivery_id, :attempt, :status_code, :error, :duration_ms, :now)",
        delivery_id=delivery_id,
        attempt=attempt,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        now=now,
    )


def mark_delivered(
    sql: Sql, delivery_id: int, *, attempts: int, status_code: int, now: datetime
) -> None:
    sql.run(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = :attempts, "
        "last_status_code = :status_code, last_error = NULL, delivered_at = :now, "
        "next_attempt_at = NULL, updated_at = :now WHERE id = :id",
        id=delivery_id,
        attempts=attempts,
        status_code=status_code,
        now=now,
    )


def mark_attempt_failed(
    sql: Sql,
    delivery_id: int,
    *,
    attempts: int,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
    now: datetime,
) -> None:
    """Pending again with the next attempt's time, or ``failed`` when there is none."""
    sql.run(
        "UPDATE webhook_deliveries SET status = :status, attempts = :attempts, "
        "last_status_code = :status_code, last_error = :error, "
        "next_attempt_at = :next_attempt_at, updated_at = :now WHERE id = :id",
        id=delivery_id,
        status="pending" if next_attempt_at is not None else "failed",
        attempts=attempts,
        status_code=status_code,
        error=error,
        next_attempt_at=next_attempt_at,
        now=now,
    )


def pending_ids(sql: Sql, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are still pending (a delivery deleted with its subscription is not)."""
    if not ids:
        return set()
    names = {f"id{index}": value for index, value in enumerate(ids)}
    rows = sql.all(
        "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND id IN "
        f"({', '.join(':' + name for name in names)})",
        **names,
    )
    return {int(row["id"]) for row in rows}


async def forget_settled(connection: AsyncConnection, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the oldest deliveries that were delivered or gave up before
    ``before`` (their attempts go with them); pending ones are never touched. Retention's, not
    a hot path: SQLAlchemy Core, in a short transaction of the caller's."""
    oldest = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status.in_(SETTLED), WebhookDelivery.updated_at < before)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    result = await connection.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(oldest)))
    return result.rowcount
