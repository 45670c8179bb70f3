"""A subscription's target answers what it likes, but the worker reads no more than
``LEADFLOW_DELIVERY_MAX_ANSWER_BYTES`` of it (declared, or inflated from gzip) and waits no
longer than the connect and read timeouts together: past either the try is recorded failed,
naming the limit, and retried like any other transport error. Targets speak raw HTTP/1.1 on
loopback."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest

from leadflow.clock import FrozenClock
from leadflow.settings import Settings
from tests.support.raw_http import (
    GUARD_SECONDS,
    dribble,
    padded,
    raw_server,
    sized,
)
from tests.webhooks.conftest import Hooks

CAP = 65_536
TIMEOUT_SECONDS = 1.0
OK = b'{"ok": true}'


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
        webhook_timeout_seconds=TIMEOUT_SECONDS,
        delivery_max_answer_bytes=CAP,
    )


async def deliver(hooks: Hooks) -> int:
    async with asyncio.timeout(GUARD_SECONDS):
        return await hooks.deliver()


async def test_an_answer_twice_the_cap_fails_the_try_naming_the_cap_and_is_retried(
    hooks: Hooks, clock: FrozenClock
) -> None:
    async with raw_server(sized(padded(OK, 2 * CAP)), sized(OK)) as target:
        subscription = await hooks.subscribe(target.url())
        await hooks.post_lead()

        assert await deliver(hooks) == 1

        [delivery] = await hooks.deliveries(subscription["id"])
        assert delivery["status"] == "pending"
        [attempt] = delivery["attempt_log"]
        assert attempt["status_code"] is None
        assert attempt["error"] == (
            "AnswerTooLargeError: the answer (HTTP 200) is larger than "
            f"LEADFLOW_DELIVERY_MAX_ANSWER_BYTES ({CAP} bytes); not read further, "
            "connection closed"
        )

        clock.advance(minutes=1)
        assert await deliver(hooks) == 1

    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [None, 200]
    assert target.connections == 2  # the refused answer's connection was not reused


async def test_a_gzip_answer_inflating_past_the_cap_fails_the_try(hooks: Hooks) -> None:
    bomb = gzip.compress(b" " * (4 * CAP))
    async with raw_server(sized(bomb, b"Content-Encoding: gzip\r\n")) as target:
        assert len(bomb) < CAP
        subscription = await hooks.subscribe(target.url())
        await hooks.post_lead()

        await deliver(hooks)

    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "pending"
    assert "LEADFLOW_DELIVERY_MAX_ANSWER_BYTES" in delivery["attempt_log"][0]["error"]


async def test_a_target_dribbling_its_answer_is_cut_off_within_the_timeouts(
    hooks: Hooks,
) -> None:
    """Each byte comes well within the read timeout; the whole would take 100 s."""
    async with raw_server(dribble) as target:
        subscription = await hooks.subscribe(target.url())
        await hooks.post_lead()

        started = time.monotonic()
        await deliver(hooks)
        elapsed = time.monotonic() - started

    assert elapsed < 2 * TIMEOUT_SECONDS + 4  # connect + read, the claim, room for a busy host
    [delivery] = await hooks.deliveries(subscription["id"])
    assert delivery["status"] == "pending"
    assert delivery["attempt_log"][0]["error"] == (
        "ReadTimeout: the answer did not end within 2 s (the connect and read timeouts together)"
    )
