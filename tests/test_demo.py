"""`make run`'s demo shows the product working, at any hour, and a re-run piles up nothing."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from leadflow.db.engine import create_engine
from leadflow.demo import morning_zone
from leadflow.models import ApiKey
from leadflow.schedules.calling_hours import calling_rules, is_within_calling_hours
from leadflow.schedules.config import WEEKDAYS, CallingHours, DayHours
from tests.support.cli import LEADFLOW, empty_database, leadflow_env
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> str:
    return await empty_database(request.param, tmp_path, postgres_server)


def demo(database_url: str, cwd: Path, *args: str) -> str:
    """``leadflow demo`` run from ``cwd``, as `make run` runs it from the clone."""
    result = subprocess.run(
        [str(LEADFLOW), "demo", *args],
        env=leadflow_env(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def exported(output: str) -> dict[str, str]:
    return {
        name: shlex.split(value)[0]
        for name, value in re.findall(r"^export (\w+)=(.*)$", output, re.MULTILINE)
    }


def test_the_demo_schedule_is_inside_the_legal_hours_at_every_hour_of_the_year() -> None:
    hours = CallingHours(**{day: DayHours(open="0000", close="2400") for day in WEEKDAYS})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for step in range(0, 365 * 24 * 4, 7):  # every 105 minutes through a year, DST included
        now = start + timedelta(minutes=15 * step)
        zone = morning_zone(now)
        rules = calling_rules("+18004506787", None, None, zone, hours)
        assert is_within_calling_hours(rules, now), (now, zone)
        assert is_within_calling_hours(rules, now + timedelta(hours=11)), (now, zone)
        assert now.astimezone(ZoneInfo(zone)).hour in (8, 9), (now, zone)


def post_a_lead_and_wait_until_it_ends(
    base_url: str, env: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Post a sample lead as the README does; its lead and calls once its schedule ends it."""
    auth = tuple(env["LEADFLOW_AUTH"].split(":", 1))
    posted = httpx.post(
        f"{base_url}/api/v1/leads",
        params={
            "lead_token": env["LEADFLOW_LEAD_TOKEN"],
            "caller_id": "+18004506787",
            "email": "john@example.com",
            "first_name": "John",
        },
    )
    assert posted.status_code == 200, posted.text
    lead_id = posted.json()["lead"]["id"]
    deadline = time.monotonic() + 30
    lead: dict[str, Any] = {}
    while time.monotonic() < deadline:
        lead = httpx.get(f"{base_url}/api/v1/leads/{lead_id}", auth=auth).json()["lead"]
        if str(lead["status"]).startswith("completed"):
            break
        time.sleep(0.3)
    calls = httpx.get(f"{base_url}/api/v1/calls", params={"lead_id": lead_id}, auth=auth)
    return lead, calls.json()["calls"]


async def test_a_demo_lead_is_called_texted_and_emailed_at_once(
    empty_url: str, tmp_path: Path
) -> None:
    env = exported(demo(empty_url, tmp_path, "--env"))
    server = ServerProcess(empty_url, tmp_path)
    await asyncio.to_thread(server.start)
    try:
        lead, calls = await asyncio.to_thread(
            post_a_lead_and_wait_until_it_ends, server.base_url, env
        )
    finally:
        server.stop()
    assert str(lead["status"]).startswith("completed"), lead
    assert [c["status"] for c in calls] == ["completed"]
    assert "+18885550100" in json.dumps(calls[0])  # the demo number is the From
    timeline = json.dumps(lead)
    assert "sms" in timeline
    assert "email" in timeline


async def test_a_rerun_reuses_the_demo_keys_and_password(empty_url: str, tmp_path: Path) -> None:
    first, second = demo(empty_url, tmp_path), demo(empty_url, tmp_path)
    pattern = re.compile(r"private key: +(\S+).*password: +(\S+)", re.DOTALL)
    first_found, second_found = pattern.search(first), pattern.search(second)
    assert first_found
    assert second_found
    assert first_found.groups() == second_found.groups()
    stored = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
    assert stored["private_key"] == first_found.group(1)
    assert (tmp_path / "var" / "demo-credentials.json").stat().st_mode & 0o077 == 0
    engine = create_engine(empty_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count(ApiKey.id))) == 1
    finally:
        await engine.dispose()


def test_serve_says_where_it_is_listening(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'ready.db'}", tmp_path)
    server.start()
    try:
        deadline = time.monotonic() + 10
        expected = f"Leadflow is listening on http://localhost:{server.port}"
        while expected not in server.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert expected in server.log()
    finally:
        server.stop()
