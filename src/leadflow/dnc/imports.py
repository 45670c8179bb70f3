"""Importing a list: build a new version's file, then switch the list to it in one transaction.

The order is what makes an import atomic for readers and safe to kill:

1. read the version in force (a change list starts from its bits);
2. build the new bits in memory and write them to a new file (``.partial`` renamed when whole);
3. in one transaction, point ``dnc_lists`` at the new file and record the import.

Until step 3 commits, every reader keeps the old version; a process killed before it leaves
the old version in force and an unused file that the next import of the list removes. Two
change lists applied at once would each start from the same version: the switch checks the
version it started from is still current and refuses otherwise, so no addition is lost.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.clock import Clock
from leadflow.dnc.build import BitmapBuilder, write_store
from leadflow.dnc.formats import Progress, Rejects, read_numbers
from leadflow.dnc.store import DncBitmap
from leadflow.models import DncImport, DncList

Kind = Literal["full", "additions", "deletions"]
KEEP_OLD_FILES = 1
"""Previous versions kept on disk, so a process that read the pointer just before a switch
can still open the file it names."""


ABANDONED_SECONDS = 3600
"""An unfinished file untouched this long was left by a killed import."""


class ImportConflictError(Exception):
    """Another import switched the list while this change list was being applied."""


class UnknownListError(ValueError):
    """Not a list name Leadflow knows: ``federal``, ``litigator`` or ``state:XX``."""


def check_list_name(name: str) -> str:
    """The list name, checked: shared lists only (the internal list lives in contacts)."""
    if name in ("federal", "litigator"):
        return name
    if name.startswith("state:") and len(name) == 8 and name[6:].isalpha():
        return "state:" + name[6:].upper()
    raise UnknownListError(f"{name!r} is not a list: use federal, litigator or state:XX")


def file_prefix(list_name: str) -> str:
    return list_name.replace(":", "-")


@dataclass(frozen=True)
class Built:
    """A version written to disk but not yet in force."""

    list_name: str
    kind: Kind
    base_version: int | None
    file_name: str
    rows: int
    numbers: int
    rejects: Rejects
    started_at: datetime


def build_version(
    directory: Path,
    list_name: str,
    kind: Kind,
    source: Path,
    base: DncList | None,
    clock: Clock,
    progress: Progress | None = None,
) -> Built:
    """Steps 1 and 2: the new version's file, from ``source`` (and ``base`` for a change list)."""
    started_at = clock.now()
    directory.mkdir(parents=True, exist_ok=True)
    builder = BitmapBuilder()
    if kind != "full" and base is not None:
        with DncBitmap(directory / base.file_name) as bitmap:
            builder.load(bitmap)
    rejects = Rejects()
    rows = 0

    def counted(read: int, lines: int) -> None:
        nonlocal rows
        rows = lines
        if progress is not None:
            progress(read, lines)

    for keys in read_numbers(source, rejects, counted):
        if kind == "deletions":
            builder.remove(keys)
        else:
            builder.add(keys)
    stamp = started_at.strftime("%Y%m%dT%H%M%S")
    file_name = f"{file_prefix(list_name)}-{stamp}-{secrets.token_hex(4)}.dnc"
    numbers = write_store(builder, directory / file_name)
    return Built(
        list_name,
        kind,
        base.version if base is not None else None,
        file_name,
        rows,
        numbers,
        rejects,
        started_at,
    )


async def current(session: AsyncSession, list_name: str) -> DncList | None:
    return await session.get(DncList, list_name)


async def switch(session: AsyncSession, built: Built, source_name: str, clock: Clock) -> DncImport:
    """Step 3: puts the built version in force and records the import; the caller commits."""
    row = (
        await session.execute(
            select(DncList).where(DncList.name == built.list_name).with_for_update()
        )
    ).scalar_one_or_none()
    in_force = row.version if row is not None else None
    if built.kind != "full" and in_force != built.base_version:
        raise ImportConflictError(
            f"{built.list_name} changed to version {in_force} during this import; run it again"
        )
    now = clock.now()
    version = (in_force or 0) + 1
    if row is None:
        row = DncList(name=built.list_name)
        session.add(row)
    row.version = version
    row.file_name = built.file_name
    row.numbers = built.numbers
    row.updated_at = now
    record = DncImport(
        list_name=built.list_name,
        version=version,
        kind=built.kind,
        source_name=source_name[-300:],
        file_name=built.file_name,
        rows=built.rows,
        rejected=built.rejects.total,
        numbers=built.numbers,
        rejects={"by_reason": dict(built.rejects.by_reason), "samples": built.rejects.samples},
        switched=True,
        started_at=built.started_at,
        finished_at=now,
    )
    session.add(record)
    await session.flush()
    return record


async def kept_files(session: AsyncSession, list_name: str) -> set[str]:
    """The files of the list's current and last kept versions."""
    recent = await session.execute(
        select(DncImport.file_name)
        .where(DncImport.list_name == list_name)
        .order_by(DncImport.id.desc())
        .limit(1 + KEEP_OLD_FILES)
    )
    return set(recent.scalars())


def prune(directory: Path, list_name: str, keep: set[str]) -> list[str]:
    """Removes files of the list not in ``keep``, and unfinished files an earlier killed import
    left (untouched for an hour: a younger one may be another import's). Returns their names."""
    removed = []
    abandoned_before = time.time() - ABANDONED_SECONDS
    for path in directory.glob(f"{file_prefix(list_name)}-*.dnc*"):
        if path.name in keep:
            continue
        if path.name.endswith(".partial") and path.stat().st_mtime > abandoned_before:
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed
