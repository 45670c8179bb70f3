"""An opt-out is the consumer's own request: only the consumer's opt-in (an SMS START) or an
operator's explicit opt-in with a reason lifts it, and each change stays on the history."""

from __future__ import annotations

import httpx

from tests.factories import Factory

CALLER = "+17193132645"


async def test_an_opt_in_without_a_reason_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.contact(tenant, CALLER, opt_out=True)

    missing = await client.post(
        f"/api/v1/contacts/{CALLER}/caller_opt_in", json={}, headers=tenant.auth
    )
    blank = await client.post(
        f"/api/v1/contacts/{CALLER}/caller_opt_in", json={"reason": ""}, headers=tenant.auth
    )

    assert missing.status_code == 422, missing.text
    assert "reason" in missing.json()["errors"]
    assert blank.status_code == 422, blank.text
    shown = await client.get(f"/api/v1/contacts/{CALLER}", headers=tenant.auth)
    assert shown.json()["contact"]["opt_out"] is True


async def test_an_opt_in_with_a_reason_lifts_the_opt_out_and_is_kept_on_the_history(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.contact(tenant, CALLER, blocked=True, opt_out=True)
    await client.post(f"/api/v1/contacts/{CALLER}/caller_unblock", headers=tenant.auth)

    answer = await client.post(
        f"/api/v1/contacts/{CALLER}/caller_opt_in",
        json={"reason": "asked to be called again on 2026-01-05"},
        headers=tenant.auth,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["contact"]["opt_out"] is False
    history = await client.get(f"/api/v1/contacts/{CALLER}/history", headers=tenant.auth)
    events = [(e["kind"], e["source"], e["reason"]) for e in history.json()["contact_events"]]
    assert events == [
        ("unblocked", "api", None),
        ("opted_in", "api", "asked to be called again on 2026-01-05"),
    ]
