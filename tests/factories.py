"""Row factories: a test states what it needs in one line, not fifty."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.clock import Clock
from leadflow.companies.keys import new_lead_token
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import create_company
from leadflow.models import Company, Contact, Number, Offer, Schedule, TrafficSource

_sequence = itertools.count(1)


@dataclass
class Tenant:
    company: Company
    public_key: str
    private_key: str

    @property
    def auth(self) -> dict[str, str]:
        raw = f"{self.public_key}:{self.private_key}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@dataclass
class Factory:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock

    async def tenant(self, name: str | None = None) -> Tenant:
        async with self.sessionmaker() as session:
            made = await create_company(
                CompanyRepository(session), self.clock, name or f"Company {next(_sequence)}"
            )
            await session.commit()
        return Tenant(made.company, made.keys.public_key, made.keys.private_key)

    async def _add(self, row: Any) -> Any:
        async with self.sessionmaker() as session:
            session.add(row)
            await session.commit()
        return row

    def _stamps(self) -> dict[str, Any]:
        now = self.clock.now()
        return {"created_at": now, "updated_at": now}

    async def offer(self, tenant: Tenant, **fields: Any) -> Offer:
        fields.setdefault("name", f"Offer {next(_sequence)}")
        return await self._add(
            Offer(
                company_id=tenant.company.id,
                leads_api_key=new_lead_token(),
                **self._stamps(),
                **fields,
            )
        )

    async def schedule(self, tenant: Tenant, offer: Offer | None = None, **fields: Any) -> Schedule:
        offer = offer or await self.offer(tenant)
        fields.setdefault("name", f"Schedule {next(_sequence)}")
        fields.setdefault("actions", [])
        return await self._add(
            Schedule(
                company_id=tenant.company.id,
                offer_id=offer.id,
                leads_api_key=new_lead_token(),
                **self._stamps(),
                **fields,
            )
        )

    async def traffic_source(self, tenant: Tenant, **fields: Any) -> TrafficSource:
        fields.setdefault("name", f"Publisher {next(_sequence)}")
        return await self._add(
            TrafficSource(company_id=tenant.company.id, **self._stamps(), **fields)
        )

    async def contact(self, tenant: Tenant, number: str, **flags: bool) -> Contact:
        """The company's suppression entry for ``number`` (``blocked``, ``opt_out``, ``dnc``)."""
        contact: Contact = await self._add(
            Contact(company_id=tenant.company.id, number=number, **self._stamps(), **flags)
        )
        return contact

    async def number(
        self, tenant: Tenant, number: str, capabilities: list[str] | None = None
    ) -> Number:
        return await self._add(
            Number(
                company_id=tenant.company.id,
                number=number,
                capabilities=capabilities or ["voice", "sms"],
                **self._stamps(),
            )
        )
