"""``POST``/``PUT /api/v1/leads`` answered straight from ASGI, before FastAPI's middleware and
router.

Why: publishers post leads far more often than anything else is called, and for a lead post the
framework's layers (middleware, routing, ``Request`` and ``Response`` objects, exception
wrappers) cost about as much CPU as storing the lead. This path builds the same merged
parameters that ``params.collect`` builds and runs the very same :func:`answer_intake`, so the
answers, errors and durability are identical; the route stays registered with FastAPI, which
documents it and answers everything this path hands on: multipart and form bodies, LeadSail's
``X-API-Key`` dialect, and other paths.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from leadflow.kit.errors import TrackDriveError
from leadflow.leads.endpoints import answer_intake
from leadflow.leads.params import media_type, merge_body
from leadflow.leads.rules import IntakeMode

log = logging.getLogger(__name__)

PATH = "/api/v1/leads"
_JSON_HEADERS = [(b"content-type", b"application/json")]
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def takes(scope: Scope) -> bool:
    """Whether this path answers the request: a TrackDrive lead post whose body, if any, is not
    a form (``params.collect`` reads those with the framework's form parser)."""
    if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("POST", "PUT"):
        return False
    for name, _ in scope["headers"]:
        if name == b"x-api-key":
            return False  # LeadSail's dialect: FastAPI's submission routes answer it
    return _media_type(scope) not in FORMS


async def serve(app: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one lead post that :func:`takes` accepted."""
    body = await _read_body(receive)
    if body is None:
        return  # the client went away before sending its lead: there is no one to answer
    scope["app"] = app  # what Request.app (used for unblock_contact's credentials) reads
    request = Request(scope)
    try:
        query = scope["query_string"]
        values = dict(QueryParams(query)) if query else {}
        raw = merge_body(values, body, _media_type(scope), app.limits.max_json_depth)
        answer = await answer_intake(request, raw, IntakeMode.ENROL)
        status = 200
    except TrackDriveError as error:
        answer, status = orjson.dumps(error.body()), error.status
    except Exception:
        log.exception("unhandled error on %s %s", scope["method"], PATH)
        failure = TrackDriveError(500, {"base": ["internal error"]})
        answer, status = orjson.dumps(failure.body()), failure.status
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return media_type(value.decode("latin-1"))
    return ""


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
