"""What a job gets: everything it may touch, built once per process and passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadflow.channels.factory import build_channels
from leadflow.channels.protocol import Channels
from leadflow.clock import Clock
from leadflow.db.engine import make_sessionmaker
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.snapshot import SnapshotReader
from leadflow.dnc.registry import DncRegistry
from leadflow.kit.pinned_http import OutboundPolicy, pinned_client
from leadflow.settings import Settings


@dataclass
class WorkerContext:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    committer: GroupCommitter
    clock: Clock
    settings: Settings
    channels: Channels
    http: httpx.AsyncClient
    """For users' URLs (webhooks, webhook actions, the AI qualifier): pinned to the addresses
    the outbound URL policy passed (:mod:`leadflow.kit.pinned_http`), no redirects followed,
    a short timeout, answers capped as buyers' are (``delivery_max_answer_bytes``, the whole
    exchange within the connect and read timeouts together). The channels use their own
    client, for the operator's providers."""
    dnc: DncRegistry | None = None
    """The shared do-not-call lists in force in this process (leadflow.dnc.registry)."""
    snapshots: SnapshotReader | None = None
    """Read snapshots beside the write connection, for decisions made outside SQLite's write
    lock (:mod:`leadflow.db.snapshot`); None on PostgreSQL, whose claims lock rows, not the
    database."""


@asynccontextmanager
async def worker_context(
    engine: AsyncEngine, committer: GroupCommitter, clock: Clock, settings: Settings
) -> AsyncIterator[WorkerContext]:
    """The context for one process, its HTTP client closed when the process stops."""
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    snapshots = snapshot_reader(engine)
    policy = OutboundPolicy(settings.allow_private_urls, settings.allow_loopback_urls)
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=False) as providers,
            pinned_client(policy, timeout, settings.delivery_max_answer_bytes) as http,
        ):
            yield WorkerContext(
                engine=engine,
                sessionmaker=make_sessionmaker(engine),
                committer=committer,
                clock=clock,
                settings=settings,
                channels=build_channels(settings, providers),
                http=http,
                snapshots=snapshots,
                dnc=DncRegistry(engine, settings.dnc_dir, settings.dnc_refresh_seconds),
            )
    finally:
        if snapshots is not None:
            snapshots.close()


def snapshot_reader(engine: AsyncEngine) -> SnapshotReader | None:
    """A reader for a SQLite file; none for PostgreSQL, or for a private in-memory database
    that a second connection would not see."""
    if engine.dialect.name != "sqlite":
        return None
    path = make_url(str(engine.url)).database
    if not path or path == ":memory:":
        return None
    return SnapshotReader(path)
