"""One ping: ask a buyer what it would pay for a lead, from its non-personal fields.

The ping's body is built from the buyer entry's field tree over the lead as the buyer's
campaign sees it (its dynamic keys and mapped answers applied), encoded as JSON, XML or a
form (a ``GET`` sends it as a query string). The answer is read with the ping's response
mapping: the verdict as a delivery's (status path and terms, reason path), then the bid and
the ping id by their paths. Nothing here raises for anything the buyer or the network does:
each outcome is a :class:`Bid` with what was sent, what came back and how long it took.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import httpx

from leadflow.kit.outbound_urls import check_outbound_url
from leadflow.submissions.payload import PayloadError, build_payload, encode_payload
from leadflow.submissions.pipeline.auction_config import PingRequest
from leadflow.submissions.pipeline.delivery import MAX_TEXT, UrlPolicy
from leadflow.submissions.response_parsing import classify_response, read_paths
from leadflow.webhooks.sender import RefusedUrlError

USER_AGENT = "Leadflow-Ping"
PingOutcome = Literal[
    "bid", "no_bid", "timeout", "late", "error", "refused", "below_floor", "fixed_price"
]


@dataclass(frozen=True)
class Bid:
    """A buyer's answer to a ping (or a fixed-price buyer's standing bid)."""

    outcome: PingOutcome
    amount: float | None = None
    ping_id: str | None = None
    reason: str | None = None
    request: dict[str, Any] | None = None
    status_code: int | None = None
    response_text: str | None = None
    duration_ms: int = 0

    @property
    def biddable(self) -> bool:
        return self.outcome in ("bid", "fixed_price") and self.amount is not None


def ping_request(ping: PingRequest, data: dict[str, Any]) -> tuple[dict[str, Any], bytes, str]:
    """The ping's fields built from ``data``: ``(payload, encoded body, content type)``.
    Raises :class:`PayloadError` when a required field is missing."""
    payload = build_payload(ping.fields, data)
    body_format = "form" if ping.method == "GET" else ping.body_format
    encoded = encode_payload(payload, body_format, "ping")
    return payload, encoded.content, encoded.content_type


async def send_ping(
    http: httpx.AsyncClient,
    ping: PingRequest,
    data: dict[str, Any],
    policy: UrlPolicy,
    seconds: float,
) -> Bid:
    """Ping once (a ping is never retried: the auction has no time for it), for at most
    ``seconds`` in all (the ping's own timeout; the auction stops waiting at its deadline)."""
    url = str(ping.url)
    started = time.perf_counter()
    try:
        payload, content, content_type = ping_request(ping, data)
    except PayloadError as exc:
        return Bid("error", reason=f"ping fields: {exc}"[:MAX_TEXT])
    request = {"url": url, "method": ping.method, "payload": payload}
    refused = _refusal(url, policy)
    if refused is not None:
        return Bid("refused", reason=f"ping url refused: {refused}"[:MAX_TEXT], request=request)
    outgoing = _outgoing(ping, url, content, content_type, seconds)
    try:
        async with asyncio.timeout(seconds):
            # The client's own transport (the URL policy, pinned addresses, keep-alive); the
            # client's layers (cookies, auth, redirects) are not used by a ping and cost a
            # third of its CPU at 1,000 pings a second.
            response = await transport_of(http).handle_async_request(outgoing)
            await response.aread()
    except (TimeoutError, httpx.TimeoutException):
        return Bid(
            "timeout",
            reason=f"no answer within {int(seconds * 1000)} ms",
            request=request,
            duration_ms=_elapsed(started),
        )
    except RefusedUrlError as exc:
        return Bid("refused", reason=f"ping url refused: {exc}"[:MAX_TEXT], request=request)
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}".strip()[:MAX_TEXT]
        return Bid("error", reason=reason, request=request, duration_ms=_elapsed(started))
    answered_type = _content_type(response)
    bid = read_bid(ping, response.status_code, answered_type, response)
    return Bid(
        bid.outcome,
        bid.amount,
        bid.ping_id,
        bid.reason,
        request,
        response.status_code,
        _text(response, answered_type)[:MAX_TEXT],
        _elapsed(started),
    )


def _refusal(url: str, policy: UrlPolicy) -> str | None:
    """Why the URL policy refuses the ping URL as written, or None; remembered per URL, since
    the check reads only the text (the addresses are checked when the transport connects)
    and a buyer's URL is the same for every lead."""
    return _refusal_of(url, policy.allow_private, policy.allow_loopback)


@lru_cache(maxsize=1024)
def _refusal_of(url: str, allow_private: bool, allow_loopback: bool) -> str | None:
    try:
        check_outbound_url(url, allow_private, allow_loopback=allow_loopback)
    except ValueError as exc:
        return str(exc)
    return None


def _outgoing(
    ping: PingRequest, url: str, content: bytes, content_type: str, seconds: float
) -> httpx.Request:
    """The request, its headers written out once per buyer: httpx's own request building
    (header normalising, default headers, body encoding) cost some 15 µs a ping, 150 µs of an
    auction's ~4 ms."""
    limits = {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}
    if ping.method == "GET":
        return httpx.Request(
            "GET",
            _parsed(url),
            params=httpx.QueryParams(content.decode()),
            headers={"User-Agent": USER_AGENT, **ping.headers},
            extensions={"timeout": limits},
        )
    parsed = _parsed(url)
    head = _head(url, content_type, tuple(ping.headers.items()))
    outgoing = httpx.Request(
        "POST",
        parsed,
        headers=[*head, (b"Content-Length", b"%d" % len(content))],
        stream=httpx.ByteStream(content),
        extensions={"timeout": limits},
    )
    outgoing.read()  # one bytes object: the wire writes ``request.content``
    return outgoing


@lru_cache(maxsize=1024)
def _head(
    url: str, content_type: str, extra: tuple[tuple[str, str], ...]
) -> tuple[tuple[bytes, bytes], ...]:
    """A POST ping's headers but ``Content-Length``, in the order httpx would send them."""
    headers = httpx.Headers(
        {"Host": _parsed(url).netloc.decode("ascii"), "User-Agent": USER_AGENT, **dict(extra)}
    )
    headers["Content-Type"] = content_type
    return tuple(headers.raw)


def _content_type(response: httpx.Response) -> str | None:
    """The answer's ``Content-Type``, read off the raw headers (``Headers.get`` decodes every
    header each time it is called)."""
    for name, value in response.headers.raw:
        if name.lower() == b"content-type":
            return value.decode("latin-1")
    return None


def _text(response: httpx.Response, content_type: str | None) -> str:
    """The answer as text, in its declared charset (UTF-8 when none or unknown)."""
    charset = "utf-8"
    if content_type and "charset=" in content_type.lower():
        declared = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(' "')
        charset = declared or charset
    try:
        return response.content.decode(charset, "replace")
    except LookupError:
        return response.content.decode("utf-8", "replace")


def transport_of(http: httpx.AsyncClient) -> httpx.AsyncBaseTransport:
    """The transport a client sends through (for the delivery client, the guarded one)."""
    return http._transport


@lru_cache(maxsize=1024)
def _parsed(url: str) -> httpx.URL:
    return httpx.URL(url)


def read_bid(
    ping: PingRequest, status_code: int, content_type: str | None, response: httpx.Response
) -> Bid:
    """The buyer's answer as a bid: ``no_bid`` when it declines (its verdict ``rejected`` or
    ``duplicate``, or no bid at the bid path), ``error`` when the answer is garbage (an
    unreadable body, a verdict that matches no term, a bid that is not a number ≥ 0)."""
    mapping = ping.response
    body = response.content
    verdict = classify_response(mapping, status_code, content_type, body)
    if verdict.outcome == "error":
        return Bid("error", reason=verdict.reason)
    if verdict.outcome != "accepted":
        return Bid("no_bid", reason=verdict.reason)
    paths = {"bid": mapping.bid_path}
    if mapping.ping_id_path:
        paths["pingId"] = mapping.ping_id_path
    found, unreadable = read_paths(mapping.body_format, content_type, body, paths)
    if unreadable is not None:
        return Bid("error", reason=unreadable)
    if found["bid"] is None:
        return Bid("no_bid", reason=f"no bid at {mapping.bid_path}")
    amount = as_amount(found["bid"])
    if amount is None:
        return Bid("error", reason=f"the bid {found['bid'][:40]!r} is not an amount")
    return Bid("bid", amount, found.get("pingId"), verdict.reason)


def as_amount(text: str) -> float | None:
    """A bid as a number of currency units: ``12.5``, ``"$12.50"``; None for anything else
    (negative, not finite, words)."""
    cleaned = text.strip().lstrip("$").replace(",", "")
    try:
        amount = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(amount) or amount < 0:
        return None
    return round(amount, 4)


def _elapsed(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
