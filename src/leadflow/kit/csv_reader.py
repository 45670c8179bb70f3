"""CSV in: files as people have them, read one row at a time.

A spreadsheet saves UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text"),
or Latin-1 (older Excel on Windows); separates values with ``,``, ``;`` (where the comma is the
decimal mark) or a tab, sometimes naming it in a first ``sep=;`` line; and quotes values that
hold a newline. :func:`inspect` finds the encoding and the separator once, from the file
itself; :func:`read_rows` then reads the rows in constant memory. Anything that is not such a
file is a :class:`CsvFileError` whose message says what is wrong, never a crash.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SEPARATORS = (",", ";", "\t")
MAX_FIELD_CHARS = 1_000_000
"""Longest value a cell may hold (Python's csv default of 131,072 is lower than some notes)."""
MAX_COLUMNS = 500
MAX_LINE_CHARS = 4 * MAX_FIELD_CHARS
"""Longest line read: ``csv`` holds a whole line in memory, so a file with no newline (a
database dump, a minified JSON file) would otherwise cost several times its size."""
_SAMPLE_BYTES = 64 * 1024
_READ_BYTES = 1024 * 1024

csv.field_size_limit(MAX_FIELD_CHARS)


class CsvFileError(ValueError):
    """The file cannot be read as CSV; the message is meant for the person who chose it."""


@dataclass(frozen=True)
class CsvLayout:
    """How a file is written: its encoding (``utf-8``, ``utf-8-sig``, ``utf-16`` or
    ``latin-1``), separator and header."""

    encoding: str
    delimiter: str
    header: tuple[str, ...]
    sep_line: bool = False
    """The file starts with Excel's ``sep=;`` line, which names the separator (Excel reads it
    and shows the header as row 1)."""

    @property
    def reported_encoding(self) -> str:
        """The encoding as a person would name it."""
        return {"utf-8-sig": "UTF-8 (with BOM)", "utf-8": "UTF-8", "utf-16": "UTF-16"}.get(
            self.encoding, "Latin-1"
        )


_TEXT_BYTES = bytes(b for b in range(256) if (b >= 0x20 and b != 0x7F) or b in b"\t\n\r\f\v\x1a")
"""Bytes text holds (``\\x1a`` ends old DOS files): a file of which more than one byte in a
hundred is another control byte is binary, though it has no NUL."""


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if every byte decodes as such, else Latin-1, which decodes
    anything; a NUL outside UTF-16, or many control bytes, mean a binary file."""
    with path.open("rb") as file:
        start = file.read(_SAMPLE_BYTES)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in start or len(start.translate(None, _TEXT_BYTES)) * 100 > len(start):
            raise CsvFileError("this is not a CSV file (it holds binary data)")
        encoding = "utf-8-sig" if start.startswith(codecs.BOM_UTF8) else "utf-8"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = start
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = file.read(_READ_BYTES)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return encoding


_SEP_LINE = re.compile(r"sep=([,;\t|])\r?\n?")


def _delimiter(first_line: str) -> str:
    """The separator that splits the header most, counted outside quotes: Excel's ``;`` file
    may quote a header such as ``"Name, first"``."""
    unquoted = "".join(first_line.split('"')[::2])
    counts = {separator: unquoted.count(separator) for separator in SEPARATORS}
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def inspect(path: Path) -> CsvLayout:
    """The file's encoding, separator and header, or a :class:`CsvFileError`."""
    if not path.is_file():
        raise CsvFileError(f"{path.name}: " + ("not a file" if path.exists() else "no such file"))
    if path.stat().st_size == 0:
        raise CsvFileError("the file is empty")
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as file:
        first_line = file.readline(_SAMPLE_BYTES)
    sep = _SEP_LINE.fullmatch(first_line)
    delimiter = sep.group(1) if sep else _delimiter(first_line)
    rows = _records(path, encoding, delimiter, sep_line=sep is not None)
    header = next(rows, None)
    if header is None or not any(name.strip() for name in header[1]):
        raise CsvFileError("the file has no header row (the first row names the columns)")
    names = tuple(name.strip() for name in header[1])
    if len(names) > MAX_COLUMNS:
        raise CsvFileError(f"the file has {len(names)} columns; at most {MAX_COLUMNS}")
    blank = [str(n) for n, name in enumerate(names, 1) if not name]
    if blank:
        raise CsvFileError(f"column {', '.join(blank)} of the header has no name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CsvFileError(f"the header names {', '.join(repeated)} more than once")
    return CsvLayout(encoding, delimiter, names, sep_line=sep is not None)


class _LineTooLongError(Exception):
    pass


def _lines(file: TextIO) -> Iterator[str]:
    """The file's lines, none longer than :data:`MAX_LINE_CHARS` (read no further)."""
    while line := file.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise _LineTooLongError
        yield line


def _records(
    path: Path, encoding: str, delimiter: str, *, sep_line: bool
) -> Iterator[tuple[int, list[str]]]:
    """Every record with its row number as a spreadsheet shows it (the header is row 1);
    a quoted newline keeps a record on one row."""
    with path.open(encoding=encoding, newline="") as file:
        lines = _lines(file)
        if sep_line:
            next(lines, None)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        number = 0
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvFileError(f"row {number} cannot be read: {exc}") from None
            except _LineTooLongError:
                raise CsvFileError(
                    f"row {number} cannot be read: a line longer than {MAX_LINE_CHARS:,} "
                    "characters (is this a CSV file?)"
                ) from None
            yield number, values


def read_rows(path: Path, layout: CsvLayout) -> Iterator[tuple[int, list[str]]]:
    """The data rows (the header's row 1 left out), each with its row number, blank ones
    skipped."""
    rows = _records(path, layout.encoding, layout.delimiter, sep_line=layout.sep_line)
    next(rows, None)
    for number, values in rows:
        if any(value.strip() for value in values):
            yield number, values


def count_rows(path: Path, layout: CsvLayout) -> int:
    """How many data rows :func:`read_rows` yields (one quick pass, for the progress bar)."""
    return sum(1 for _ in read_rows(path, layout))


def fingerprint(path: Path, *extra: str) -> str:
    """sha256 of the file's bytes and ``extra``: what makes two imports the same import."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_READ_BYTES):
            digest.update(chunk)
    for text in extra:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()
