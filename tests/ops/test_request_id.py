"""The API's request id reaches the worker's log lines for the lead the request created."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadflow.ops.request_id import accepted_request_id
from tests.factories import Factory
from tests.support.server import ServerProcess


@pytest.mark.parametrize("sent", ["abc\ninjected", "x" * 65, "", "<script>"])
def test_a_request_id_that_is_not_a_plain_token_is_replaced(sent: str) -> None:
    made = accepted_request_id(sent)
    assert made != sent
    assert len(made) == 32


def test_a_plain_request_id_is_kept() -> None:
    assert accepted_request_id("lb-7f3a.42:9") == "lb-7f3a.42:9"


def _json_lines(log_dir: Path) -> list[dict[str, Any]]:
    """Every JSON line the server and its worker wrote (the whole log, not its tail)."""
    lines = []
    for path in log_dir.glob("server-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{") and line.endswith("}"):
                lines.append(json.loads(line))
    return lines


@pytest.mark.slow
async def test_the_workers_log_line_for_a_posted_lead_carries_the_posts_request_id(
    database_url: str, tmp_path: Path
) -> None:
    from leadflow.clock import SystemClock
    from leadflow.db.engine import create_engine, make_sessionmaker

    engine = create_engine(database_url, pool_size=1)
    try:
        rows = Factory(make_sessionmaker(engine), SystemClock())
        tenant = await rows.tenant()
        schedule = await rows.schedule(tenant)
    finally:
        await engine.dispose()
    server = ServerProcess(
        database_url,
        tmp_path,
        env={"LEADFLOW_LOG_FORMAT": "json", "LEADFLOW_LOG_LEVEL": "DEBUG"},
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            posted = await http.post(
                "/api/v1/leads",
                json={"lead_token": schedule.leads_api_key, "caller_id": "+17193130001"},
                headers={"X-Request-ID": "incident-4711"},
            )
            unnamed = await http.post(
                "/api/v1/leads",
                json={"lead_token": schedule.leads_api_key, "caller_id": "+17193130002"},
            )
        assert posted.status_code == 200
        assert posted.headers["x-request-id"] == "incident-4711"
        made = unnamed.headers["x-request-id"]
        assert len(made) == 32
        lead_ids = {
            "incident-4711": posted.json()["lead"]["id"],
            made: unnamed.json()["lead"]["id"],
        }

        found: dict[str, str] = {}
        for _ in range(100):
            for entry in _json_lines(tmp_path):
                if entry["logger"] == "leadflow.cadence.job" and "request_id" in entry:
                    found[entry["request_id"]] = entry["message"]
            if set(lead_ids) <= set(found):
                break
            await asyncio.sleep(0.2)
    finally:
        server.stop()

    for request_id, lead_id in lead_ids.items():
        assert found.get(request_id, "").startswith(f"working lead {lead_id}:"), found
