"""An app that has served and shut down is freed: nothing process-wide keeps it alive.

FastAPI classifies every route function in caches that live as long as the process (4,096
entries each). A route function made inside the app factory closed over the app, so every app
built in the process stayed in memory with its engine, templates and caches. One served process
builds one app and never noticed; the test suite builds thousands, and its heap grew until each
full garbage collection paused for seconds.
"""

from __future__ import annotations

import gc
import weakref

import httpx

from leadflow.app import create_app
from leadflow.clock import FrozenClock
from leadflow.settings import Settings


async def test_an_app_that_served_its_probes_is_freed_once_dropped(database_url: str) -> None:
    settings = Settings(database_url=database_url, embedded_worker=False, db_pool_size=5)
    app = create_app(settings, FrozenClock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://leadflow.test") as http:
            assert (await http.get("/api/v1/ping")).status_code == 200
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/api/v1/leads")).status_code == 401
    dropped = weakref.ref(app)
    del app, transport, http
    gc.collect()

    assert dropped() is None
