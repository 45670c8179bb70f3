"""``GET /metrics``: who may read it, and the text it answers.

Metrics tell a stranger how much business goes through the service, so they are not public:
with ``LEADFLOW_METRICS_TOKEN`` set, a scrape must send ``Authorization: Bearer <token>``;
without one, only clients in ``LEADFLOW_METRICS_ALLOWED_NETWORKS`` (loopback by default: a
Prometheus on the same machine or a sidecar) are answered. Anyone else gets a 404, as if
there were no such page.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.ops.health import HealthLimits, check_health
from leadflow.ops.metrics import TALLY
from leadflow.ops.multiprocess import multiprocess_directory
from leadflow.ops.repository import report_backlog, submission_backlog, webhook_backlog
from leadflow.settings import Settings

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def may_scrape(settings: Settings, authorization: str | None, client_host: str | None) -> bool:
    """The token when one is set, else the client's address in the allowed networks."""
    token = settings.metrics_token.get_secret_value()
    if token:
        given = (authorization or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if not client_host:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    networks = [n.strip() for n in settings.metrics_allowed_networks.split(",") if n.strip()]
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


class _Gauges:
    """Values read from the database for this scrape, as a collector."""

    def __init__(self, values: dict[str, tuple[str, float]]) -> None:
        self.values = values

    def collect(self) -> Iterator[Metric]:
        for name, (text, value) in self.values.items():
            family = GaugeMetricFamily(name, text)
            family.add_metric([], value)
            yield family


async def database_gauges(
    engine: AsyncEngine, now: datetime, limits: HealthLimits
) -> dict[str, tuple[str, float]]:
    """Lag, live workers and backlogs, whichever process or machine does the work."""
    health = await check_health(engine, now, limits)
    values = {
        "leadflow_database_up": (
            "1 when the database answered this scrape.",
            float(health.database_ok),
        ),
        "leadflow_worker_processes": (
            "Worker processes whose heartbeat is recent.",
            float(len(health.live_workers())),
        ),
    }
    if health.lag_seconds is not None:
        values["leadflow_worker_lag_seconds"] = (
            "How long the oldest due lead has waited for its next action.",
            health.lag_seconds,
        )
    if health.database_ok:
        async with engine.connect() as connection:
            values["leadflow_webhook_backlog"] = (
                "Webhook deliveries still owed (pending).",
                float(await webhook_backlog(connection)),
            )
            values["leadflow_submission_backlog"] = (
                "Submissions the pipeline has not finished (new, pending, processing, queued).",
                float(await submission_backlog(connection)),
            )
            values["leadflow_report_pending_leads"] = (
                "New leads waiting for the worker to count them into the report counters.",
                float(await report_backlog(connection)),
            )
    return values


def render(gauges: dict[str, tuple[str, float]]) -> bytes:
    """Every process's samples (or this process's, outside ``serve``) and the gauges."""
    TALLY.flush()
    directory = multiprocess_directory()
    if directory:
        forget_dead_processes(directory)
        shared = CollectorRegistry()
        MultiProcessCollector(shared, path=directory)  # type: ignore[no-untyped-call]
    else:
        shared = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Gauges(gauges))
    return generate_latest(shared) + generate_latest(scraped)


def forget_dead_processes(directory: str) -> None:
    """Drop the live gauges (pool use) of processes that are gone: an API process or worker
    that crashed and was started again would otherwise be counted for ever, its pool beside
    its successor's. prometheus-client leaves this to ``mark_process_dead``, which nothing
    calls for a process killed by the OOM killer or ``kill -9``; its counters stay, as they
    should."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, and not ours to judge
    return True
