"""A served process builds its routes and compiles its templates before its first request.

Built lazily, the first sign-in page stalled the event loop for 300-800 ms, and every other
company's lead posts waited behind it. The check runs in a fresh interpreter, as uvicorn's
worker does: it imports ``leadflow.asgi``, then counts what the first requests still build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIRST_REQUESTS = """
import asyncio, json
import httpx
import fastapi.routing as routing
import jinja2

import leadflow.asgi as served

built = {"routes": 0, "templates": 0}
from_api_route = routing._EffectiveRouteContext.from_api_route.__func__
load = jinja2.loaders.BaseLoader.load  # reached only when a template is not compiled yet

def counting_route(cls, *args, **kwargs):
    built["routes"] += 1
    return from_api_route(cls, *args, **kwargs)

def counting_load(self, *args, **kwargs):
    built["templates"] += 1
    return load(self, *args, **kwargs)

routing._EffectiveRouteContext.from_api_route = classmethod(counting_route)
jinja2.loaders.BaseLoader.load = counting_load

async def main():
    transport = httpx.ASGITransport(app=served.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://leadflow") as client:
        statuses = [(await client.get(path)).status_code for path in ("/login", "/api/v1/offers")]
    print(json.dumps({"statuses": statuses, **built}))

asyncio.run(main())
"""


def test_the_first_requests_of_a_served_process_build_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'leadflow.db'}",
        "LEADFLOW_SESSION_SECRET": "s" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_REQUESTS],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["statuses"] == [200, 401]  # the sign-in page, and an API route asking for a key
    assert seen["routes"] == 0
    assert seen["templates"] == 0
