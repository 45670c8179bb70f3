"""The request id: one string that ties an API request to every log line it causes, the
worker's included.

A caller may send its own (``X-Request-ID``, as proxies and load balancers do); otherwise one
is made. Either way the response carries it back, the lead a post creates stores it
(``leads.request_id``), and the worker binds it again while it works that lead, so one grep
finds the post and every action the worker ran for it (see docs/operations.md).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = b"x-request-id"
MAX_LENGTH = 64
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current_request_id: ContextVar[str | None] = ContextVar("leadflow_request_id", default=None)
"""The id of the request (or of the lead's request, in the worker) being served now."""


def new_request_id() -> str:
    """32 hex digits: unique without coordination between processes and machines."""
    return uuid.uuid4().hex


def accepted_request_id(sent: str | None) -> str:
    """The caller's id when it is a plain token of at most 64 characters, else a new one: a
    log line must not carry what a caller chose to inject (newlines, markup, megabytes)."""
    if sent is not None and _ACCEPTED.fullmatch(sent):
        return sent
    return new_request_id()


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The id for a request with these (ASGI, lower-case) headers."""
    for name, value in headers:
        if name == HEADER:
            return accepted_request_id(value.decode("latin-1"))
    return new_request_id()
