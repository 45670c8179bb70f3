"""Refusals answered below the framework (body too large, JSON too deep, too slow, too many
connections), in the dialect of the route the request was for.

``kit.handlers`` picks the dialect from the matched route; these refusals happen before any
route is matched (that is their point: nothing is parsed or looked up first), so the dialect is
read off the request itself, by the same rules the routes follow: ``X-API-Key`` and the
LeadSail paths answer LeadSail's body, the rest of ``/api`` TrackDrive's envelope, and
everything else is the web app, which gets a page.
"""

from __future__ import annotations

from html import escape

import orjson
from starlette.types import Scope, Send

from leadflow.kit.errors import LeadSailError, TrackDriveError

# Paths whose routes are LeadSail routes even without X-API-Key (see submissions.endpoints
# and campaigns.endpoints, which declare route_class=LeadSailRoute).
LEADSAIL_PATHS = ("/api/v1/leads/submit", "/api/v1/campaigns")
_LEADSAIL_CODES = {
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    422: "VALIDATION_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
_TRACKDRIVE_CODES = {
    408: "request_timeout",
    413: "payload_too_large",
    503: "service_unavailable",
}
_TITLES = {
    408: "Request timeout",
    413: "Request too large",
    422: "Request not accepted",
    503: "Service unavailable",
}


def dialect(scope: Scope) -> str:
    """``leadsail``, ``trackdrive`` or ``html``, for a request no route has matched yet."""
    path: str = scope.get("path", "")
    if not path.startswith("/api/"):
        return "html"
    if path.startswith(LEADSAIL_PATHS):
        return "leadsail"
    for name, _ in scope.get("headers", ()):
        if name == b"x-api-key":
            return "leadsail"
    return "trackdrive"


def refusal(scope: Scope, status: int, field: str, message: str) -> tuple[bytes, bytes]:
    """The content type and body refusing a request: ``field`` is what was wrong (``body``, a
    JSON field) and ``message`` says why, as the dialect's field errors do."""
    kind = dialect(scope)
    if kind == "leadsail":
        summary = "Validation failed" if status == 422 else f"{field} {message}"
        error = LeadSailError(
            status,
            _LEADSAIL_CODES.get(status, "ERROR"),
            summary,
            [{"field": field, "message": message}],
        )
        return b"application/json", orjson.dumps(error.body())
    if kind == "trackdrive":
        td = TrackDriveError(status, {field: [message]}, _TRACKDRIVE_CODES.get(status))
        return b"application/json", orjson.dumps(td.body())
    title = escape(_TITLES.get(status, "Request refused"))
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><main><h1>{title}</h1><p>{escape(field)} {escape(message)}.</p>"
        "<p><a href=/>Back to Leadflow</a></p></main></body></html>"
    )
    return b"text/html; charset=utf-8", page.encode()


async def refuse(scope: Scope, send: Send, status: int, field: str, message: str) -> None:
    """Answer ``status`` through ASGI and ask the server to close the connection, so the rest
    of a refused body is never read."""
    content_type, body = refusal(scope, status, field, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def raw_response(scope: Scope | None, status: int, field: str, message: str) -> bytes:
    """The same refusal as bytes on the wire, for the connection layer (``kit.connections``)
    that answers before or outside any ASGI request."""
    content_type, body = refusal(scope or {"path": "/api/"}, status, field, message)
    head = (
        f"HTTP/1.1 {status} {_TITLES.get(status, 'Error')}\r\n"
        f"content-type: {content_type.decode()}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body
