"""Rows the telephony and callback tests need beyond ``tests.factories``: leads in a given
state, calls, messages and webhook subscriptions; and a provider that signs its requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from sqlalchemy import ColumnElement, select

from leadflow.models import (
    Call,
    Lead,
    LeadStatus,
    Message,
    Schedule,
    Subscription,
)
from leadflow.models.base import Base
from leadflow.telephony.signature import compute_signature
from tests.factories import Factory, Tenant

AUTH_TOKEN = "test-auth-token"
BASE_URL = "http://leadflow.test"
ModelT = TypeVar("ModelT", bound=Base)


@dataclass
class Builder:
    factory: Factory

    def _stamps(self) -> dict[str, Any]:
        now = self.factory.clock.now()
        return {"created_at": now, "updated_at": now}

    async def _add(self, row: ModelT) -> ModelT:
        async with self.factory.sessionmaker() as session:
            session.add(row)
            await session.commit()
        return row

    async def lead(
        self,
        tenant: Tenant,
        schedule: Schedule,
        caller_id: str,
        status: str = LeadStatus.SCHEDULED,
        **fields: Any,
    ) -> Lead:
        fields.setdefault("next_action_at", self.factory.clock.now())
        return await self._add(
            Lead(
                company_id=tenant.company.id,
                offer_id=schedule.offer_id,
                schedule_id=schedule.id,
                caller_id=caller_id,
                status=status,
                tokens={"first_name": "Ada"},
                **self._stamps(),
                **fields,
            )
        )

    async def call(self, lead: Lead, status: str = "queued", **fields: Any) -> Call:
        return await self._add(
            Call(
                company_id=lead.company_id,
                lead_id=lead.id,
                schedule_id=lead.schedule_id,
                to_number=lead.caller_id or "",
                from_number="+18005550100",
                status=status,
                tokens=dict(lead.tokens),
                **self._stamps(),
                **fields,
            )
        )

    async def message(self, lead: Lead, status: str = "queued", **fields: Any) -> Message:
        return await self._add(
            Message(
                company_id=lead.company_id,
                lead_id=lead.id,
                schedule_id=lead.schedule_id,
                channel="sms",
                to_address=lead.caller_id or "",
                from_address="+18005550100",
                body="Hello",
                status=status,
                **self._stamps(),
                **fields,
            )
        )

    async def subscription(self, tenant: Tenant, event: str, **triggers: Any) -> Subscription:
        return await self._add(
            Subscription(
                company_id=tenant.company.id,
                target_url="https://hooks.example.com/leadflow",
                event=event,
                trigger_fields=triggers,
                secret="whsec_test",
                **self._stamps(),
            )
        )

    async def rows(self, model: type[ModelT], *where: ColumnElement[bool]) -> Sequence[ModelT]:
        """Fresh rows of ``model`` (oldest first), read in a new session."""
        async with self.factory.sessionmaker() as session:
            stmt = select(model).where(*where).order_by(model.id)  # type: ignore[attr-defined]
            return (await session.scalars(stmt)).all()

    async def one(self, model: type[ModelT], *where: ColumnElement[bool]) -> ModelT:
        (row,) = await self.rows(model, *where)
        return row


@dataclass
class Provider:
    """Posts form callbacks as a Twilio-compatible provider does, signed with its token."""

    client: httpx.AsyncClient
    token: str = AUTH_TOKEN

    async def post(
        self, path: str, params: dict[str, str], signature: str | None = None
    ) -> httpx.Response:
        pairs = sorted(params.items())
        signed = compute_signature(self.token, BASE_URL + path, pairs)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature != "":
            headers["X-Twilio-Signature"] = signature or signed
        return await self.client.post(path, content=urlencode(pairs), headers=headers)
