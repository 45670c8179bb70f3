"""Every database test runs twice: on SQLite and on a throwaway PostgreSQL cluster.

Set ``LEADFLOW_TEST_POSTGRES_URL`` to use a server of your own instead. With
``LEADFLOW_REQUIRE_POSTGRES=1`` (as CI sets) a PostgreSQL that cannot start fails the run
instead of skipping its half of the tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from leadflow.app import create_app
from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.db.migrate import upgrade
from leadflow.heap import freeze_startup_objects
from leadflow.settings import Settings
from tests.factories import Factory
from tests.support.databases import (
    create_postgres_database,
    fresh_sqlite,
    migrated_sqlite_template,
    truncate_postgres,
)
from tests.support.postgres import Cluster, start_cluster

ENGINES = ("sqlite", "postgresql")

# Real servers on loopback that any test may ask for: a Twilio-compatible REST API, an SMTP sink,
# and a real browser against a real server.
pytest_plugins = ["tests.support.telephony", "tests.support.smtp", "tests.support.browser"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.engines("sqlite")`` keeps a test to the engines it is about.

    A test of SQLite's write lock means nothing on PostgreSQL: it is not collected there at
    all rather than skipped, so a skipped PostgreSQL test always means a missing server.
    """
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("engines")
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("database_url") if callspec is not None else None
        if marker is not None and engine is not None and engine not in marker.args:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    given = os.environ.get("LEADFLOW_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    cluster: Cluster | None = None
    try:
        cluster = start_cluster()
    except Exception as exc:
        if os.environ.get("LEADFLOW_REQUIRE_POSTGRES") == "1":
            pytest.exit(f"PostgreSQL is required but could not start: {exc}", returncode=3)
        yield None
        return
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
async def postgres_database(postgres_server: str | None) -> str | None:
    if postgres_server is None:
        return None
    url = await create_postgres_database(postgres_server, f"leadflow_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    return url


@pytest.fixture(params=ENGINES)
async def database_url(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    postgres_database: str | None,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """A migrated, empty database on each engine in turn."""
    if request.param == "sqlite":
        yield fresh_sqlite(sqlite_template, tmp_path)
        return
    if postgres_database is None:
        pytest.skip("PostgreSQL is not available")
    await truncate_postgres(postgres_database)
    yield postgres_database


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, embedded_worker=False, db_pool_size=5)


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://leadflow.test") as http:
        yield http


@pytest.fixture
def factory(app: FastAPI, clock: FrozenClock) -> Factory:
    return Factory(state_of(app).sessionmaker, clock)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection built (every module, route and model) out of the collector's way.

    A full collection walks every live object; leaving the ones that live for the whole run
    (half a million) in its generations made each one pause for a second on a loaded machine.
    """
    freeze_startup_objects()  # as a served process does once its app is built
