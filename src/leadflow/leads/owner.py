"""Resolving a ``lead_token`` to what it enrols into, with a short-lived per-process cache.

Publishers post thousands of leads with the same token; looking it up once every few seconds
instead of on every post keeps the hot path free of that query. A token that is regenerated
stops working in this process at once (the cache is cleared) and in others within the TTL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.kit.errors import TrackDriveError
from leadflow.leads import repository


@dataclass(frozen=True)
class LeadOwner:
    company_id: int
    offer_id: int
    schedule_id: int | None
    region: str
    schedule_type: str | None = None
    paused: bool = False
    duplicate_timeframe: int = 0

    @property
    def is_schedule(self) -> bool:
        return self.schedule_id is not None


@dataclass
class OwnerCache:
    engine: AsyncEngine
    ttl_seconds: float = 5.0
    entries: dict[str, tuple[float, LeadOwner]] = field(default_factory=dict)

    async def resolve(self, lead_token: str | None) -> LeadOwner:
        """The owner of ``lead_token``; 401 when it is missing or unknown."""
        if not lead_token:
            raise TrackDriveError.unauthorized("lead_token is required", field="lead_token")
        hit = self.entries.get(lead_token)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self.engine.connect() as conn:
            row = await repository.owner_row(conn, lead_token)
            if row is None:
                raise TrackDriveError.unauthorized("is not a valid lead token", field="lead_token")
            region = await repository.company_region(conn, row["company_id"])
        owner = LeadOwner(
            company_id=row["company_id"],
            offer_id=row["offer_id"],
            schedule_id=row.get("schedule_id"),
            region=region,
            schedule_type=row.get("schedule_type"),
            paused=bool(row.get("paused", False)),
            duplicate_timeframe=int(row.get("lead_duplicate_timeframe") or 0),
        )
        if len(self.entries) > 10_000:
            self.entries.clear()
        self.entries[lead_token] = (time.monotonic() + self.ttl_seconds, owner)
        return owner

    def clear(self) -> None:
        self.entries.clear()
