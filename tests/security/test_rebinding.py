"""DNS rebinding: a name that answers a public address to the check and 127.0.0.1 to the
connection must never reach this machine. Every path that sends to a user's URL (webhooks,
schedule webhook actions, buyer delivery, OAuth tokens, pixels) resolves once and connects to
the address it checked; a real loopback server proves no byte reaches it.

The resolver is injected into the one mechanism (:class:`OutboundPolicy`): its first answer is
a public address, every later one is loopback, as a rebinding DNS server would answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from leadflow.cadence.dispatch import send_all
from leadflow.cadence.effects import CallWebhook
from leadflow.campaigns.config import DeliveryEndpoint
from leadflow.kit.pinned_http import OutboundPolicy, RefusedUrlError, pinned_client
from leadflow.settings import Settings
from leadflow.submissions.payload import EncodedBody
from leadflow.submissions.pipeline.client import delivery_client
from leadflow.submissions.pipeline.delivery import TokenCache, UrlPolicy, deliver
from leadflow.submissions.pipeline.notifications import PixelCall, fire_pixels
from leadflow.webhooks.sender import Outgoing, send
from tests.security.loopback import LoopbackServer, loopback_server

PUBLIC = "93.184.216.34"
TIMEOUT = httpx.Timeout(2.0)


class Rebinding:
    """Answers ``answers`` in turn, then the last one for ever; counts the questions."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [answer]


def policy(resolver: Rebinding, *, allow_loopback: bool = False) -> OutboundPolicy:
    return OutboundPolicy(allow_private=False, allow_loopback=allow_loopback, resolver=resolver)


Client = Callable[[OutboundPolicy], httpx.AsyncClient]


def pinned(policy: OutboundPolicy) -> httpx.AsyncClient:
    """The worker's client for webhooks and webhook actions."""
    return pinned_client(policy, TIMEOUT)


def keep_alive(policy: OutboundPolicy) -> httpx.AsyncClient:
    """The delivery client for buyers, OAuth tokens and pixels (wire engine)."""
    return delivery_client(policy, 2.0, "wire")


def keep_alive_httpx(policy: OutboundPolicy) -> httpx.AsyncClient:
    """The delivery client for buyers, OAuth tokens and pixels (httpx engine)."""
    return delivery_client(policy, 2.0, "httpx")


DELIVERY = {"keep_alive": keep_alive, "keep_alive_httpx": keep_alive_httpx}
CLIENTS = {"pinned": pinned, **DELIVERY}


@pytest.mark.parametrize("make", CLIENTS.values(), ids=list(CLIENTS))
async def test_a_rebinding_name_never_reaches_loopback(make: Client) -> None:
    resolver = Rebinding(PUBLIC, "127.0.0.1")
    with loopback_server() as server:
        async with make(policy(resolver)) as http:
            with pytest.raises(httpx.TransportError) as failure:
                await http.post(f"http://rebind.test:{server.port}/hook", content=b"x")
    assert resolver.asked == 1
    assert server.received == []
    assert not isinstance(failure.value, RefusedUrlError)  # it went to 93.184.216.34 only


@pytest.mark.parametrize("make", CLIENTS.values(), ids=list(CLIENTS))
async def test_a_name_resolving_to_loopback_is_refused_before_a_byte_is_sent(
    make: Client,
) -> None:
    resolver = Rebinding("127.0.0.1")
    with loopback_server() as server:
        async with make(policy(resolver)) as http:
            with pytest.raises(RefusedUrlError, match=r"rebind\.test resolves to 127\.0\.0\.1"):
                await http.post(f"http://rebind.test:{server.port}/hook", content=b"x")
    assert server.received == []


@pytest.mark.parametrize("make", CLIENTS.values(), ids=list(CLIENTS))
async def test_loopback_is_reached_by_name_when_allowed(make: Client) -> None:
    resolver = Rebinding("127.0.0.1")
    with loopback_server() as server:
        async with make(policy(resolver, allow_loopback=True)) as http:
            response = await http.post(f"http://buyer.test:{server.port}/hook", content=b"x")
    assert response.status_code == 200
    assert f"host: buyer.test:{server.port}".encode() in server.requests[0].lower()


async def with_rebinding(
    run: Callable[[httpx.AsyncClient, str, Settings], Awaitable[Any]], make: Client
) -> tuple[Any, LoopbackServer]:
    resolver = Rebinding("127.0.0.1")
    settings = Settings(allow_private_urls=False, allow_loopback_urls=False)
    with loopback_server() as server:
        async with make(policy(resolver)) as http:
            result = await run(http, f"http://rebind.test:{server.port}/hook", settings)
    return result, server


async def test_webhook_delivery_to_a_name_rebound_to_loopback_fails_for_good() -> None:
    async def run(http: httpx.AsyncClient, url: str, settings: Settings) -> Any:
        outgoing = Outgoing(1, "u", "new_lead", {"a": 1}, 0, url, "whsec_x", True)
        return await send(http, outgoing, timestamp=0, allow_private=False)

    outcome, server = await with_rebinding(run, pinned)
    assert outcome.refused
    assert "resolves to 127.0.0.1" in outcome.error
    assert server.received == []


async def test_schedule_webhook_action_to_a_name_rebound_to_loopback_is_refused() -> None:
    async def run(http: httpx.AsyncClient, url: str, settings: Settings) -> Any:
        effect = CallWebhook(1, 1, 0, "POST", url, "{}", {})
        return await send_all([effect], None, http, settings)  # type: ignore[arg-type]

    sent, server = await with_rebinding(run, pinned)
    assert not sent[0].result.accepted
    assert "127.0.0.1" in (sent[0].result.error or "")
    assert server.received == []


@pytest.mark.parametrize("make", DELIVERY.values(), ids=list(DELIVERY))
async def test_buyer_delivery_and_oauth_to_a_name_rebound_to_loopback_are_refused(
    make: Client,
) -> None:
    async def run(http: httpx.AsyncClient, url: str, settings: Settings) -> Any:
        results = []
        for auth in (None, {"kind": "oauth2_client_credentials", "tokenUrl": url}):
            endpoint = DeliveryEndpoint.model_validate(
                {
                    "url": url if auth is None else "https://buyer.example/leads",
                    "auth": auth and {**auth, "clientId": "id", "clientSecret": "s3cret"},
                    "maxRetries": 0,
                }
            )
            body = EncodedBody(b"{}", "application/json")
            results.append(
                await deliver(http, endpoint, body, UrlPolicy(False, False), TokenCache())
            )
        return results

    (plain, oauth), server = await with_rebinding(run, make)
    assert plain.refused
    assert "resolves to 127.0.0.1" in plain.verdict.reason
    assert oauth.refused
    assert "resolves to 127.0.0.1" in oauth.verdict.reason
    assert server.received == []


@pytest.mark.parametrize("make", DELIVERY.values(), ids=list(DELIVERY))
async def test_pixels_to_a_name_rebound_to_loopback_never_leave(make: Client) -> None:
    async def run(http: httpx.AsyncClient, url: str, settings: Settings) -> Any:
        await fire_pixels(
            http, [PixelCall(url, "GET", {"event": "delivered"})], UrlPolicy(False, False)
        )

    _, server = await with_rebinding(run, make)
    assert server.received == []
