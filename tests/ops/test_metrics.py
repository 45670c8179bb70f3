"""``GET /metrics``: Prometheus's text format, shared by every process of ``leadflow serve``,
read only by those allowed to."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from leadflow.app_state import state_of
from leadflow.demo import OPEN_ALL_WEEK, morning_zone
from leadflow.settings import Settings
from leadflow.worker.jobs import default_jobs
from tests.factories import Factory
from tests.support.cli import LEADFLOW, leadflow_env
from tests.support.postgres import free_port
from tests.support.server import ServerProcess

TOKEN = "scrape-me-7d1c"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        metrics_token=SecretStr(TOKEN),
    )


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def test_metrics_need_the_token_when_one_is_set(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 404
    assert (
        "leadflow_database_up 1.0"
        in (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    )


async def test_without_a_token_only_allowed_networks_may_scrape(database_url: str) -> None:
    from leadflow.app import create_app

    app = create_app(Settings(database_url=database_url, embedded_worker=False, db_pool_size=2))
    async with app.router.lifespan_context(app):
        for client_host, expected in (("203.0.113.7", 404), ("127.0.0.1", 200)):
            transport = httpx.ASGITransport(app=app, client=(client_host, 4321))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                assert (await http.get("/metrics")).status_code == expected


def test_a_network_that_is_not_one_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(ValidationError, match="'intranet' is not an address or CIDR network"):
        Settings(metrics_allowed_networks="10.0.0.0/8, intranet")
    assert Settings(metrics_allowed_networks="10.0.0.0/8, 192.0.2.7,::1").metrics_allowed_networks


def test_every_counted_outcome_is_served_at_zero_before_the_first_one() -> None:
    """A fresh process, as a just-started server is: deliveries, webhooks and cadence sends
    are in the scrape before any happened, so the dashboard's panels and ``rate()`` see them
    from 0."""
    script = (
        "from leadflow.ops.scrape import render; import sys;sys.stdout.write(render({}).decode())"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    samples = parse(result.stdout)

    for outcome in ("delivered", "failed", "refused"):
        assert (
            samples[("leadflow_webhook_deliveries_total", frozenset({("outcome", outcome)}))] == 0
        )
    for outcome in ("accepted", "rejected", "duplicate", "error"):
        assert samples[("leadflow_buyer_deliveries_total", frozenset({("outcome", outcome)}))] == 0
    for channel in ("call", "sms", "email", "webhook"):
        labels = frozenset({("channel", channel), ("outcome", "accepted")})
        assert samples[("leadflow_cadence_actions_total", labels)] == 0
    accepted = frozenset({("api", "leadsail"), ("outcome", "accepted"), ("reason", "")})
    assert samples[("leadflow_leads_total", accepted)] == 0


async def test_leads_posted_to_capture_and_create_or_update_are_counted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    name, labels = "leadflow_leads_total", {"api": "trackdrive"}
    before = await scrape(client)

    for path in ("/api/v1/leads/capture", "/api/v1/leads/create_or_update"):
        body = {"lead_token": schedule.leads_api_key, "caller_id": "+12125550123"}
        assert (await client.post(path, json=body)).status_code == 200
        refused = await client.post(path, json={**body, "lead_token": "nope"})
        assert refused.status_code == 401
    after = await scrape(client)

    accepted = {**labels, "outcome": "accepted", "reason": ""}
    assert value(after, name, **accepted) - value(before, name, **accepted) == 2
    unknown = {**labels, "outcome": "refused", "reason": "unknown_token"}
    assert value(after, name, **unknown) - value(before, name, **unknown) == 2


async def test_new_leads_waiting_for_the_report_fold_are_a_gauge(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """The queue of new leads the report counters have yet to count: one after a post, none
    once a report (or the worker) has folded it."""
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    body = {"lead_token": schedule.leads_api_key, "caller_id": "+12125550123"}
    assert (await client.post("/api/v1/leads", json=body)).status_code == 200
    assert value(await scrape(client), "leadflow_report_pending_leads") == 1

    assert (await client.get("/api/v1/reports", headers=tenant.auth)).status_code == 200

    assert value(await scrape(client), "leadflow_report_pending_leads") == 0


async def test_cadence_sends_are_counted_by_channel_and_outcome(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant, actions=[{"type": "call"}])
    before = await scrape(client)
    response = await client.post(
        "/api/v1/leads", json={"lead_token": schedule.leads_api_key, "caller_id": "+12125550123"}
    )
    assert response.status_code == 200, response.text
    for job in default_jobs():
        await job(state_of(app).worker_context)

    after = await scrape(client)

    name = "leadflow_cadence_actions_total"
    sent = value(after, name, channel="call", outcome="accepted")
    assert sent - value(before, name, channel="call", outcome="accepted") == 1


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path, args=["--workers", "2"])
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.slow
async def test_metrics_scraped_after_real_traffic_count_it(
    server: ServerProcess, database_url: str
) -> None:
    """Two API processes (``--workers 2``) and the worker beside them: one scrape, from
    whichever process answers it, sees what all of them counted."""
    from sqlalchemy.ext.asyncio import AsyncEngine

    from leadflow.clock import SystemClock
    from leadflow.db.engine import create_engine, make_sessionmaker

    engine: AsyncEngine = create_engine(database_url, pool_size=1)
    try:
        rows = Factory(make_sessionmaker(engine), SystemClock())
        tenant = await rows.tenant()
        schedule = await rows.schedule(tenant)
    finally:
        await engine.dispose()
    server.start()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        posts = [
            http.post(
                "/api/v1/leads",
                json={"lead_token": schedule.leads_api_key, "caller_id": f"+1719313{n:04d}"},
            )
            for n in range(40)
        ]
        answers = await asyncio.gather(*posts)
        assert {a.status_code for a in answers} == {200}
        refused = await http.post("/api/v1/leads", json={"lead_token": "nope", "caller_id": "1"})
        assert refused.status_code == 401
        await asyncio.sleep(1.5)  # every process adds its tally once a second

        samples: Samples = {}
        for _ in range(50):
            response = await http.get("/metrics")  # from loopback: allowed without a token
            assert response.status_code == 200
            samples = parse(response.text)
            if value(samples, "leadflow_worker_processes"):
                break
            await asyncio.sleep(0.2)

    assert (
        value(samples, "leadflow_leads_total", api="trackdrive", outcome="accepted", reason="")
        == 40
    )
    assert (
        value(
            samples,
            "leadflow_leads_total",
            api="trackdrive",
            outcome="refused",
            reason="unknown_token",
        )
        == 1
    )
    requests = value(
        samples,
        "leadflow_http_request_duration_seconds_count",
        route="/api/v1/leads",
        method="POST",
        status="200",
    )
    assert requests == 40
    assert value(samples, "leadflow_group_commit_batch_size_count") >= 1
    assert value(samples, "leadflow_group_commit_batch_size_sum") >= 40
    assert value(samples, "leadflow_database_up") == 1
    assert value(samples, "leadflow_worker_processes") == 1
    assert ("leadflow_worker_lag_seconds", frozenset()) in samples
    assert value(samples, "leadflow_webhook_backlog") == 0
    # Every process's pool, the worker's too: 1 connection each on SQLite, 10 + 10 overflow.
    per_process = 1 if database_url.startswith("sqlite") else 20
    assert value(samples, "leadflow_db_pool_connections_max") == 3 * per_process


async def test_every_metric_on_the_dashboard_is_served(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    import json
    import re

    dashboard = json.loads(
        (Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text()
    )
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"leadflow_\w+", target["expr"])
    }
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    families = {family.name for family in text_string_to_metric_families(response.text)}
    suffixes = ("", "_total", "_bucket", "_count", "_sum")
    served = {family + suffix for family in families for suffix in suffixes}

    assert queried - served == set()


@pytest.mark.slow
async def test_a_worker_run_on_its_own_serves_its_metrics_on_its_port(
    database_url: str, tmp_path: Path
) -> None:
    """Scale-out: an API-only ``serve`` and a ``leadflow worker`` of its own; the calls the
    worker placed are scraped from the worker's port, with the token."""
    from leadflow.clock import SystemClock
    from leadflow.db.engine import create_engine, make_sessionmaker

    engine = create_engine(database_url, pool_size=1)
    try:
        rows = Factory(make_sessionmaker(engine), SystemClock())
        tenant = await rows.tenant()
        # A toll-free number takes the schedule's zone: one where it is morning now.
        schedule = await rows.schedule(
            tenant,
            actions=[{"type": "call"}],
            calling_hours=OPEN_ALL_WEEK,
            time_zone=morning_zone(datetime.now(UTC)),
        )
    finally:
        await engine.dispose()
    api = ServerProcess(database_url, tmp_path, env={"LEADFLOW_EMBEDDED_WORKER": "false"})
    port = free_port()
    env = leadflow_env(
        database_url,
        LEADFLOW_WORKER_METRICS_PORT=str(port),
        LEADFLOW_METRICS_TOKEN=TOKEN,
        LEADFLOW_WORKER_POLL_SECONDS="0.2",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = subprocess.Popen(  # noqa: ASYNC220 (started once, not waited on here)
        [str(LEADFLOW), "worker"], env=env, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        api.start()
        async with httpx.AsyncClient(timeout=10) as http:
            posted = await http.post(
                f"{api.base_url}/api/v1/leads",
                json={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"},
            )
            assert posted.status_code == 200, posted.text
            url = f"http://127.0.0.1:{port}/metrics"
            placed = 0.0
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    answer = await http.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
                    assert answer.status_code == 200
                    samples = parse(answer.text)
                    placed = value(
                        samples,
                        "leadflow_cadence_actions_total",
                        channel="call",
                        outcome="accepted",
                    )
                    if placed:
                        break
                await asyncio.sleep(0.2)
            without_token = await http.get(url)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        api.stop()

    assert placed == 1
    assert value(samples, "leadflow_group_commit_batch_size_count") >= 1
    assert without_token.status_code == 404


def test_the_pool_of_a_process_that_died_is_no_longer_counted(tmp_path: Path) -> None:
    """A process killed without goodbye (``kill -9``, the OOM killer), whose successor opens a
    pool of its own: the scrape counts the living pool only."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    died = "from leadflow.ops.metrics import POOL_CAPACITY; POOL_CAPACITY.set(20)"
    subprocess.run([sys.executable, "-c", died], env=env, check=True)
    living = (
        "import sys; from leadflow.ops.metrics import POOL_CAPACITY; POOL_CAPACITY.set(5);"
        "from leadflow.ops.scrape import render; sys.stdout.write(render({}).decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", living], env=env, capture_output=True, text=True, check=True
    )

    assert value(parse(result.stdout), "leadflow_db_pool_connections_max") == 5
