"""The worker's heartbeat: a row per worker process, upserted every few seconds, that
``/healthz`` and ``leadflow status`` read from any machine (see :mod:`leadflow.ops.health`).

Each beat is a short transaction of its own on the engine: at one every few seconds it needs
neither the group commit's batching nor the plain-SQL layer's speed."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from leadflow.ops.repository import beat, forget_dead_workers, forget_worker
from leadflow.worker.context import WorkerContext
from leadflow.worker.periodic import Housekeeping

DEAD_WORKER_DAYS = 1
"""How long the row of a worker that died without saying so stays visible."""


class Heartbeat(Housekeeping):
    """Beats once per ``every_seconds``. It runs between the other jobs of a round, so a round
    stuck in a job shows as a heartbeat that stops: which is what an operator must hear of.
    An orderly stop deletes the row (``aclose``), so only dead workers go stale."""

    __name__ = "heartbeat"
    every_seconds = 5.0

    def __init__(self, every_seconds: float | None = None) -> None:
        super().__init__(every_seconds)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.worker = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.started_at: datetime | None = None
        self._context: WorkerContext | None = None

    async def work(self, context: WorkerContext) -> None:
        now = context.clock.now()
        self._context = context
        if self.started_at is None:
            self.started_at = now
        async with context.engine.begin() as connection:
            await beat(
                connection,
                worker=self.worker,
                host=self.host,
                pid=self.pid,
                started_at=self.started_at,
                now=now,
            )
            before = now - timedelta(days=DEAD_WORKER_DAYS)
            await forget_dead_workers(connection, before=before)

    async def aclose(self) -> None:
        """Called by the runner when the worker stops in order: no longer a worker."""
        if self._context is None:
            return
        async with self._context.engine.begin() as connection:
            await forget_worker(connection, worker=self.worker)
