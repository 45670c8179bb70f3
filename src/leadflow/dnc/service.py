"""Running an import end to end, from the CLI or an upload, with the commit at the edge."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.clock import Clock
from leadflow.dnc import imports
from leadflow.dnc.formats import Progress
from leadflow.models import DncImport


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    directory: Path,
    clock: Clock,
    source: Path,
    list_name: str,
    kind: imports.Kind,
    progress: Progress | None = None,
    source_name: str | None = None,
) -> DncImport:
    """Imports ``source`` into ``list_name`` and puts the new version in force.

    The file is built in a thread (numpy releases the GIL for most of it), so an API process
    keeps answering while an upload is imported."""
    list_name = imports.check_list_name(list_name)
    async with sessionmaker() as session:
        base = await imports.current(session, list_name)
    built = await asyncio.to_thread(
        imports.build_version, directory, list_name, kind, source, base, clock, progress
    )
    try:
        async with sessionmaker() as session:
            record = await imports.switch(session, built, source_name or source.name, clock)
            await session.commit()
    except imports.ImportConflictError:
        (directory / built.file_name).unlink(missing_ok=True)
        raise
    async with sessionmaker() as session:
        keep = await imports.kept_files(session, list_name)
    await asyncio.to_thread(imports.prune, directory, list_name, keep)
    return record
