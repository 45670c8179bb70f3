"""The operator's probes: ``/api/v1/ping``, ``/healthz`` and ``GET /metrics`` (Prometheus's text
format).

Every route here is a module-level function that finds its app through the request. A route
function made inside the app factory would close over the app, and FastAPI keeps each route
function it classifies in process-wide caches of 4,096 entries: every app ever built (and its
engine, templates and caches) would stay alive, as they did in the test suite, whose heap grew
until each full garbage collection paused for seconds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from leadflow.app_state import app_state
from leadflow.dnc.checks import dnc_health_warnings
from leadflow.kit.envelope import TrackDriveErrorBody
from leadflow.kit.errors import TrackDriveError
from leadflow.ops.health import HealthLimits, check_health
from leadflow.ops.scrape import CONTENT_TYPE, database_gauges, may_scrape, render
from leadflow.settings import Settings

router = APIRouter()
probes_router = APIRouter(tags=["health"])
"""Included first, before lead intake: probes must answer however the other routes grow."""


@probes_router.get("/api/v1/ping")
async def ping() -> dict[str, bool]:
    """Answers without touching the database: the baseline the benchmarks compare with."""
    return {"ok": True}


@probes_router.get(
    "/healthz",
    responses={
        503: {"model": TrackDriveErrorBody, "description": "The database cannot be reached"}
    },
)
async def healthz(request: Request) -> dict[str, Any]:
    """200 while the database answers, with the workers' heartbeats and the cadence's lag
    (``status`` is ``degraded`` when either is off); 503 when the database cannot be
    reached, so a balancer stops sending traffic to a process that could not store a
    lead. See :mod:`leadflow.ops.health`."""
    state = app_state(request)
    limits = HealthLimits(
        state.settings.health_heartbeat_stale_seconds, state.settings.health_max_lag_seconds
    )
    health = await check_health(state.engine, state.clock.now(), limits)
    if not health.database_ok:
        raise TrackDriveError(503, {"database": ["unreachable"]}, "unhealthy")
    body = health.as_dict()
    warnings = await dnc_health_warnings(request.app)  # do-not-call lists (leadflow.dnc.checks)
    if warnings:
        body["warnings"] = warnings
    return body


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Every process's metrics and the database's gauges; 404 to anyone not allowed to scrape
    (see :mod:`leadflow.ops.scrape`)."""
    settings: Settings = app_state(request).settings
    client = request.client.host if request.client else None
    if not may_scrape(settings, request.headers.get("authorization"), client):
        return Response(status_code=404)
    limits = HealthLimits(settings.health_heartbeat_stale_seconds, settings.health_max_lag_seconds)
    gauges = await database_gauges(
        app_state(request).engine, app_state(request).clock.now(), limits
    )
    return Response(render(gauges), media_type=CONTENT_TYPE)
