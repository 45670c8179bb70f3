"""The worker's side of web uploads: take a queued import and run it a slice at a time.

A slice is :data:`SLICE_ROWS` rows (a few batches), after which the job hands the worker back
to its other jobs (the cadence must not wait minutes behind a million-row file) and carries on
in the next round. The import's record says where it stands, so a worker killed midway leaves
it ``running`` with an old ``updated_at``; after :data:`STALE_AFTER` any worker takes it up
again from its last committed row. With no import to run, it deletes uploads never started.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from leadflow.imports import flow
from leadflow.imports.repository import LeadImportRepository
from leadflow.imports.service import LeadImporter, Progress
from leadflow.kit.csv_reader import CsvFileError, CsvLayout, inspect
from leadflow.kit.errors import TrackDriveError
from leadflow.leads.owner import OwnerCache
from leadflow.models import LeadImport, LeadImportStatus
from leadflow.worker.context import WorkerContext

log = logging.getLogger(__name__)
SLICE_ROWS = 2000
BATCH_ROWS = 500
"""Smaller than the CLI's batches: a SQLite batch holds the worker's event loop while it runs."""
STALE_AFTER = timedelta(seconds=60)
DRAFT_KEPT = timedelta(days=1)
"""How long an upload may wait for its columns to be mapped before the file is deleted (up to
512 MB each: a page closed after the upload must not keep it for ever)."""
FORGET_EVERY = timedelta(minutes=10)
FORGET_AT_ONCE = 100


class LeadImportJob:
    """One import at a time per worker; its layout is read once, when it is taken."""

    def __init__(self) -> None:
        self._current: tuple[int, CsvLayout] | None = None
        self._owners: OwnerCache | None = None
        self._forget_after: datetime | None = None

    async def __call__(self, context: WorkerContext) -> int:
        if self._current is None:
            async with context.sessionmaker() as session:
                uploads = await asyncio.to_thread(_uploads, context)
                taken = await LeadImportRepository(session).claim_queued(
                    context.clock.now(), STALE_AFTER, uploads
                )
                await session.commit()
            if taken is None:
                return await self._forget_drafts(context)
            try:
                layout = await asyncio.to_thread(inspect, Path(taken.path))
            except CsvFileError as exc:
                await self._fail(context, taken.id, str(exc))
                return 1
            self._current = (taken.id, layout)
        import_id, layout = self._current
        return await self._slice(context, import_id, layout)

    async def _slice(self, context: WorkerContext, import_id: int, layout: CsvLayout) -> int:
        async with context.sessionmaker() as session:
            record = await LeadImportRepository(session).get(import_id)
        if record is None or record.status != LeadImportStatus.RUNNING:
            self._current = None
            return 0
        if self._owners is None:
            self._owners = OwnerCache(context.engine)
        importer = LeadImporter(
            context.committer,
            self._owners,
            context.clock,
            max_json_depth=context.settings.max_json_depth,
            batch_rows=BATCH_ROWS,
            dnc=context.dnc,
        )
        start = Progress(record.total_rows, record.rows_done, record.accepted, record.rejected)
        try:
            done = await importer.run(
                Path(record.path),
                layout,
                record.lead_token,
                record.mapping,
                import_id=record.id,
                start=start,
                max_rows=SLICE_ROWS,
            )
        except (CsvFileError, TrackDriveError) as exc:
            reason = str(exc) if isinstance(exc, CsvFileError) else flow.message(exc)
            await self._fail(context, import_id, reason)
            return 1
        if done.rows_done - start.rows_done < SLICE_ROWS:
            await flow.finish_import(
                context.sessionmaker, context.clock, import_id, LeadImportStatus.DONE
            )
            self._forget_file(record, context)
            self._current = None
        return max(1, done.rows_done - start.rows_done)

    async def _fail(self, context: WorkerContext, import_id: int, reason: str) -> None:
        log.warning("import %s failed: %s", import_id, reason)
        await flow.finish_import(
            context.sessionmaker, context.clock, import_id, LeadImportStatus.FAILED, reason
        )
        self._current = None

    async def _forget_drafts(self, context: WorkerContext) -> int:
        """Delete uploads left unstarted for :data:`DRAFT_KEPT`, their files with them; looked
        for every :data:`FORGET_EVERY` while the worker has no import to run."""
        now = context.clock.now()
        if self._forget_after is not None and now < self._forget_after:
            return 0
        self._forget_after = now + FORGET_EVERY
        async with context.sessionmaker() as session:
            repo = LeadImportRepository(session)
            drafts = await repo.abandoned_drafts(now - DRAFT_KEPT, FORGET_AT_ONCE)
            for draft in drafts:
                self._forget_file(draft, context)
                await repo.delete(draft)
            await session.commit()
        return len(drafts)

    @staticmethod
    def _forget_file(record: LeadImport, context: WorkerContext) -> None:
        """An uploaded copy is deleted once imported (rejected rows are kept in the table)."""
        path = Path(record.path)
        if path.parent == Path(context.settings.import_dir).resolve():
            path.unlink(missing_ok=True)


def _uploads(context: WorkerContext) -> str:
    """The start of a web upload's path as its record names it: the folder, resolved, and a
    separator."""
    return os.path.join(Path(context.settings.import_dir).resolve(), "")
