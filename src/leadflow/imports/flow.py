"""An import from start to end, for the CLI and the worker alike: find or open its record,
run it from where it stands, close it, and write its rejected rows as CSV.

The record is found again by the file's fingerprint (its bytes, the lead token and the
mapping), so running the same command after a kill resumes the import instead of starting a
second one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.clock import Clock
from leadflow.imports.parsing import message
from leadflow.imports.repository import LeadImportRepository
from leadflow.imports.service import (
    LeadImporter,
    MappingError,
    Progress,
    Rejected,
    check_mapping,
)
from leadflow.kit.csv_reader import CsvLayout, count_rows, fingerprint, inspect
from leadflow.kit.csv_writer import CsvChunks, csv_chunks
from leadflow.leads.owner import OwnerCache
from leadflow.models import LeadImport, LeadImportStatus

ERROR_PAGE = 1000
__all__ = ["MappingError", "check_mapping", "message"]


def import_fingerprint(path: Path, lead_token: str, mapping: Mapping[str, str]) -> str:
    return fingerprint(path, lead_token, json.dumps(dict(sorted(mapping.items()))))


async def open_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    owners: OwnerCache,
    clock: Clock,
    path: Path,
    lead_token: str,
    mapping: Mapping[str, str],
    *,
    filename: str | None = None,
    status: str = LeadImportStatus.RUNNING,
) -> tuple[LeadImport, CsvLayout, bool]:
    """The import's record, resumed when the same import was left unfinished (then True),
    else created; raises :class:`~leadflow.kit.csv_reader.CsvFileError`, ValueError (the
    mapping) or a 401 ``TrackDriveError`` (the token) before anything is written."""
    # Reading a large file takes a second or two: off the event loop (the worker runs others).
    layout = await asyncio.to_thread(inspect, path)
    checked = check_mapping(layout.header, mapping)
    owner = await owners.resolve(lead_token)
    print_ = await asyncio.to_thread(import_fingerprint, path, lead_token, checked)
    async with sessionmaker() as session:
        repo = LeadImportRepository(session, owner.company_id)
        found = await repo.unfinished(print_)
        if found is not None:
            found.status, found.updated_at = status, clock.now()
            await session.commit()
            return found, layout, True
        total = await asyncio.to_thread(count_rows, path, layout)
        where = await asyncio.to_thread(path.resolve)
        now = clock.now()
        record = LeadImport(
            company_id=owner.company_id,
            lead_token=lead_token,
            filename=filename or path.name,
            path=str(where),
            fingerprint=print_,
            # Every column, the unmapped under their own names: the record keeps the file's
            # header, which its rejected rows are written under once the file is gone.
            mapping={column: checked.get(column, column) for column in layout.header},
            encoding=layout.encoding,
            delimiter=layout.delimiter,
            status=status,
            total_rows=total,
            rows_done=0,
            accepted=0,
            rejected=0,
            created_at=now,
            updated_at=now,
        )
        repo.add(record)
        await session.commit()
        return record, layout, False


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    importer: LeadImporter,
    record: LeadImport,
    layout: CsvLayout,
    on_batch: Callable[[Progress, list[Rejected]], None] | None = None,
) -> Progress:
    """Run the import from its committed progress to the end, then mark it done."""
    start = Progress(record.total_rows, record.rows_done, record.accepted, record.rejected)
    done = await importer.run(
        Path(record.path),
        layout,
        record.lead_token,
        record.mapping,
        import_id=record.id,
        start=start,
        on_batch=on_batch,
    )
    await finish_import(sessionmaker, importer.clock, record.id, LeadImportStatus.DONE)
    return done


async def finish_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    import_id: int,
    status: str,
    error: str | None = None,
) -> None:
    """Mark the import done, or failed with the reason a person can act on."""
    async with sessionmaker() as session:
        record = await LeadImportRepository(session).get(import_id)
        if record is not None:
            now = clock.now()
            record.status, record.error = status, error
            record.updated_at = record.finished_at = now
            await session.commit()


def rejected_header(header: tuple[str, ...]) -> list[str]:
    """The errors CSV's columns: the row number, the API's message, then the file's own."""
    return ["row", "error", *header]


async def rejected_rows(
    sessionmaker: async_sessionmaker[AsyncSession], import_id: int
) -> AsyncIterator[list[Any]]:
    """The import's rejected rows in file order, read a page at a time (constant memory)."""
    after = 0
    while True:
        async with sessionmaker() as session:
            page = await LeadImportRepository(session).errors(import_id, after, ERROR_PAGE)
        for error in page:
            yield [error.row_number, error.message, *error.row_values]
        if len(page) < ERROR_PAGE:
            return
        after = page[-1].row_number


async def write_errors(
    sessionmaker: async_sessionmaker[AsyncSession],
    import_id: int,
    header: tuple[str, ...],
    out: Path,
) -> None:
    """The import's rejected rows as a CSV file at ``out``."""
    with out.open("wb") as file:
        async for chunk in csv_chunks(
            rejected_header(header), rejected_rows(sessionmaker, import_id)
        ):
            file.write(chunk)


class RejectedFile:
    """Rejected rows written to a CSV file as they come: a dry run's, which keeps no record.
    The file is created with the first rejected row."""

    def __init__(self, out: Path, header: tuple[str, ...]) -> None:
        self.out = out
        self.header = header
        self._chunks = CsvChunks()
        self._file: BinaryIO | None = None

    def add(self, rejected: list[Rejected]) -> None:
        for number, text, values in rejected:
            if self._file is None:
                self._file = self.out.open("wb")
                self._chunks.add(rejected_header(self.header))
            data = self._chunks.add([number, text, *values])
            if data:
                self._file.write(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.write(self._chunks.flush())
            self._file.close()
