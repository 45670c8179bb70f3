"""What every lead of one claimed batch shares: the transaction, the time, the lookups, and
the effects still owed once the batch commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.cadence import repository
from leadflow.cadence.effects import Effect
from leadflow.db.statements import Row, Sql
from leadflow.webhooks.outbox import enqueue_event


@dataclass
class Batch:
    """What every lead of one claimed batch shares: the transaction, the time, the lookups."""

    sql: Sql
    now: datetime
    default_caller_id: str
    email_from: str
    effects: list[Effect] = field(default_factory=list)
    _pools: dict[tuple[int, str], list[Row]] = field(default_factory=dict)
    _numbers: dict[int, str | None] = field(default_factory=dict)
    _subscribed: dict[int, frozenset[str]] = field(default_factory=dict)

    def pool(self, company_id: int, capability: str) -> list[Row]:
        key = (company_id, capability)
        if key not in self._pools:
            self._pools[key] = repository.numbers_with(self.sql, company_id, capability)
        return self._pools[key]

    def number(self, number_id: int) -> str | None:
        if number_id not in self._numbers:
            self._numbers[number_id] = repository.number_by_id(self.sql, number_id)
        return self._numbers[number_id]

    def event(self, lead: Row, kind: str, **data: Any) -> None:
        repository.add_lead_event(self.sql, lead, kind, data, self.now)

    def webhook(self, lead: Row, event: str, build: Callable[[], dict[str, Any]]) -> None:
        """Queue ``event`` for the lead's subscribers; most companies subscribe to few events,
        so which ones they do is read once per batch, not once per event."""
        company_id = lead["company_id"]
        if company_id not in self._subscribed:
            self._subscribed[company_id] = repository.subscribed_events(self.sql, company_id)
        if event not in self._subscribed[company_id]:
            return
        trigger = {
            "schedule_id": lead["schedule_id"],
            "offer_id": lead["offer_id"],
            "traffic_source_id": lead["traffic_source_id"],
            "sub_id": lead["sub_id"],
        }
        enqueue_event(
            self.sql,
            company_id=lead["company_id"],
            event=event,
            data=build(),
            trigger=trigger,
            now=self.now,
        )


def call_data(
    lead: Row, call_id: int, call_uuid: str, from_number: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": call_id,
        "uuid": call_uuid,
        "lead_id": lead["id"],
        "schedule_id": lead["schedule_id"],
        "offer_id": lead["offer_id"],
        "traffic_source_id": lead["traffic_source_id"],
        "direction": "outbound",
        "to_number": lead["caller_id"],
        "from_number": from_number,
        "status": "queued",
        "tokens": lead["tokens"],
        "created_at": now.isoformat(),
    }
