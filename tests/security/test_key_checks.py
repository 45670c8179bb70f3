"""A key pair the cache has not seen is read without the database's write lock: anyone can
send a key pair of their own making, and each guess would otherwise take the lock that every
company's intake waits for. Here another writer holds the database mid-transaction (as an
import's batch or the worker does): a new key is still verified and a guessed one refused, at
once."""

from __future__ import annotations

import asyncio

import httpx

from leadflow.settings import Settings
from tests.factories import Factory
from tests.support.write_lock import write_lock_held


async def test_keys_are_checked_while_another_writer_holds_the_database(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    tenant = await factory.tenant()  # its key pair not used yet: not in the cache
    async with write_lock_held(settings.database_url, "api_keys", "companies"):
        known, guessed = await asyncio.wait_for(
            asyncio.gather(
                client.get("/api/v1/reports", params={"metrics": "leads"}, headers=tenant.auth),
                client.get("/api/v1/reports", auth=("0123456789abcdef", "guess")),
            ),
            timeout=5,
        )

    assert known.status_code == 200, known.text
    assert known.json()["report"]["totals"] == {"leads": 0}
    assert guessed.status_code == 401
    assert guessed.json()["errors"]
