"""For the benchmarks only: the delivery client's transport interface over aiohttp's
connection pool (``--transport aiohttp`` on bench.auction and bench.delivery_transport), the
candidate issue #23 names beside httpx's own transport.

It was the delivery transport for an hour on 7 December 2026 and went back out: per delivery
it costs what the transport of the pipeline's own does (``submissions/pipeline/wire.py``), but
per auction about a third more CPU, and at 100 auctions a second its decisions came 27 to 43 ms
past the deadline against 8 ms (target 20): docs/submission.md, Delivery transport. aiohttp is
a development dependency, not one of the service's.

The pipeline speaks httpx (requests, responses, timeouts, exception types), as webhooks and
the AI qualifier do; aiohttp moves the bytes. Connections go only to addresses the outbound URL
policy passed: aiohttp asks :class:`PinnedResolver` for a host's addresses, which resolves the
name once and checks every answer, then connects to one of them with the TLS server name and
certificate check still on the host name (DNS rebinding cannot slip a second answer in
between). A host written as an address is checked here, since aiohttp does not resolve it.

Kept from httpx: connect and read timeouts each bound one operation; redirects are never
followed (a 3xx is the buyer's answer); no environment proxy is read (a proxy would resolve the
name again, out of the policy's sight); a request is never re-sent here (aiohttp retries only
idempotent methods on a dropped keep-alive connection, and deliveries are POSTs or PUTs whose
retries are the delivery's decision). Answers are handed to httpx undecoded, so that httpx
decodes ``Content-Encoding`` once.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from leadflow.kit.outbound_urls import literal_address
from leadflow.kit.pinned_http import OutboundPolicy
from leadflow.submissions.pipeline.client import delivery_transport

KEEPALIVE_SECONDS = 5.0
"""An idle connection older than this is closed rather than reused (servers drop idle
connections after a few seconds; writing into one being closed loses the request)."""


class PinnedResolver(AbstractResolver):
    """aiohttp's resolver, answering only addresses the outbound URL policy passed."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self._policy.addresses(host, port)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        return None


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over one aiohttp session (HTTP/1.1, keep-alive, no cap on
    connections: the worker bounds what is in flight)."""

    def __init__(self, policy: OutboundPolicy, ssl_context: ssl.SSLContext | None = None) -> None:
        self._policy = policy
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, Any], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=PinnedResolver(self._policy),
                limit=0,
                keepalive_timeout=KEEPALIVE_SECONDS,
                use_dns_cache=False,
                # httpx's context: certifi's CAs, or the bundle SSL_CERT_FILE / SSL_CERT_DIR name.
                ssl=self._ssl_context or httpx.create_ssl_context(),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                trust_env=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}")
        if literal_address(url.host) is not None:
            await self._policy.addresses(url.host, url.port or 0)  # refuses a barred address
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        try:
            async with self._open().request(
                request.method,
                str(url),
                data=request.content or None,
                # As written (httpx's multi_items() would lower-case the names, and some
                # buyers' servers still read headers case-sensitively).
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                allow_redirects=False,
                timeout=self._timeout(timeouts.get("connect"), timeouts.get("read")),
            ) as answer:
                content = await answer.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout("timed out reading the response", request=request) from exc
        except aiohttp.ClientConnectorDNSError as exc:
            raise httpx.ConnectError(f"cannot resolve {url.host}: {exc}", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc
        except (aiohttp.ClientResponseError, aiohttp.ClientPayloadError) as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        version = answer.version or aiohttp.HttpVersion11
        return httpx.Response(
            answer.status,
            headers=list(answer.raw_headers),
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/%d.%d" % (version.major, version.minor)},
        )

    def _timeout(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        key = (connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
            if len(self._timeouts) < 64:  # endpoints choose their timeout: bounded
                self._timeouts[key] = timeout
        return timeout

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def transport_named(engine: str, policy: OutboundPolicy) -> httpx.AsyncBaseTransport:
    """``aiohttp`` (this module's), or one of the delivery client's own (``wire``, ``httpx``)."""
    if engine == "aiohttp":
        return AiohttpTransport(policy)
    return delivery_transport(policy, engine)


def client_named(engine: str, policy: OutboundPolicy, timeout: float) -> httpx.AsyncClient:
    """The delivery client (no redirects, no environment proxy) over :func:`transport_named`."""
    return httpx.AsyncClient(
        transport=transport_named(engine, policy),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
