"""Key pairs a test needs beyond a tenant's full-access one: limited, revoked or malformed."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.clock import Clock
from leadflow.companies.keys import hash_private_key, new_key_pair
from leadflow.models import ApiKey


def basic_auth(public_key: str, private_key: str) -> dict[str, str]:
    raw = f"{public_key}:{private_key}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def key_with_permissions(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    company_id: int,
    permissions: dict[str, list[str]],
    **fields: Any,
) -> dict[str, str]:
    """A second key pair of the company, e.g. ``{"offers": ["read"]}``; returns its headers."""
    keys = new_key_pair()
    now = clock.now()
    async with sessionmaker() as session:
        session.add(
            ApiKey(
                company_id=company_id,
                name="limited",
                public_key=keys.public_key,
                private_key_hash=hash_private_key(keys.private_key),
                permissions=permissions,
                ip_allowlist=fields.pop("ip_allowlist", []),
                created_at=now,
                updated_at=now,
                **fields,
            )
        )
        await session.commit()
    return basic_auth(keys.public_key, keys.private_key)
