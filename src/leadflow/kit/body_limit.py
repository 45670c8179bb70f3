"""The request body limit (``LEADFLOW_MAX_BODY_BYTES``) and the JSON depth limit, applied to
every HTTP request before anything reads, parses or authenticates it.

Why here: the framework reads a whole body before a route's credentials are checked, so a
200 MB post with a wrong token cost the API process a gigabyte. ``LeadflowApp.__call__`` runs
:meth:`RequestLimits.admit` first, for the lead post's fast path and FastAPI alike:

- a ``Content-Length`` over the route's limit is answered 413 before a byte of the body is read;
- a chunked body is counted as it streams in and answered 413 as soon as it passes the limit;
- a JSON body for a FastAPI route is read (it is small by then) and its depth measured
  (``kit.json_depth``), answered 422 naming the field; the lead post's fast path measures the
  body it decodes itself (``leads.params.merge_body``), so it is decoded once.

The lead post with a ``Content-Length`` within the limit (nearly every request) costs one pass
over its headers and a comparison: the server already stops the body at its stated length.

Routes that need larger bodies (a file upload, say) are listed in :data:`ROUTE_BODY_LIMITS`
by path prefix; nothing else needs to change.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from starlette.types import Message, Receive, Scope, Send

from leadflow.kit.json_depth import deepest_field
from leadflow.kit.refusals import refuse

# (path prefix, largest body in bytes) for routes allowed more than LEADFLOW_MAX_BODY_BYTES;
# the first prefix that matches wins. Example: ("/api/v1/uploads", 50 * 1024 * 1024).
ROUTE_BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/imports", 512 * 1024 * 1024),  # a CSV file of leads (web upload)
    ("/api/v1/dnc/lists/", 256 * 1024 * 1024),  # a do-not-call list (API upload)
    ("/dnc", 256 * 1024 * 1024),  # a do-not-call list (web upload)
)


class BodyTooLargeError(Exception):
    """A chunked body passed its limit while streaming in."""


class RequestLimits:
    """The limits of one app, read once from its settings."""

    __slots__ = ("max_body_bytes", "max_json_depth", "route_limits")

    def __init__(
        self,
        max_body_bytes: int,
        max_json_depth: int,
        route_limits: Sequence[tuple[str, int]] = ROUTE_BODY_LIMITS,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.route_limits = tuple(route_limits)

    def body_limit(self, path: str) -> int:
        """The largest body ``path`` accepts."""
        for prefix, limit in self.route_limits:
            if path.startswith(prefix):
                return limit
        return self.max_body_bytes

    async def admit(self, scope: Scope, receive: Receive, send: Send, fast: bool) -> Receive | None:
        """The ``receive`` the app should read the request with, or None when the request was
        answered here (413, 422) or its client went away. ``fast``: the lead post's fast path,
        which measures the JSON depth of the body it decodes itself."""
        length: bytes | None = None
        chunked = False
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                content_type = value
        limit = self.body_limit(scope["path"]) if self.route_limits else self.max_body_bytes
        is_json = not fast and _is_json(content_type)
        if length is not None and not chunked:
            if _size(length) > limit:
                await refuse(scope, send, 413, "body", f"is larger than {limit} bytes")
                return None
            if not is_json or length == b"0":
                return receive
        elif not chunked:
            return receive  # no body at all
        try:
            body = await _read(receive, limit)
        except BodyTooLargeError:
            await refuse(scope, send, 413, "body", f"is larger than {limit} bytes")
            return None
        if body is None:
            return None
        if is_json:
            field = _too_deep(body, self.max_json_depth)
            if field is not None:
                message = f"is nested more than {self.max_json_depth} levels deep"
                await refuse(scope, send, 422, field, message)
                return None
        return _replay(body, receive)


def _size(length: bytes) -> int:
    try:
        return int(length)
    except ValueError:  # the server refuses such a header first; never read an unknown size
        return 1 << 62


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media.endswith(b"json")


def _too_deep(body: bytes, limit: int) -> str | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # not JSON: the route answers that in its own words
    return deepest_field(value, limit)


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, counted as it streams in; None if the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the server's own messages
    (a disconnect) after it."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
