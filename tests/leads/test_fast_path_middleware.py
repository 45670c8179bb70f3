"""The lead post's fast path (``leads.fast_path``) is answered before FastAPI's middleware.

That is only right while the app has no middleware a lead post must pass through. These tests
wrap every middleware the app is built with in a recorder and post a lead the fast path takes:
a middleware that did not see it was bypassed. Today the app has none, so nothing can be
bypassed; whoever adds one (request ids, CORS, sessions...) sees the first test fail until the
fast path honours it (or stops taking requests while it is there). The second test shows the
check does catch a bypassed middleware.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from leadflow.models import Schedule
from tests.leads.conftest import CALLER


class _Recording:
    """Runs ``inner`` and notes, by name, each request it was handed."""

    def __init__(self, app: ASGIApp, inner: Middleware, seen: list[str]) -> None:
        self.name = getattr(inner.cls, "__name__", repr(inner.cls))
        self.inner: ASGIApp = inner.cls(app, *inner.args, **inner.kwargs)
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append(self.name)
        await self.inner(scope, receive, send)


class _Stamp:
    """A middleware such as a newcomer might add (it does nothing here but pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _record_middleware(app: FastAPI) -> tuple[list[str], list[str]]:
    """Wrap each of ``app``'s middleware in a recorder: (the names, the list they note in)."""
    seen: list[str] = []
    wrapped = [Middleware(_Recording, inner=m, seen=seen) for m in app.user_middleware]
    names = [getattr(m.cls, "__name__", repr(m.cls)) for m in app.user_middleware]
    app.user_middleware[:] = wrapped
    app.middleware_stack = None  # built again, with the recorders, on the next request
    return names, seen


async def _bypassed(app: FastAPI, client: httpx.AsyncClient, schedule: Schedule) -> list[str]:
    names, seen = _record_middleware(app)
    response = await client.post(
        "/api/v1/leads",
        json={"lead_token": schedule.leads_api_key, "caller_id": CALLER},
    )
    assert response.status_code == 200, response.text
    return [name for name in names if name not in seen]


async def test_every_middleware_of_the_app_sees_a_fast_path_lead_post(
    app: FastAPI, client: httpx.AsyncClient, schedule: Schedule
) -> None:
    bypassed = await _bypassed(app, client, schedule)
    assert bypassed == [], (
        f"{bypassed} never see TrackDrive's lead post: leads/fast_path.py answers it before "
        "the middleware. Make the fast path honour them, or not take requests while they run."
    )


async def test_a_middleware_added_to_the_app_is_caught_when_the_fast_path_skips_it(
    app: FastAPI, client: httpx.AsyncClient, schedule: Schedule
) -> None:
    app.add_middleware(_Stamp)
    assert await _bypassed(app, client, schedule) == ["_Stamp"]
