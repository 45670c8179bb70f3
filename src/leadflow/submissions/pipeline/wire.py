"""The delivery client's transport: HTTP/1.1 keep-alive connections to buyers, each request
written in one piece.

Why not httpx's own transport (issue #23, measured 6 December 2026 in turns on the same host
hour: ``bench.delivery_transport``, and ``--transport`` on ``bench.submit`` and
``bench.auction``): httpcore over anyio spent 1.2 to 1.3 ms of CPU per request with 4 in flight
and 3.7 to 3.8 ms with 64, where this one spends 0.4 to 0.7 ms with either. On each request and
each answer httpcore 1.0.9's pool (``_assign_requests_to_connections``) walks its connections
once per connection and once per waiting request; ten pings an auction, hundreds of
connections open, made that 37 to 49 ms of CPU per auction against 5.3 to 6.7 ms here, more
than two cores hold at 100 auctions/s. aiohttp's pool behind the same interface
(``bench/aiohttp_transport.py``) costs what this one does per delivery but a third more per
auction, whose decisions then came 27 to 43 ms past the deadline against 8 (target 20). This
transport keeps httpx's interface (requests,
responses, timeouts, its exception types) and h11's parsing, and drives asyncio protocols
directly: one write per request, one idle pool per origin.

Semantics kept from httpcore: connect, write and read timeouts each bound one operation (and,
beyond httpcore, the connect and read timeouts together bound the whole exchange); a
pooled connection the buyer has closed (or that holds bytes nobody asked for) is never reused;
a request is never re-sent here (a connection that fails after the request left raises, and the
delivery decides whether to try again).

- **TLS.** ``https`` buyers get TLS with the server name (SNI) and the certificate checked
  against the URL's host name, never the address connected to; trusted CAs are certifi's, or
  the bundle the ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` environment variables name (httpx's
  default context). A certificate that fails is an ``httpx.ConnectError`` before a byte of
  the request is written, which the delivery records as its error.
- **Redirects** are never followed, here or by the client (``follow_redirects=False``): a 3xx
  is the buyer's answer, returned like any other, and the response mapping classifies it.
- **Bodies.** Answers with ``Content-Length``, ``Transfer-Encoding: chunked`` or read until
  the buyer closes are read whole by h11, up to the cap on an answer's size, and within the
  exchange's time (:mod:`~leadflow.kit.answer_limits`); a request goes out
  whole, with its length. Bytes arriving on an idle kept-alive connection, which nobody
  asked for, close it at once rather than being buffered.
- **Proxies** are not supported, and no environment proxy is read: a proxy would resolve the
  buyer's name again, out of the outbound URL policy's sight, which is the gap below.

Connections go only to addresses the outbound URL policy passed: the host is resolved once by
:meth:`~leadflow.kit.pinned_http.OutboundPolicy.addresses`, and the socket opened to one of
those addresses, with the TLS server name and certificate check still on the host name (DNS
rebinding cannot slip a second answer in between).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import Any, cast

import h11
import httpx

from leadflow.kit.answer_limits import (
    MAX_ANSWER_BYTES,
    AnswerBody,
    Headers,
    decoded,
    exchange_seconds,
    too_slow,
)
from leadflow.kit.pinned_http import OutboundPolicy

KEEPALIVE_SECONDS = 5.0
"""An idle connection older than this is closed rather than reused (servers drop idle
connections after a few seconds; writing into one being closed loses the request)."""
MAX_IDLE_PER_ORIGIN = 64
READ_SIZE = 65536
DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


class _Wire(asyncio.Protocol):
    """One TCP (or TLS) connection: bytes received queue up until read."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None
        self.paused: asyncio.Future[None] | None = None
        self.idle = False
        """In the idle pool: bytes now are bytes nobody asked for."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.idle:
            # Never reusable now, and held by nobody: close it rather than buffer the bytes.
            self.close()
            return
        self.chunks.append(data)
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()
        if self.paused is not None and not self.paused.done():
            self.paused.set_result(None)

    def pause_writing(self) -> None:
        self.paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.paused is not None and not self.paused.done():
            self.paused.set_result(None)
        self.paused = None

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def read(self) -> bytes:
        """The next bytes received, or ``b""`` once the peer has closed."""
        while not self.chunks:
            if self.closed:
                return b""
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.chunks.popleft()

    def idle_and_open(self) -> bool:
        return not self.chunks and not self.closed and not self._transport_closing()

    def _transport_closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Connection:
    def __init__(self, wire: _Wire) -> None:
        self.wire = wire
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = time.monotonic()

    async def exchange(
        self, request: httpx.Request, timeouts: dict[str, Any], cap: int, ends: float | None
    ) -> httpx.Response:
        """Write the request in one piece, then read the whole response, at most ``cap``
        bytes of body, by the loop time ``ends`` at the latest."""
        head = h11.Request(
            method=request.method,
            target=request.url.raw_path,
            headers=list(request.headers.raw),
        )
        body = request.content
        data = self.h11.send(head) or b""
        if body:
            data += self.h11.send(h11.Data(data=body)) or b""
        data += self.h11.send(h11.EndOfMessage()) or b""
        await self._write(data, _sooner(timeouts.get("write"), ends), request)
        return await self._read_response(timeouts, request, cap, ends)

    async def _write(self, data: bytes, limit: float | None, request: httpx.Request) -> None:
        wire = self.wire
        if wire.transport is None or wire.transport.is_closing():
            raise httpx.WriteError("the connection was closed", request=request)
        wire.transport.write(data)
        if wire.paused is None:
            return
        try:
            async with asyncio.timeout(limit):
                await wire.paused
        except TimeoutError as exc:
            raise httpx.WriteTimeout("timed out writing the request", request=request) from exc

    async def _read_response(
        self, timeouts: dict[str, Any], request: httpx.Request, cap: int, ends: float | None
    ) -> httpx.Response:
        """Read until the response ends; the read timeout bounds each wait for bytes, as
        httpx's does, and ``ends`` the whole answer."""
        limit: float | None = timeouts.get("read")
        loop = asyncio.get_running_loop()
        head: h11.Response | None = None
        body: AnswerBody | None = None
        try:
            async with asyncio.timeout(None) as deadline:
                while True:
                    event = self.h11.next_event()
                    if event is h11.NEED_DATA:
                        until = None if limit is None else loop.time() + limit
                        if ends is not None and (until is None or ends < until):
                            until = ends
                        deadline.reschedule(until)
                        self.h11.receive_data(await self.wire.read())
                    elif isinstance(event, h11.InformationalResponse):
                        continue
                    elif isinstance(event, h11.Response):
                        head = event
                        declared = _header(event, b"content-length")
                        body = AnswerBody(cap, event.status_code, declared, request)
                    elif isinstance(event, h11.Data):
                        assert body is not None
                        body.add(bytes(event.data))
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        raise httpx.RemoteProtocolError(
                            "Server disconnected without sending a response.", request=request
                        )
        except TimeoutError as exc:
            if ends is not None and loop.time() >= ends:
                message = too_slow(exchange_seconds(timeouts))
                raise httpx.ReadTimeout(message, request=request) from exc
            raise httpx.ReadTimeout("timed out reading the response", request=request) from exc
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        assert head is not None
        assert body is not None
        headers: Headers = list(head.headers)
        content = body.whole()
        if _header(head, b"content-encoding") is not None:
            headers, content = decoded(headers, content, cap, head.status_code, request)
        return httpx.Response(
            head.status_code,
            headers=headers,
            stream=httpx.ByteStream(content),
            request=request,
            extensions={"http_version": b"HTTP/" + head.http_version},
        )

    def reusable(self) -> bool:
        """Both sides finished cleanly and kept the connection: ready for the next request."""
        if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            return False
        self.h11.start_next_cycle()
        self.idle_since = time.monotonic()
        return self.wire.idle_and_open()

    def fresh(self) -> bool:
        expired = time.monotonic() - self.idle_since > KEEPALIVE_SECONDS
        return not expired and self.wire.idle_and_open()


def _header(head: h11.Response, wanted: bytes) -> bytes | None:
    """A header's value (h11 gives names in lower case), or None."""
    return next((value for name, value in head.headers if name == wanted), None)


def _sooner(limit: float | None, ends: float | None) -> float | None:
    """A timeout of ``limit`` seconds, cut short to end by the loop time ``ends``."""
    if ends is None:
        return limit
    left = max(ends - asyncio.get_running_loop().time(), 0.0)
    return left if limit is None else min(limit, left)


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 only, no proxies; TLS verified with httpx's default context; connections only
    to addresses ``policy`` passed; answers capped at ``max_answer_bytes``."""

    def __init__(
        self,
        policy: OutboundPolicy,
        ssl_context: ssl.SSLContext | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self._policy = policy
        self._ssl_context = ssl_context
        self._cap = max_answer_bytes
        self._idle: dict[Origin, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        total = exchange_seconds(timeouts)
        ends = None if total is None else asyncio.get_running_loop().time() + total
        origin = _origin(request.url)
        connection = self._take_idle(origin) or await self._connect(origin, timeouts, request)
        try:
            response = await connection.exchange(request, timeouts, self._cap, ends)
        except BaseException:
            connection.wire.close()
            raise
        if connection.reusable():
            pool = self._idle.setdefault(origin, [])
            if len(pool) < MAX_IDLE_PER_ORIGIN:
                connection.wire.idle = True
                pool.append(connection)
                return response
        connection.wire.close()
        return response

    def _take_idle(self, origin: Origin) -> _Connection | None:
        pool = self._idle.get(origin)
        while pool:
            connection = pool.pop()
            connection.wire.idle = False
            if connection.fresh():
                return connection
            connection.wire.close()
        return None

    async def _connect(
        self, origin: Origin, timeouts: dict[str, Any], request: httpx.Request
    ) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls = self._tls() if scheme == "https" else None
        failure: httpx.TransportError | None = None
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                addresses = await self._policy.addresses(host, port)
                for address in addresses:
                    try:
                        _, wire = await loop.create_connection(
                            _Wire, address, port, ssl=tls, server_hostname=host if tls else None
                        )
                    except (OSError, ssl.SSLError) as exc:
                        message = str(exc) or type(exc).__name__
                        failure = httpx.ConnectError(message, request=request)
                        continue
                    return _Connection(wire)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
        assert failure is not None
        raise failure

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    async def aclose(self) -> None:
        for pool in self._idle.values():
            for connection in pool:
                connection.wire.close()
        self._idle.clear()


def _origin(url: httpx.URL) -> Origin:
    if url.scheme not in DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}")
    return (url.scheme, url.host, url.port or DEFAULT_PORTS[url.scheme])
