"""Importing a list sent over HTTP (the API and the web page): the body is streamed to a file
next to the lists, imported exactly as ``leadflow dnc import`` would, and removed.

Uploads are for smaller lists (a litigator list, a state list, a change list): the body limit
for these routes is in ``kit.body_limit``; the national registry goes through the CLI.
"""

from __future__ import annotations

import asyncio
import secrets
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.clock import Clock
from leadflow.dnc import imports, service
from leadflow.models import DncImport

Change = Literal["none", "additions", "deletions"]


class UnreadableUploadError(ValueError):
    """The upload is a broken archive (a truncated gzip, a zip with no file in it)."""


def kind_of(change: Change) -> imports.Kind:
    return "full" if change == "none" else change


async def import_upload(
    sessionmaker: async_sessionmaker[AsyncSession],
    directory: Path,
    clock: Clock,
    list_name: str,
    change: Change,
    chunks: AsyncIterator[bytes],
    source_name: str,
) -> DncImport:
    """Writes the uploaded bytes to a file of their own, imports it, and removes it whatever
    happens. Raises :class:`imports.UnknownListError`, :class:`imports.ImportConflictError` and
    :class:`UnreadableUploadError`."""
    name = imports.check_list_name(list_name)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    source = directory / f"upload-{secrets.token_hex(8)}.tmp"
    try:
        handle = await asyncio.to_thread(source.open, "wb")
        try:
            async for chunk in chunks:
                handle.write(chunk)
        finally:
            handle.close()
        try:
            return await service.run_import(
                sessionmaker, directory, clock, source, name, kind_of(change), None, source_name
            )
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            if isinstance(exc, imports.UnknownListError):
                raise
            raise UnreadableUploadError(f"the file cannot be read: {exc}") from None
    finally:
        source.unlink(missing_ok=True)


def summary(record: DncImport) -> dict[str, Any]:
    """What an upload answers: the version it made and what was rejected, by reason."""
    return {
        "list": record.list_name,
        "version": record.version,
        "kind": record.kind,
        "rows": record.rows,
        "rejected": record.rejected,
        "numbers": record.numbers,
        "rejects": record.rejects.get("by_reason", {}),
    }
