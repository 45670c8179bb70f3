"""Events become deliveries in the transaction that produced them, so none is lost or invented:
a rolled-back change leaves no delivery, a committed one always has its deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadflow.db.statements import Row, Sql


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
    return sql.all(
        "SELECT id, trigger_fields FROM subscriptions "
        "WHERE company_id = :company_id AND event = :event AND active",
        company_id=company_id,
        event=event,
    )


def enqueue_event(
    sql: Sql,
    *,
    company_id: int,
    event: str,
    data: Mapping[str, Any],
    trigger: Mapping[str, Any],
    now: datetime,
) -> int:
    """One pending delivery per matching subscription; returns how many were queued."""
    queued = 0
    for subscription in active_subscriptions(sql, company_id, event):
        fields = subscription["trigger_fields"] or {}
        if not trigger_matches(fields, trigger):
            continue
        delivery_uuid = str(uuid.uuid4())
        payload = {
            "id": delivery_uuid,
            "event": event,
            "created_at": now.isoformat(),
            "data": dict(data),
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
