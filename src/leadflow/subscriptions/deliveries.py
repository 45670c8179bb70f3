"""How ``GET /api/v1/subscriptions/{id}/deliveries`` lists a subscription's deliveries, each
with every attempt made at it, through the one listing convention.

A delivery's attempts come from a correlated JSON aggregate, so a page of deliveries and all
their attempts is one query. SQLite and PostgreSQL spell JSON aggregation differently, hence
one listing spec per engine; attempts are ordered here, not by the aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select

from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import Computed, ListSpec
from leadflow.models import WebhookAttempt, WebhookDelivery


class WebhookAttemptOut(BaseModel):
    """One try: the target's HTTP status, or the error that stopped the request."""

    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int
    created_at: datetime


class WebhookDeliveryOut(BaseModel):
    """One event owed to the subscription: ``pending`` (with its next attempt), ``delivered``
    or ``failed``; ``uuid`` is the ``X-Leadflow-Delivery`` header receivers dedupe on."""

    id: int
    uuid: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptOut]
    created_at: datetime
    updated_at: datetime


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _attempt_log(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = row["attempt_rows"]
    attempts = orjson.loads(raw) if isinstance(raw, str | bytes) else list(raw or [])
    attempts = [a for a in attempts if a is not None and a.get("attempt") is not None]
    for attempt in attempts:
        attempt["created_at"] = _time(attempt["created_at"])
    return sorted(attempts, key=lambda a: (a["attempt"], a["id"]))


def _attempts_json(dialect: str) -> ColumnElement[Any]:
    fields = ("id", "attempt", "status_code", "error", "duration_ms", "created_at")
    pairs: list[Any] = []
    for name in fields:
        pairs.extend((name, getattr(WebhookAttempt, name)))
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_object(*pairs))
    else:
        aggregate = func.json_group_array(func.json_object(*pairs))
    return (
        select(aggregate)
        .where(WebhookAttempt.delivery_id == WebhookDelivery.id)
        .correlate(WebhookDelivery)
        .scalar_subquery()
    )


def _spec(dialect: str) -> ListSpec:
    return ListSpec(
        model=WebhookDelivery,
        serializers={"webhook_delivery": WebhookDeliveryOut},
        sortable=("id", "created_at", "updated_at", "next_attempt_at", "status"),
        fulltext=TextColumns(("event", "status", "uuid")),
        computed={"attempt_log": Computed(("attempt_rows",), _attempt_log)},
        expressions={"attempt_rows": _attempts_json(dialect)},
    )


DELIVERY_LISTINGS = {dialect: _spec(dialect) for dialect in ("sqlite", "postgresql")}
