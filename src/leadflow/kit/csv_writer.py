"""CSV out: rows of API values as RFC 4180 text, streamed in chunks.

One writer for every export (lead, call and submitted-lead listings, an import's rejected
rows), so a value reads the same in each: ``None`` is an empty cell, booleans are
``true``/``false`` as in the JSON, objects and lists are their JSON text. Text that a
spreadsheet would run as a formula (``=``, ``@``, or ``+``/``-`` not followed by a number)
gets a leading ``'``: tokens are whatever a lead's poster sent, and opening an export must
not run it. ``+18005550100`` and ``-3.5`` stay as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import Any

import orjson
from starlette.responses import StreamingResponse

CHUNK_BYTES = 64 * 1024
"""What is buffered before a chunk leaves: big enough to keep writes few, small enough that
memory stays flat whatever the row count."""
_NUMBER = re.compile(r"[+-][0-9][0-9 ().,-]*")
_FORMULA_START = ("=", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One value as a CSV cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    text = str(value)
    if text.startswith(_FORMULA_START) or (text[:1] in ("+", "-") and not _NUMBER.fullmatch(text)):
        return "'" + text
    return text


class CsvChunks:
    """Rows in, UTF-8 chunks of about :data:`CHUNK_BYTES` out."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def add(self, values: Iterable[Any]) -> bytes | None:
        """Write one row; a chunk when the buffer is full, else None."""
        self._writer.writerow([cell(value) for value in values])
        if self._buffer.tell() >= CHUNK_BYTES:
            return self.flush()
        return None

    def flush(self) -> bytes:
        """Whatever is buffered, emptied."""
        data = self._buffer.getvalue().encode()
        self._buffer.seek(0)
        self._buffer.truncate()
        return data


async def csv_chunks(
    header: Sequence[str], rows: AsyncIterable[Sequence[Any]]
) -> AsyncIterator[bytes]:
    """The header and every row, in chunks: memory holds one chunk, not the file."""
    chunks = CsvChunks()
    chunks.add(header)
    async for row in rows:
        chunk = chunks.add(row)
        if chunk:
            yield chunk
    last = chunks.flush()
    if last:
        yield last


def csv_response(chunks: AsyncIterable[bytes], filename: str) -> StreamingResponse:
    """A download: ``text/csv`` named ``filename``, sent as it is produced."""
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
