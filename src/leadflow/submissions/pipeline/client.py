"""The worker's HTTP client for buyers: deliveries, pings, OAuth tokens and pixels."""

from __future__ import annotations

import ssl

import httpx

from leadflow.kit.answer_limits import MAX_ANSWER_BYTES, CappedTransport
from leadflow.kit.pinned_http import OutboundPolicy, PinnedTransport
from leadflow.submissions.pipeline.wire import KeepAliveTransport


def delivery_client(
    policy: OutboundPolicy,
    timeout_seconds: float,
    engine: str = "wire",
    ssl_context: ssl.SSLContext | None = None,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> httpx.AsyncClient:
    """The delivery client: redirects never followed (a 3xx is the buyer's answer, and
    following it would send the lead to a host the policy never saw in the URL), no
    environment proxy, answers capped at ``max_answer_bytes``; ``ssl_context`` replaces the
    system's trusted CAs (tests)."""
    return httpx.AsyncClient(
        transport=delivery_transport(policy, engine, ssl_context, max_answer_bytes),
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )


def delivery_transport(
    policy: OutboundPolicy,
    engine: str = "wire",
    ssl_context: ssl.SSLContext | None = None,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> httpx.AsyncBaseTransport:
    """The delivery client's transport: ``wire`` (:class:`KeepAliveTransport`, the one used)
    or ``httpx`` (:class:`PinnedTransport`, httpx's own over a pinned httpcore backend, under
    :class:`CappedTransport`), both pinned to the addresses the policy passed, and both
    holding a buyer's answer to the same size and time (see
    :mod:`~leadflow.kit.answer_limits`).

    ``httpx`` stays only so that the two can be measured again in turns when httpcore changes
    (``--transport`` on ``bench.submit``, ``bench.auction`` and ``bench.delivery_transport``;
    the worker reads the ``delivery_transport`` setting)
    and the behaviour tests run on both. Its pool is given no cap on connections: an auction
    has ten pings in flight and a worker 64 deliveries, and a capped pool would queue them,
    which the other engine never does; idle connections are kept as long as there."""
    if engine == "wire":
        return KeepAliveTransport(policy, ssl_context, max_answer_bytes)
    if engine == "httpx":
        limits = httpx.Limits(
            max_connections=None, max_keepalive_connections=None, keepalive_expiry=5.0
        )
        verify: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        pinned = PinnedTransport(policy, limits=limits, verify=verify)
        return CappedTransport(pinned, max_answer_bytes)
    raise ValueError(f"unknown delivery transport {engine!r}")
