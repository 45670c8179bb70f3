"""The worker process ``leadflow serve`` starts beside the API: woken by the API at once, and
never outliving the ``serve`` that started it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import psutil
import pytest

from leadflow.db.engine import create_engine
from leadflow.ops.repository import heartbeats
from leadflow.worker.process import WakeSender, WorkerProcess, listen_for_wakes
from tests.submissions.pipeline.buyer import Answer, Buyer, serve
from tests.support.cli import run_leadflow
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until


async def test_a_wake_reaches_the_listening_worker(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    address = str(tmp_path / "wake.sock")
    listener = listen_for_wakes(loop, address, woken.set)
    sender = WakeSender(address)
    try:
        sender()
        await asyncio.wait_for(woken.wait(), timeout=5)
    finally:
        loop.remove_reader(listener.fileno())
        listener.close()
        sender.close()


def test_a_wake_with_no_worker_listening_is_dropped_without_an_error(tmp_path: Path) -> None:
    sender = WakeSender(str(tmp_path / "nobody-listens.sock"))
    try:
        sender()  # the request that committed the work must not fail for it
    finally:
        sender.close()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    # A poll so long that only a wake can explain a delivery within seconds.
    process = ServerProcess(
        database_url,
        tmp_path,
        env={"LEADFLOW_WORKER_POLL_SECONDS": "60", "LEADFLOW_ALLOW_LOOPBACK_URLS": "1"},
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    with serve(Buyer()) as running:
        yield running


def _has_beaten(database_url: str, pid: int) -> bool:
    """Whether the worker process ``pid`` has written its heartbeat row (``/healthz`` reads it)."""

    async def look() -> bool:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as connection:
                return any(beat.pid == pid for beat in await heartbeats(connection))
        finally:
            await engine.dispose()

    return asyncio.run(look())


def _worker_of(server: ServerProcess, other_than: int | None = None) -> psutil.Process:
    assert server.process is not None
    serve = psutil.Process(server.process.pid)
    found: list[psutil.Process] = []

    def running() -> bool:
        for child in serve.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                if "worker" in child.cmdline() and child.pid != other_than:
                    found.append(child)
                    return True
        return False

    wait_until(running, why=lambda: "serve runs no worker process:\n" + server.log())
    return found[0]


def _has_received(buyer: Buyer, count: int) -> bool:
    return len(buyer.received("/buy")) >= count


def _is_delivered(server: ServerProcess, headers: dict[str, str], lead_id: str) -> bool:
    shown = httpx.get(f"{server.base_url}/api/v1/leads/{lead_id}", headers=headers)
    assert shown.status_code == 200, shown.text
    return bool(shown.json()["data"]["status"] == "delivered")


@pytest.mark.slow
def test_serve_delivers_a_submission_through_its_worker_process_at_once(
    server: ServerProcess, buyer: Buyer, database_url: str
) -> None:
    company = json.loads(
        run_leadflow(database_url, "companies", "create", "--name", "Wake", "--json").stdout
    )
    key = f"{company['public_key']}.{company['private_key']}"
    endpoint = buyer.on("/buy", Answer(200, '{"status": "success", "leadId": "B-1"}'))
    server.start()
    headers = {"X-API-Key": key}
    campaign = httpx.post(
        f"{server.base_url}/api/v1/campaigns",
        json={
            "name": "Wake",
            "code": "wake",
            "timeZone": "UTC",
            "endpoint": {
                "url": endpoint,
                "payload": [{"clientKey": "phone", "sourceKey": "phone"}],
                "response": {"statusPath": "$.status", "leadIdPath": "$.leadId"},
            },
        },
        headers=headers,
    )
    assert campaign.status_code == 201, campaign.text
    # The first lead may meet the worker's first round at start; the second comes once the
    # worker has gone back to sleep for its 60 s poll, so only a wake can explain it.
    for number, phone in enumerate(("+12125550123", "+12125550124"), start=1):
        submitted = httpx.post(
            f"{server.base_url}/api/v1/leads/submit",
            json={
                "campaignId": "wake",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "email": f"ada{number}@example.com",
                "phone": phone,
            },
            headers=headers,
        )
        assert submitted.status_code == 200, submitted.text
        # Well inside the 60 s poll, so only a wake explains a delivery by then.
        wait_until(
            partial(_has_received, buyer, number),
            seconds=30,
            every=0.02,
            why=lambda: "the worker was not woken:\n" + server.log(),
        )
        # Once its answer is recorded, the round that delivered it is long over: the worker
        # sleeps, and the next lead finds it asleep.
        wait_until(
            partial(_is_delivered, server, headers, submitted.json()["leadId"]),
            why=lambda: "the delivery was never recorded:\n" + server.log(),
        )


@pytest.mark.slow
def test_the_worker_process_ends_when_serve_is_killed(server: ServerProcess) -> None:
    server.start()
    worker = _worker_of(server)
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)  # serve alone, not its process group
    server.process.wait(timeout=10)
    worker.wait(timeout=30)  # raises psutil.TimeoutExpired if it outlives serve
    server.process = None


@pytest.mark.slow
def test_a_worker_that_crashes_is_started_again(server: ServerProcess) -> None:
    server.start()
    crashed = _worker_of(server)
    crashed.kill()
    crashed.wait(timeout=10)
    again = _worker_of(server, other_than=crashed.pid)
    # Running is not enough: the new worker must get as far as its jobs, which beat first.
    wait_until(
        lambda: _has_beaten(server.database_url, again.pid),
        why=lambda: "the restarted worker never reported a heartbeat:\n" + server.log(),
    )
    assert again.is_running()
    assert again.status() != psutil.STATUS_ZOMBIE


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_while_the_worker_starts_stops_it_in_order(
    stop: signal.Signals,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C (or ``kill`` of the process group) reaches serve's worker too, which may still be
    importing or migrating: it stops in order once it can, without a traceback, and serve does
    not take it for a crash."""
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", database_url)
    worker = WorkerProcess()
    started = worker.process
    try:
        started.send_signal(stop)  # at once: its handlers come only after seconds of imports
        code = started.wait(timeout=120)
    finally:
        worker.stop()
    output = capfd.readouterr().err
    assert code == 0, output
    assert "Traceback" not in output
    assert worker.process is started, "serve started the worker again"
