"""A campaign's dynamic-key template that breaks a limit is refused when saved (422 naming the
field); stored anyway, it ends its own submission ``error`` with a ``dynamic_keys`` step, at
once, while another company's lead goes through; and no template runs while the pipeline
holds SQLite's write lock, so another writer never waits behind one."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from leadflow.app_state import state_of
from leadflow.settings import Settings
from tests.factories import Factory
from tests.submissions.pipeline.buyer import Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint

NESTED_RANGES = "{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}"
# Over the range limit too, but a finite 9 million iterations where nothing enforces it.
STORED_NESTED_RANGES = (
    "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}"
)
# Within this module's limits (below) and busy for a second or more of CPU.
BUSY = (
    "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(3) %}"
    "{% endfor %}{% endfor %}{% endfor %}done"
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
        template_max_loop_iterations=5_000_000,
        template_cpu_seconds=60,
    )


def template_key(template: str) -> dict[str, Any]:
    return {"key": "tier", "kind": "template", "template": template}


async def test_a_nested_range_dynamic_key_is_refused_when_saved(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    body = {"name": "Auto", "code": "auto", "dynamicKeys": [template_key(NESTED_RANGES)]}
    answer = await client.post(
        "/api/v1/campaigns",
        json=body,
        headers={"X-API-Key": f"{tenant.public_key}.{tenant.private_key}"},
    )
    assert answer.status_code == 422, answer.text
    [detail] = answer.json()["error"]["details"]
    assert detail["field"] == "dynamicKeys.0.template"
    assert "range of 20000 items" in detail["message"]


async def test_a_stored_nested_range_key_fails_its_submission_at_once(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    hostile = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/hostile", ACCEPTED_JSON)),
        dynamicKeys=[template_key(STORED_NESTED_RANGES)],
    )
    other = Pipeline(
        pipeline.app,
        pipeline.factory,
        await pipeline.factory.tenant(),
        pipeline.clock,
        pipeline.job,
    )
    friendly = await other.campaign(endpoint=json_endpoint(buyer.on("/friendly", ACCEPTED_JSON)))
    broken = await pipeline.submit(hostile)
    fine = await other.submit(friendly)

    started = time.perf_counter()
    await pipeline.work()
    assert time.perf_counter() - started < 5

    submission = await pipeline.submission(broken)
    assert submission.status == "error"
    [keys] = [s for s in submission.steps if s["step"] == "dynamic_keys"]
    assert keys["outcome"] == "error"
    assert "range of 3000 items is over the limit of 1000" in keys["reason"]
    assert buyer.received("/hostile") == []
    assert (await pipeline.submission(fine)).status == "delivered"
    assert len(buyer.received("/friendly")) == 1
    assert await pipeline.work() == 0  # not tried again


@pytest.mark.engines("sqlite")  # PostgreSQL has no database-wide write lock
async def test_no_template_runs_while_the_write_lock_is_held(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    """Another process's writes (an API's lead posts) keep committing while a campaign's
    template spends its CPU budget."""
    engine = state_of(pipeline.app).engine
    busy = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/busy", ACCEPTED_JSON)),
        dynamicKeys=[template_key(BUSY)],
    )
    submitted = await pipeline.submit(busy)
    waits: list[float] = []
    stop = threading.Event()

    def post_meanwhile() -> None:
        path = make_url(str(engine.url)).database or ""
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            while not stop.is_set():
                asked = time.perf_counter()
                connection.execute("BEGIN IMMEDIATE")
                waits.append(time.perf_counter() - asked)
                connection.execute("UPDATE companies SET name = name")
                connection.execute("COMMIT")
                time.sleep(0.005)
        finally:
            connection.close()

    writer = threading.Thread(target=post_meanwhile)
    writer.start()
    started = time.perf_counter()
    try:
        await pipeline.work()
    finally:
        stop.set()
        writer.join()

    assert time.perf_counter() - started > 0.3  # the template did take its time
    submission = await pipeline.submission(submitted)
    assert submission.status == "delivered"
    assert max(waits) < 0.25, f"a writer waited {max(waits):.2f} s for the lock"
