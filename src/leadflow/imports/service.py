"""Importing a CSV file of leads: every row is one ``POST /api/v1/leads``.

Each row becomes the raw parameters of a post (its columns under their mapped names, the
import's lead token beside them) and goes through intake's own code: ``parse_intake`` for
normalisation and the 422 of every bad field (:mod:`leadflow.imports.parsing`, in a second
process for a large file: :mod:`leadflow.imports.pipeline`), the router's distribution, the shared
do-not-call lists, and intake's rules for duplicates, suppression, attribution and tokens
(``leads.batch``, which applies them to a whole batch with a few set-based statements). What
differs is only the transport: rows go to the database :data:`BATCH_ROWS` at a time, each
batch one group-commit unit holding its rows' leads, the import's progress and its rejected
rows, so a batch is all there or not at all and an import killed anywhere resumes at the first
row not committed.

A batch runs optimistically, every row in one go; if a row fails inside the database in a way
intake does not answer itself, the batch runs again through :func:`intake` with a savepoint per
row, which rejects that row alone, as ``db.group_commit`` does for posts.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from leadflow.clock import Clock
from leadflow.db.group_commit import GroupCommitter, is_transient
from leadflow.db.statements import Sql
from leadflow.dnc.registry import DncRegistry, ListHit
from leadflow.dnc.screening import schedule_hits
from leadflow.imports.parsing import ParsedRow, RowParser, message
from leadflow.imports.pipeline import HELPER_ROWS, ParseJob, parsed_batches
from leadflow.imports.repository import record_batch
from leadflow.kit.collector import collector_paused
from leadflow.kit.csv_reader import CsvLayout
from leadflow.kit.errors import TrackDriveError
from leadflow.leads.batch import BatchItem, intake_many
from leadflow.leads.owner import LeadOwner, OwnerCache, Routing
from leadflow.leads.params import IntakeParams
from leadflow.leads.rules import IntakeContext, IntakeMode
from leadflow.leads.service import intake

BATCH_ROWS = 1000
"""Rows per transaction: a commit's cost spread over many rows, a batch's work short enough
that posts waiting on the same write lock wait little."""
Rejected = tuple[int, str, list[str]]
"""A rejected row: its number, the API's message and its values."""


@dataclass(frozen=True)
class Progress:
    """Where an import stands: data rows read, and how many of them were accepted or
    rejected (blank rows are neither)."""

    total: int | None
    rows_done: int
    accepted: int
    rejected: int


@dataclass
class _Row:
    number: int
    values: list[str]
    owner: LeadOwner | None = None
    params: IntakeParams | None = None
    routing: Routing | None = None
    dnc_hits: tuple[ListHit, ...] = ()
    error: str | None = None

    def context(self, now: datetime, plain: IntakeContext) -> IntakeContext:
        """What intake knows of the row's post besides its parameters: most rows are neither
        routed nor listed, and share ``plain``."""
        if self.routing is None and not self.dnc_hits:
            return plain
        return IntakeContext(
            now=now,
            remote_ip=None,
            mode=IntakeMode.ENROL,
            routing=self.routing,
            dnc_hits=self.dnc_hits,
        )


@dataclass
class _BatchResult:
    accepted: int = 0
    rejected: list[Rejected] = field(default_factory=list)


class MappingError(ValueError):
    """``--map`` (or the web form's mapping) does not fit the file."""


def check_mapping(header: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """``--map column=name`` checked against the file's header (:class:`MappingError` says
    what is wrong). A column mapped to ``""`` is left out; ``lead_token`` is the import's."""
    unknown = [column for column in mapping if column not in header]
    if unknown:
        raise MappingError(
            f"no column {', '.join(unknown)} in the file; its columns: {', '.join(header)}"
        )
    if "lead_token" in mapping.values() or ("lead_token" in header and "lead_token" not in mapping):
        raise MappingError("lead_token comes from the import, not from a column; map it to ''")
    return {column: name.strip() for column, name in mapping.items()}


class LeadImporter:
    """Runs one import from a given row on; ``dry_run`` checks every row the way intake
    parses it and writes nothing. ``dnc`` is the process's shared do-not-call lists, which
    intake screens each lead's number against (None: no lists). ``helper_process`` lets a
    large import parse its rows in a second process (:mod:`leadflow.imports.pipeline`)."""

    def __init__(
        self,
        committer: GroupCommitter,
        owners: OwnerCache,
        clock: Clock,
        *,
        max_json_depth: int,
        batch_rows: int = BATCH_ROWS,
        dnc: DncRegistry | None = None,
        helper_process: bool = False,
    ) -> None:
        self.dnc = dnc
        self.helper_process = helper_process
        self.committer = committer
        self.owners = owners
        self.clock = clock
        self.max_json_depth = max_json_depth
        self.batch_rows = batch_rows

    async def run(
        self,
        path: Path,
        layout: CsvLayout,
        lead_token: str,
        mapping: Mapping[str, str],
        *,
        import_id: int | None,
        start: Progress,
        on_batch: Callable[[Progress, list[Rejected]], None] | None = None,
        max_rows: int | None = None,
    ) -> Progress:
        """Import every row after ``start.rows_done`` (at most ``max_rows`` of them);
        ``import_id`` None is a dry run. ``on_batch`` hears each committed batch (its progress
        and rejected rows)."""
        owner = await self.owners.resolve(lead_token)
        progress = start
        stop = None if max_rows is None else start.rows_done + max_rows
        parser = RowParser(layout.header, mapping, lead_token, owner.region, self.max_json_depth)
        left = _rows_left(start, max_rows)
        job = ParseJob(path, layout, parser, start.rows_done, stop, self.batch_rows)
        batches = parsed_batches(
            job, helper=self.helper_process and (left is None or left >= HELPER_ROWS)
        )
        async with aclosing(batches):
            ahead = asyncio.ensure_future(self._next(owner, batches))
            try:
                while (prepared := await ahead) is not None:
                    # The next batch is received and routed while this one commits: the
                    # writer's thread spends half of a batch inside SQLite, which lets go of
                    # the GIL, and this Python runs then instead of after it.
                    ahead = asyncio.ensure_future(self._next(owner, batches))
                    progress = await self._batch(prepared, import_id, progress, on_batch)
            finally:
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
        return progress

    async def _next(
        self, owner: LeadOwner, batches: AsyncIterator[list[ParsedRow]]
    ) -> list[_Row] | None:
        """The next batch, routed and screened; None after the last."""
        parsed = await anext(batches, None)
        return None if parsed is None else await self._prepare(owner, parsed)

    async def _batch(
        self,
        prepared: list[_Row],
        import_id: int | None,
        progress: Progress,
        on_batch: Callable[[Progress, list[Rejected]], None] | None,
    ) -> Progress:
        """One batch of prepared rows committed (or only counted, in a dry run); the progress
        after it."""
        now = self.clock.now()
        if import_id is None:
            result = _BatchResult(
                accepted=sum(1 for row in prepared if row.error is None),
                rejected=[(r.number, r.error, r.values) for r in prepared if r.error],
            )
        else:
            result = await self._commit(prepared, import_id, progress.rows_done, now)
        progress = Progress(
            total=progress.total,
            rows_done=progress.rows_done + len(prepared),
            accepted=progress.accepted + result.accepted,
            rejected=progress.rejected + len(result.rejected),
        )
        if on_batch is not None:
            on_batch(progress, result.rejected)
        return progress

    async def _prepare(self, owner: LeadOwner, parsed: list[ParsedRow]) -> list[_Row]:
        """What intake does between parsing and its unit: route, and screen the number. The
        shared lists are refreshed once a batch (they are re-read every few seconds at most)."""
        if self.dnc is not None:
            await self.dnc.refresh()
        prepared: list[_Row] = []
        for row in parsed:
            ready = _Row(row.number, row.values, error=row.error)
            prepared.append(ready)
            params = row.params
            if params is None:
                continue
            try:
                target, ready.routing = await self.owners.target_of(owner, params)
                ready.owner, ready.params = target, params
                ready.dnc_hits = schedule_hits(self.dnc, target.schedule_id, params.caller_id)
            except TrackDriveError as exc:
                ready.error = message(exc)
        return prepared

    async def _commit(
        self, rows: list[_Row], import_id: int, before: int, now: datetime
    ) -> _BatchResult:
        done = before + len(rows)
        # In file order, so that leads' ids follow the file. (Group commit sorts posts by their
        # duplicate lock; a batch of rows does not, and on PostgreSQL a deadlock with another
        # process's batch is retried by the committer like any other.)
        try:
            return await self.committer.run(_unit(rows, import_id, before, done, now, False))
        except Exception as exc:
            if is_transient(exc):
                raise
        return await self.committer.run(_unit(rows, import_id, before, done, now, True))


def _rows_left(start: Progress, max_rows: int | None) -> int | None:
    """How many rows a run reads at most; None when that is not known."""
    left = None if start.total is None else max(0, start.total - start.rows_done)
    if max_rows is None:
        return left
    return max_rows if left is None else min(left, max_rows)


def _unit(
    rows: list[_Row], import_id: int, before: int, done: int, now: datetime, careful: bool
) -> Callable[[Sql], _BatchResult]:
    """The batch as one group-commit unit: each accepted row's intake, then the progress.
    ``careful`` gives each row a savepoint, so a row the database refuses is rejected alone."""

    def unit(sql: Sql) -> _BatchResult:
        result = _BatchResult()
        ready: list[tuple[_Row, BatchItem]] = []
        plain = IntakeContext(now=now, remote_ip=None, mode=IntakeMode.ENROL)
        for row in rows:
            if row.error is not None or row.owner is None or row.params is None:
                result.rejected.append((row.number, row.error or "refused", row.values))
            else:
                ready.append((row, BatchItem(row.owner, row.params, row.context(now, plain))))
        if not careful:
            with collector_paused():  # as the cadence's batches: see its docstring
                outcomes = intake_many(sql, [item for _, item in ready])
            for (row, _), outcome in zip(ready, outcomes, strict=True):
                if isinstance(outcome, TrackDriveError):
                    result.rejected.append((row.number, message(outcome), row.values))
                else:
                    result.accepted += 1
        for row, item in ready if careful else ():
            sql.run("SAVEPOINT import_row")
            try:
                intake(sql, item.owner, item.params, item.ctx)
                result.accepted += 1
            except TrackDriveError as exc:
                sql.run("ROLLBACK TO SAVEPOINT import_row")
                result.rejected.append((row.number, message(exc), row.values))
            except (DBAPIError, sqlite3.Error) as exc:
                if is_transient(exc):
                    raise
                sql.run("ROLLBACK TO SAVEPOINT import_row")
                text = "a value is out of range or conflicts with another record"
                result.rejected.append((row.number, text, row.values))
            sql.run("RELEASE SAVEPOINT import_row")
        result.rejected.sort()
        record_batch(sql, import_id, before, done, result.accepted, result.rejected, now)
        return result

    return unit
