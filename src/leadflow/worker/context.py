"""What a job gets: everything it may touch, built once per process and passed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadflow.channels.factory import build_channels
from leadflow.channels.protocol import Channels
from leadflow.clock import Clock
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.session import make_sessionmaker
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
    """For webhooks and webhook actions: no redirects followed, a short timeout."""


@asynccontextmanager
async def worker_context(
    engine: AsyncEngine, committer: GroupCommitter, clock: Clock, settings: Settings
) -> AsyncIterator[WorkerContext]:
    """The context for one process, its HTTP client closed when the process stops."""
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        yield WorkerContext(
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            committer=committer,
            clock=clock,
            settings=settings,
            channels=build_channels(settings, http),
            http=http,
        )
