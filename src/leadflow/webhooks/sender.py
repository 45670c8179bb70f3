"""Sending one delivery: check where it goes, sign it, POST it, and say what happened.

The target URL passed the outbound URL policy when the subscription was saved; the policy runs
again here on the URL as written (the settings may have changed), and the client, built on
:mod:`leadflow.kit.pinned_http`, checks every address the host resolves to and connects only to
one of them (a name re-pointed at a private or metadata address is refused, DNS rebinding
included). A refusal is final: the delivery fails at once rather than retrying into the same
wall. Redirects are never followed, as a public target could otherwise bounce the request to
an address the policy refuses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from leadflow.kit.outbound_urls import check_outbound_url
from leadflow.kit.pinned_http import RefusedUrlError
from leadflow.webhooks.signing import HEADER, signature_header

USER_AGENT = "Leadflow-Webhooks"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery with what sending it needs."""

    delivery_id: int
    uuid: str
    event: str
    payload: dict[str, Any]
    attempts: int
    target_url: str
    secret: str
    active: bool
    company_id: int = 0
    """Whose: a company's share of the worker's webhook slots counts it (kit.fair_share)."""


@dataclass(frozen=True)
class Outcome:
    """What one try came to: a status code, or the error that stopped it."""

    delivery_id: int
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0
    refused: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


__all__ = ["RefusedUrlError", "check_target", "send"]


async def check_target(url: str, allow_private: bool, allow_loopback: bool = False) -> None:
    """Raise :class:`RefusedUrlError` unless the URL as written passes the outbound URL policy.

    The addresses its host resolves to are checked when the pinned client connects (see
    :mod:`leadflow.kit.pinned_http`), against the very answer it connects to; checking them
    here too would resolve twice, which is the gap DNS rebinding uses."""
    try:
        check_outbound_url(url, allow_private, allow_loopback=allow_loopback)
    except ValueError as exc:
        raise RefusedUrlError(str(exc)) from None


def request_headers(outgoing: Outgoing, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Leadflow-Event": outgoing.event,
        "X-Leadflow-Delivery": outgoing.uuid,
        HEADER: signature_header(outgoing.secret, timestamp, body),
    }


async def send(
    http: httpx.AsyncClient,
    outgoing: Outgoing,
    *,
    timestamp: int,
    allow_private: bool,
    allow_loopback: bool = False,
) -> Outcome:
    """One POST of the stored payload; never raises for anything the target or network does."""
    started = time.perf_counter()

    def outcome(**fields: Any) -> Outcome:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Outcome(outgoing.delivery_id, duration_ms=elapsed, **fields)

    if not outgoing.active:
        return outcome(error="the subscription is inactive", refused=True)
    try:
        await check_target(outgoing.target_url, allow_private, allow_loopback)
    except RefusedUrlError as exc:
        return outcome(error=f"target_url refused: {exc}", refused=True)
    body = orjson.dumps(outgoing.payload)
    try:
        response = await http.post(
            outgoing.target_url,
            content=body,
            headers=request_headers(outgoing, body, timestamp),
            follow_redirects=False,
        )
    except RefusedUrlError as exc:
        return outcome(error=f"target_url refused: {exc}", refused=True)
    except httpx.HTTPError as exc:
        return outcome(error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
    return outcome(status_code=response.status_code)
