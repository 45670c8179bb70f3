from __future__ import annotations

import httpx


async def test_ping_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


async def test_healthz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
