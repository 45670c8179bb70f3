"""Outbound HTTP to URLs users configure: resolve once, check, connect to what was checked.

Checking a URL's host and then letting the HTTP client resolve it again to connect leaves a
gap: a DNS name that answers a public address to the check and ``127.0.0.1`` to the client
(DNS rebinding) passes the policy and reaches this machine. So the name is resolved exactly
once, here, every address it gave is judged by the outbound URL policy
(:mod:`leadflow.kit.outbound_urls`), and the socket is opened to one of those addresses. The
request still names the host: the ``Host`` header, the TLS server name (SNI) and certificate
verification all use the name from the URL, never the address.

Two transports use this one mechanism: :class:`PinnedTransport` (httpx's own transport with a
network backend that connects through :meth:`OutboundPolicy.addresses`), for webhooks,
schedule webhook actions and the AI qualifier (in :func:`pinned_client`, which caps their
answers as buyers' are capped: :mod:`leadflow.kit.answer_limits`); and the delivery client's
:class:`~leadflow.submissions.pipeline.wire.KeepAliveTransport` (buyer delivery, OAuth
tokens, pixels), kept because httpcore's pool cost three to seven times its CPU per request
and per auction at the rates deliveries and ping/post run at (issue #23; figures in that module).
Neither goes through a proxy, the environment's or any other: a proxy would resolve the name
again, out of our sight, so pinning could not hold; an operator who must send through one
has no setting for it.

A refusal raises :class:`RefusedUrlError` (final: retrying would not change it; it is also an
``httpx.ConnectError``); a name that does not resolve, or addresses that do not answer, raise
httpx's ordinary connect errors.
"""

from __future__ import annotations

import asyncio
import socket
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import httpcore
import httpx
from httpcore._backends.auto import AutoBackend

from leadflow.kit.answer_limits import MAX_ANSWER_BYTES, CappedTransport
from leadflow.kit.outbound_urls import check_outbound_url, literal_address, normalised_host

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port)`` → the addresses to try, as text; raises ``OSError`` when it cannot."""


class RefusedUrlError(ValueError, httpx.ConnectError):
    """The outbound URL policy refuses the target; retrying would not change that.

    Also an :class:`httpx.ConnectError`, so a caller that handles connection failures handles
    a refusal met while connecting too; callers that can stop retrying catch it first."""

    def __init__(self, message: str) -> None:
        httpx.ConnectError.__init__(self, message)


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (``getaddrinfo``), scope ids dropped."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


@dataclass(frozen=True)
class OutboundPolicy:
    """The operator's outbound settings and the resolver every connection uses."""

    allow_private: bool
    allow_loopback: bool
    resolver: Resolver = field(default=system_resolver, compare=False)

    def check_url(self, url: str) -> None:
        """The policy on the URL as written (no DNS); :class:`RefusedUrlError` if refused."""
        try:
            check_outbound_url(url, self.allow_private, allow_loopback=self.allow_loopback)
        except ValueError as exc:
            raise RefusedUrlError(str(exc)) from None

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``: resolved once, each one checked.

        Every answer must pass: a name that mixes a public address with a loopback one is
        refused as a whole rather than trusted for the addresses that look harmless."""
        host = normalised_host(host)
        literal = literal_address(host)
        if literal is not None:
            self._check_address(str(literal), host)
            return [str(literal)]
        found = await self.resolver(host, port)
        if not found:
            raise OSError(f"{host} has no address")
        for address in found:
            self._check_address(address, host)
        return found

    def _check_address(self, address: str, host: str) -> None:
        written = f"[{address}]" if ":" in address else address
        try:
            check_outbound_url(
                f"http://{written}/", self.allow_private, allow_loopback=self.allow_loopback
            )
        except ValueError as exc:
            shown = address if address == host else f"{host} resolves to {address}, which"
            raise RefusedUrlError(f"{shown} {exc}") from None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy passed."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self._inner = AutoBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.policy.addresses(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out resolving {host}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("outbound requests never use a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over :class:`PinnedBackend`: HTTP/1.1, TLS verified against the URL's
    host name, no proxy."""

    def __init__(self, policy: OutboundPolicy, **options: typing.Any) -> None:
        super().__init__(trust_env=False, **options)
        limits: httpx.Limits = options.get("limits", httpx.Limits())
        # httpx builds its pool without a way to pass the network backend; this is the same
        # pool (its own SSL context, limits), over ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=getattr(self._pool, "_ssl_context", None),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(policy),
        )


def pinned_client(
    policy: OutboundPolicy, timeout: httpx.Timeout, max_answer_bytes: int = MAX_ANSWER_BYTES
) -> httpx.AsyncClient:
    """The client for requests to users' URLs: pinned, no redirects, no proxies, and each
    answer held to ``max_answer_bytes`` and to the connect and read timeouts together
    (:mod:`leadflow.kit.answer_limits`): whoever runs the URL chooses what it answers."""
    return httpx.AsyncClient(
        transport=CappedTransport(PinnedTransport(policy), max_answer_bytes),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
