"""Calls the calls-API tests need, one line each: any status, money, attribution and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from leadflow.models import Call, CallEvent
from tests.factories import Factory, Tenant


@dataclass
class Calls:
    factory: Factory
    client: httpx.AsyncClient

    async def call(self, tenant: Tenant, *, at: datetime | None = None, **fields: Any) -> Call:
        when = at or self.factory.clock.now()
        fields.setdefault("to_number", "+17193132645")
        fields.setdefault("from_number", "+18005550100")
        fields.setdefault("status", "completed")
        row = Call(company_id=tenant.company.id, created_at=when, updated_at=when, **fields)
        async with self.factory.sessionmaker() as session:
            session.add(row)
            await session.commit()
        return row

    async def event(self, call: Call, kind: str, **data: Any) -> None:
        async with self.factory.sessionmaker() as session:
            session.add(
                CallEvent(
                    company_id=call.company_id,
                    call_id=call.id,
                    kind=kind,
                    data=data,
                    created_at=self.factory.clock.now(),
                )
            )
            await session.commit()

    async def get(self, tenant: Tenant, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"/api/v1/calls{path}", params=params, headers=tenant.auth)

    async def put(self, tenant: Tenant, ref: object, body: Any) -> httpx.Response:
        return await self.client.put(f"/api/v1/calls/{ref}", json=body, headers=tenant.auth)
