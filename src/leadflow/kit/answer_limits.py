"""What the answer of a URL a user configured may make the worker hold.

Whoever runs the URL chooses its answer: a buyer (delivery endpoint, ping, OAuth token URL,
pixel), a company's webhook subscription target or schedule webhook action, an AI qualifier's
endpoint. So the worker bounds it, on the delivery client's own transport
(:class:`~leadflow.submissions.pipeline.wire.KeepAliveTransport`) and on httpx's
(:class:`CappedTransport`, under the delivery client's ``httpx`` choice and under
:func:`~leadflow.kit.pinned_http.pinned_client`, the worker's client for webhooks and the AI
qualifier) alike, so that ``LEADFLOW_DELIVERY_MAX_ANSWER_BYTES`` and the timeouts mean the
same on all of them: one company's URL cannot make the worker hold gigabytes, or wait for
ever, while every other company's work queues behind it.

- **Size.** A body over the cap is not read further: a ``Content-Length`` over it is refused
  before a byte of the body is read, a chunked or read-until-close body once the bytes read
  pass it, a ``gzip`` or ``deflate`` body once its decoded bytes would (it is decoded here,
  under the cap, and handed on plain: httpx would inflate a megabyte into a gigabyte whole).
  :class:`AnswerTooLargeError` is raised and the connection closed, never reused (but for a
  coded body httpcore read to its end, whose sound connection httpx's pool keeps). The head
  is bounded by h11 (16 KiB on the wire, 100 KiB in httpcore), past which h11 raises, as an
  ``httpx.RemoteProtocolError``.
- **Time.** Each wait for bytes is bounded by the read timeout, as in httpcore, and the whole
  exchange (connecting, writing, the whole answer) by the connect and read timeouts together
  (:func:`exchange_seconds`), so a URL dribbling a byte now and then cannot hold a try
  longer than that (what a delivery's lease allows a try, see
  ``delivery.longest_send_seconds``): ``httpx.ReadTimeout``.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import httpx

MAX_ANSWER_BYTES = 1 << 20
"""The default cap on an answer's body (``LEADFLOW_DELIVERY_MAX_ANSWER_BYTES`` sets the
worker's): buyers answer a verdict and an id in a few hundred bytes, and webhooks keep no more than
their status and 500 characters of an error's answer."""
INFLATE_WBITS = {b"gzip": zlib.MAX_WBITS | 16, b"deflate": zlib.MAX_WBITS}
Headers = list[tuple[bytes, bytes]]


class AnswerTooLargeError(httpx.RemoteProtocolError):
    """The URL answered more than the cap allows: not read further, its connection closed.

    A buyer did answer, so the delivery records it as a failed try and does not send the
    lead again (it may have taken it); a webhook records a failed try like any other
    transport error."""


def too_large(cap: int, status_code: int) -> str:
    return (
        f"the answer (HTTP {status_code}) is larger than "
        f"LEADFLOW_DELIVERY_MAX_ANSWER_BYTES ({cap} bytes); not read further, connection closed"
    )


def exchange_seconds(timeouts: dict[str, Any]) -> float | None:
    """The longest one exchange may take in all: the connect and read timeouts together
    (what a delivery's lease allows a try, see ``delivery.longest_send_seconds``); None when
    either is unbounded."""
    connect, read = timeouts.get("connect"), timeouts.get("read")
    return None if connect is None or read is None else float(connect) + float(read)


def too_slow(seconds: float | None) -> str:
    return f"the answer did not end within {seconds:g} s (the connect and read timeouts together)"


def decoded(
    headers: Headers, body: bytes, cap: int, status_code: int, request: httpx.Request
) -> tuple[Headers, bytes]:
    """The body with its ``gzip``/``deflate`` content codings undone, each under the cap (a
    kilobyte of ``gzip`` can inflate to a megabyte), and the headers without
    ``Content-Encoding``/``Content-Length``, so httpx does not inflate it again. Codings
    httpx does not know are left as httpx leaves them: not decoded."""
    codings: list[bytes] = []
    kept: Headers = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-encoding":
            codings += [part.strip().lower() for part in value.split(b",")]
        elif lowered != b"content-length":
            kept.append((name, value))
    if not any(coding in INFLATE_WBITS for coding in codings):
        return headers, body
    for coding in reversed(codings):
        if coding in INFLATE_WBITS:
            body = _inflate(body, coding, cap, status_code, request)
    return kept, body


def _inflate(
    body: bytes, coding: bytes, cap: int, status_code: int, request: httpx.Request
) -> bytes:
    """One coding undone, producing at most ``cap + 1`` bytes; ``deflate`` is tried as zlib,
    then raw (servers send both under that name, and httpx reads both)."""
    try:
        try:
            plain = zlib.decompressobj(INFLATE_WBITS[coding]).decompress(body, cap + 1)
        except zlib.error:
            if coding != b"deflate":
                raise
            plain = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, cap + 1)
    except zlib.error as exc:
        raise httpx.DecodingError(f"{coding.decode()} answer: {exc}", request=request) from exc
    if len(plain) > cap:
        raise AnswerTooLargeError(too_large(cap, status_code), request=request)
    return plain


class AnswerBody:
    """An answer's body as it arrives, held to the cap: one rule for every transport. A
    declared length over the cap is refused before a byte of the body is read; bytes past
    it, however framed, as soon as they arrive."""

    def __init__(
        self, cap: int, status_code: int, declared: bytes | str | None, request: httpx.Request
    ) -> None:
        self._cap, self._status_code, self._request = cap, status_code, request
        self._parts: list[bytes] = []
        self._size = 0
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise self._too_large()

    def add(self, part: bytes) -> None:
        self._size += len(part)
        if self._size > self._cap:
            raise self._too_large()
        self._parts.append(part)

    def whole(self) -> bytes:
        return b"".join(self._parts)

    def _too_large(self) -> AnswerTooLargeError:
        return AnswerTooLargeError(too_large(self._cap, self._status_code), request=self._request)


class CappedTransport(httpx.AsyncBaseTransport):
    """httpx's own transport (``LEADFLOW_DELIVERY_TRANSPORT=httpx``, and the worker's client
    for webhooks) held to the limits the delivery client's own
    (:class:`~leadflow.submissions.pipeline.wire.KeepAliveTransport`) keeps:
    the answer streamed no further than the cap (a stream closed early makes httpcore close
    that connection rather than pool it), decoded here under the cap, and the whole exchange
    bounded by :func:`exchange_seconds`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, max_answer_bytes: int) -> None:
        self._inner = inner
        self._cap = max_answer_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        total = exchange_seconds(request.extensions.get("timeout", {}))
        try:
            async with asyncio.timeout(total):
                response = await self._inner.handle_async_request(request)
                try:
                    body = await self._read(response, request)
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise httpx.ReadTimeout(too_slow(total), request=request) from exc
        headers, body = decoded(
            list(response.headers.raw), body, self._cap, response.status_code, request
        )
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions=response.extensions,
        )

    async def _read(self, response: httpx.Response, request: httpx.Request) -> bytes:
        declared = response.headers.get("content-length")
        body = AnswerBody(self._cap, response.status_code, declared, request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        async for part in stream:
            body.add(part)
        return body.whole()

    async def aclose(self) -> None:
        await self._inner.aclose()
