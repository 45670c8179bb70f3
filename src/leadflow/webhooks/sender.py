"""Sending one delivery: check where it goes, sign it, POST it, and say what happened.

The target URL passed the outbound URL policy when the subscription was saved, but a name may
resolve elsewhere today (DNS can be re-pointed at a private or metadata address), so the policy
runs again here, on the URL and on every address its host resolves to. A refusal is final: the
delivery fails at once rather than retrying into the same wall. Redirects are never followed,
as a public target could otherwise bounce the request to an address the policy refuses.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from leadflow.kit.outbound_urls import check_outbound_url, literal_address
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


class RefusedUrlError(ValueError):
    """The outbound URL policy refuses the target; retrying would not change that."""


async def check_target(url: str, allow_private: bool, allow_loopback: bool = False) -> None:
    """Raise :class:`RefusedUrlError` unless ``url`` and every address it resolves to pass
    the outbound URL policy. A name that does not resolve is an ordinary (retried) failure."""
    try:
        check_outbound_url(url, allow_private, allow_loopback=allow_loopback)
    except ValueError as exc:
        raise RefusedUrlError(str(exc)) from None
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if literal_address(host) is not None:
        return
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, parts.port, type=socket.SOCK_STREAM)
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        written = f"[{address}]" if ":" in address else address
        try:
            check_outbound_url(f"http://{written}/", allow_private, allow_loopback=allow_loopback)
        except ValueError as exc:
            raise RefusedUrlError(f"resolves to {address}, which {exc}") from None


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
    except OSError as exc:
        return outcome(error=f"could not resolve the host: {exc}"[:MAX_ERROR_LENGTH])
    body = orjson.dumps(outgoing.payload)
    try:
        response = await http.post(
            outgoing.target_url,
            content=body,
            headers=request_headers(outgoing, body, timestamp),
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return outcome(error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
    return outcome(status_code=response.status_code)
