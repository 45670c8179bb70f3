"""Events become deliveries in the transaction that produced them, so none is lost or invented:
a rolled-back change leaves no delivery, a committed one always has its deliveries."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from leadflow.db.statements import ConnectionSql, Row, Sql
from leadflow.kit.values import iso_time
from leadflow.models.base import new_uuid


def trigger_matches(trigger_fields: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """A subscription fires when every one of its trigger fields equals the event's value
    (compared as text, so ``"7"`` in the subscription matches a ``traffic_source_id`` of 7)."""
    for name, wanted in trigger_fields.items():
        if wanted is None or wanted == "":
            continue
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if str(facts.get(name)) not in {str(value) for value in allowed}:
            return False
    return True


def active_subscriptions(sql: Sql, company_id: int, event: str) -> list[Row]:
    """The one query an event costs when nobody subscribed (through the company_id index),
    asked once per transaction: subscriptions are only ever changed through the API's own
    sessions, never by the units that queue events."""
    key = ("subscriptions", company_id, event)
    found: list[Row] | None = sql.memo.get(key)
    if found is None:
        found = sql.memo[key] = sql.all(
            "SELECT id, trigger_fields FROM subscriptions "
            "WHERE company_id = :company_id AND event = :event AND active",
            company_id=company_id,
            event=event,
        )
    return found


def enqueue_event(
    sql: Sql,
    *,
    company_id: int,
    event: str,
    data: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    trigger: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    now: datetime,
) -> int:
    """One pending delivery per matching subscription; returns how many were queued.

    ``data`` and ``trigger`` may be functions that build them, so a hot path builds them only
    when somebody subscribed."""
    queued = 0
    built: Mapping[str, Any] | None = None
    subscriptions = active_subscriptions(sql, company_id, event)
    if not subscriptions:
        return 0
    facts = trigger() if callable(trigger) else trigger
    for subscription in subscriptions:
        fields = subscription["trigger_fields"] or {}
        if not trigger_matches(fields, facts):
            continue
        if built is None:
            built = data() if callable(data) else data
        delivery_uuid = new_uuid()
        payload = {
            "id": delivery_uuid,
            "event": event,
            "created_at": iso_time(now),
            "data": dict(built),
        }
        sql.run(
            "INSERT INTO webhook_deliveries (uuid, company_id, subscription_id, event, payload, "
            "status, attempts, next_attempt_at, created_at, updated_at) VALUES (:uuid, "
            ":company_id, :subscription_id, :event, :payload, 'pending', 0, :now, :now, :now)",
            uuid=delivery_uuid,
            company_id=company_id,
            subscription_id=subscription["id"],
            event=event,
            payload=payload,
            now=now,
        )
        queued += 1
    return queued


async def enqueue_events_in_session(
    session: AsyncSession,
    event: str,
    items: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    company_id: int,
    now: datetime,
) -> int:
    """:func:`enqueue_event` for code that holds an ORM session (the lead resource endpoints):
    on the session's own connection, so the deliveries commit or roll back with its changes.
    ``items`` are ``(data, trigger)`` pairs, one per event."""

    def run(sync_session: Session) -> int:
        sql = ConnectionSql(sync_session.connection())
        return sum(
            enqueue_event(
                sql, company_id=company_id, event=event, data=data, trigger=trigger, now=now
            )
            for data, trigger in items
        )

    if not items:
        return 0
    return await session.run_sync(run)
