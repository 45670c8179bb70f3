"""``GET /metrics`` (Prometheus's text format). ``/healthz`` is declared with the app's other
probe, ``/api/v1/ping``, in ``leadflow.app``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from leadflow.app_state import app_state
from leadflow.ops.health import HealthLimits
from leadflow.ops.scrape import CONTENT_TYPE, database_gauges, may_scrape, render
from leadflow.settings import Settings

router = APIRouter()


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
