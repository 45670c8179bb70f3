"""Resolving a ``lead_token`` to what it enrols into, with a short-lived per-process cache.

Publishers post thousands of leads with the same token; looking it up once every few seconds
instead of on every post keeps the hot path free of that query. A token that is regenerated
stops working in this process at once (the cache is cleared) and in others within the TTL.

A router (``lead_distribution``) schedule's token resolves, per lead, to the target schedule of
the distribution the lead's data matches (:meth:`OwnerCache.route`): the lead is then enrolled
exactly as if it had been posted to the target, under the target's duplicate lock. Routes are
not cached: they are read in one query, for router tokens only, so an edit of a distribution or
of a target schedule routes the very next lead in every process.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.db.statements import ConnectionSql, Sql
from leadflow.distributions import matching
from leadflow.distributions.repository import resolve_target
from leadflow.dnc.policy import DEFAULT_SCHEDULE_DNC, ScheduleDnc, schedule_dnc
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.single_flight import ExpiringCache
from leadflow.leads import repository
from leadflow.leads.params import IntakeParams
from leadflow.models.schedule import CONTACT_CALLER, LEAD_DISTRIBUTION


@dataclass(frozen=True)
class LeadOwner:
    company_id: int
    offer_id: int
    schedule_id: int | None
    region: str
    schedule_type: str | None = None
    paused: bool = False
    duplicate_timeframe: int = 0
    # Which do-not-call lists apply to the schedule's leads, and its exemptions.
    dnc: ScheduleDnc = DEFAULT_SCHEDULE_DNC

    @property
    def is_schedule(self) -> bool:
        return self.schedule_id is not None

    @property
    def is_router(self) -> bool:
        return self.schedule_type == LEAD_DISTRIBUTION


@dataclass(frozen=True)
class Routing:
    """How a lead posted to a router got where it is: told to the poster and kept as the
    lead's ``routed`` event."""

    router_schedule_id: int
    distribution_id: int
    router_name: str = ""
    distribution_name: str = ""


def traffic_source(sql: Sql, company_id: int, ref: str | None) -> int | None:
    """Our id of the traffic source a post names (by our id or the publisher's own); 422 when
    it is not one of the company's."""
    if ref is None:
        return None
    found = repository.traffic_source_id(sql, company_id, ref)
    if found is None:
        raise TrackDriveError.field("traffic_source_id", "is not one of your traffic sources")
    return found


def route_owner(
    sql: Sql,
    router: LeadOwner,
    traffic_source_ref: str | None,
    sub_id: str | None,
    tokens: Mapping[str, Any],
    rng: random.Random,
    *,
    caller_id: str | None = None,
    email: str | None = None,
) -> tuple[LeadOwner, Routing]:
    """The owner a lead posted to ``router`` is enrolled under: the matching distribution's
    target schedule (its offer, pause and duplicate timeframe); 422
    ``no_matching_distribution`` when none matches. Conditions read the tokens, the
    attribution keys, and the lead's ``caller_id`` (E.164) and ``email``."""
    assert router.schedule_id is not None
    data = matching.routing_data(
        tokens,
        traffic_source(sql, router.company_id, traffic_source_ref),
        sub_id,
        caller_id=caller_id,
        email=email,
    )
    target = resolve_target(sql, router.company_id, router.schedule_id, data, rng)
    owner = replace(
        router,
        offer_id=target.offer_id,
        schedule_id=target.schedule_id,
        schedule_type=CONTACT_CALLER,
        paused=target.paused,
        duplicate_timeframe=target.duplicate_timeframe,
    )
    routing = Routing(
        router.schedule_id,
        target.distribution_id,
        router_name=target.router_name,
        distribution_name=target.distribution_name,
    )
    return owner, routing


@dataclass
class OwnerCache:
    engine: AsyncEngine
    ttl_seconds: float = 5.0
    # Draws among equal-priority distributions by weight; tests may seed it.
    rng: random.Random = field(default_factory=random.Random)
    # Posts that miss together share one read (see kit.single_flight).
    owners: ExpiringCache[str, LeadOwner] = field(init=False)
    # A router's targets' do-not-call settings, by schedule id (routes themselves are not
    # cached, but a settings read per routed lead would be a round trip for nothing).
    dnc_settings: ExpiringCache[int, ScheduleDnc] = field(init=False)

    def __post_init__(self) -> None:
        self.owners = ExpiringCache(self.ttl_seconds)
        self.dnc_settings = ExpiringCache(self.ttl_seconds)

    async def resolve(self, lead_token: str | None) -> LeadOwner:
        """The owner of ``lead_token``; 401 when it is missing or unknown."""
        if not lead_token:
            raise TrackDriveError.unauthorized("lead_token is required", field="lead_token")
        return await self.owners.get_or_read(lead_token, lambda: self._look_up(lead_token))

    async def _look_up(self, lead_token: str) -> LeadOwner:
        async with self.engine.connect() as conn:
            row = await repository.owner_row(conn, lead_token)
            if row is None:
                raise TrackDriveError.unauthorized("is not a valid lead token", field="lead_token")
            region = await repository.company_region(conn, row["company_id"])
        return LeadOwner(
            company_id=row["company_id"],
            offer_id=row["offer_id"],
            schedule_id=row.get("schedule_id"),
            region=region,
            schedule_type=row.get("schedule_type"),
            paused=bool(row.get("paused", False)),
            duplicate_timeframe=int(row.get("lead_duplicate_timeframe") or 0),
            dnc=schedule_dnc(row.get("dnc_settings")),
        )

    async def _target_dnc(self, schedule_id: int) -> ScheduleDnc:
        async with self.engine.connect() as conn:
            return schedule_dnc(await repository.schedule_dnc_settings(conn, schedule_id))

    def clear(self) -> None:
        """Forget every owner, and what reads still in flight would remember."""
        self.owners.clear()
        self.dnc_settings.clear()

    async def route(
        self,
        router: LeadOwner,
        traffic_source_ref: str | None,
        sub_id: str | None,
        tokens: Mapping[str, Any],
        *,
        caller_id: str | None = None,
        email: str | None = None,
    ) -> tuple[LeadOwner, Routing]:
        """:func:`route_owner` on a connection of its own, before the lead's group-commit
        unit: the unit then takes the target's duplicate lock in batch order like any other
        post to the target (taking it inside the unit would break that order)."""

        def run(connection: Connection) -> tuple[LeadOwner, Routing]:
            sql = ConnectionSql(connection)
            return route_owner(
                sql,
                router,
                traffic_source_ref,
                sub_id,
                tokens,
                self.rng,
                caller_id=caller_id,
                email=email,
            )

        async with self.engine.connect() as conn:
            owner, routing = await conn.run_sync(run)
        assert owner.schedule_id is not None
        target = owner.schedule_id
        dnc = await self.dnc_settings.get_or_read(target, lambda: self._target_dnc(target))
        return replace(owner, dnc=dnc), routing

    async def target_of(
        self, owner: LeadOwner, params: IntakeParams
    ) -> tuple[LeadOwner, Routing | None]:
        """Where a post's lead goes: the router's pick (:meth:`route`) for a router's token,
        else the token's own owner."""
        if not owner.is_router:
            return owner, None
        return await self.route(
            owner,
            params.traffic_source_ref,
            params.sub_id,
            params.tokens,
            caller_id=params.caller_id,
            email=params.email,
        )
