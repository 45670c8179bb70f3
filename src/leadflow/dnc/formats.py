"""Reading registry files: the FTC's flat formats, plain, ``.gz`` or ``.zip``, read in chunks.

Two row shapes are accepted, with or without a header line: one ten-digit number per line
(``2015550123``) and ``areacode,number`` (``201,5550123``), with ``\\n`` or ``\\r\\n`` endings.
A leading country code ``1`` is dropped. The registry's files have rows of one width, so a
chunk is parsed as a fixed-width matrix with numpy (tens of millions of rows a second); a
chunk with any other row falls back to a line-by-line parse that names what is wrong with each
rejected row. Rejected rows never stop an import: they are counted by reason and the first
:data:`MAX_SAMPLES` are kept with their line numbers.
"""

from __future__ import annotations

import gzip
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import numpy as np
import numpy.typing as npt

from leadflow.dnc.store import Numbers

CHUNK_BYTES = 2 * 1024 * 1024
MAX_SAMPLES = 100

NOT_A_NUMBER = "not a 10-digit number"
BAD_AREA_CODE = "area code starts with 0 or 1"
BAD_EXCHANGE = "exchange starts with 0 or 1"


@dataclass
class Rejects:
    """Rejected rows: how many for each reason, and the first few with line and text."""

    by_reason: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, object]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())

    def add(self, line: int, text: str, reason: str) -> None:
        self.by_reason[reason] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append({"line": line, "row": text[:80], "reason": reason})


def open_source(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """The decompressed stream and the raw file under it (whose position measures progress).

    A ``.zip`` is read from its first member that is not a directory, as the FTC ships them.
    A file without either extension (an upload) is recognised by its first bytes.
    """
    raw = open(path, "rb")  # noqa: SIM115 - closed by read_numbers with the stream
    name = path.name.lower()
    magic = b""
    if raw.seekable():  # a pipe is read as named, never sniffed
        magic = raw.read(4)
        raw.seek(0)
    if name.endswith(".gz") or magic[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")), raw
    if name.endswith(".zip") or magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(raw)
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise ValueError(f"{path} holds no file")
        return archive.open(members[0]), raw
    return raw, raw


def chunks(stream: IO[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Blocks of whole lines (the last one may lack its newline)."""
    rest = b""
    while True:
        block = stream.read(size)
        if not block:
            if rest:
                yield rest
            return
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        yield block[: cut + 1]


def _classify(text: str) -> tuple[int | None, str]:
    """One row's number, or None and why it is rejected."""
    cleaned = text.strip().replace('"', "")
    parts = [part.strip() for part in cleaned.split(",")]
    if len(parts) == 2 and len(parts[0]) == 3 and len(parts[1]) == 7:
        digits = parts[0] + parts[1]
    elif len(parts) == 1:
        digits = parts[0].replace("-", "").replace(" ", "")
    else:
        return None, NOT_A_NUMBER
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or not digits.isdigit():
        return None, NOT_A_NUMBER
    if digits[0] in "01":
        return None, BAD_AREA_CODE
    if digits[3] in "01":
        return None, BAD_EXCHANGE
    return int(digits), ""


def _parse_lines(data: bytes, first_line: int, rejects: Rejects, allow_header: bool) -> Numbers:
    keys: list[int] = []
    for offset, raw in enumerate(data.split(b"\n")):
        text = raw.decode("latin-1").strip()
        if not text:
            continue
        key, reason = _classify(text)
        if key is not None:
            keys.append(key)
        elif offset == 0 and allow_header and any(ch.isalpha() for ch in text):
            continue  # a header line ("AreaCode,PhoneNumber", "phone")
        else:
            rejects.add(first_line + offset, text, reason)
    return np.array(keys, dtype=np.int64)


def _parse_fixed(data: bytes, first_line: int, rejects: Rejects) -> Numbers | None:
    """The fast path: every row as wide as the first and shaped like it; None if not."""
    width = data.find(b"\n") + 1
    if width not in (11, 12, 13) or len(data) % width:
        return None
    rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, width)
    template = rows[0]
    is_digit = (template >= 48) & (template <= 57)
    digit_columns = np.flatnonzero(is_digit)
    if len(digit_columns) != 10:
        return None
    other_columns = np.flatnonzero(~is_digit)
    shaped = (rows[:, other_columns] == template[other_columns]).all(axis=1)
    # Work in bytes as long as possible: widening every digit to int64 costs more than the
    # rest of the parse together.
    digits = rows[:, digit_columns] - np.uint8(48)  # a non-digit wraps to > 9
    shaped &= (digits <= 9).all(axis=1)
    digits = np.minimum(digits, np.uint8(9))
    area = digits[:, 0].astype(np.int64) * 100 + digits[:, 1] * np.uint8(10) + digits[:, 2]
    subscriber = digits[:, 3].astype(np.int32) * 1_000_000
    for column, weight in zip(range(4, 10), (100_000, 10_000, 1_000, 100, 10, 1), strict=True):
        subscriber += digits[:, column].astype(np.int32) * weight
    keys = area * 10_000_000 + subscriber
    good = shaped & (digits[:, 0] >= 2) & (digits[:, 3] >= 2)
    if not good.all():
        for index in np.flatnonzero(~good):
            line = bytes(rows[index]).decode("latin-1").strip()
            _, reason = _classify(line)
            rejects.add(first_line + int(index), line, reason or NOT_A_NUMBER)
    result: npt.NDArray[np.int64] = keys[good]
    return result


def parse_chunk(data: bytes, first_line: int, rejects: Rejects, allow_header: bool) -> Numbers:
    """The numbers of a block of whole lines; ``first_line`` numbers its first line from 1."""
    if allow_header:
        end = data.find(b"\n") + 1 or len(data)
        if any(chr(byte).isalpha() for byte in data[:end]):
            data, first_line = data[end:], first_line + 1  # a header ("AreaCode,PhoneNumber")
    fixed = _parse_fixed(data, first_line, rejects)
    if fixed is not None:
        return fixed
    return _parse_lines(data, first_line, rejects, allow_header)


Progress = Callable[[int, int], None]
"""Called with (bytes of the source file read, rows read so far)."""


def read_numbers(
    path: Path, rejects: Rejects, progress: Progress | None = None
) -> Iterator[Numbers]:
    """The numbers of a registry file, chunk by chunk; rejected rows land in ``rejects``."""
    stream, raw = open_source(path)
    line = 1
    consumed = 0
    try:
        for index, data in enumerate(chunks(stream)):
            rows = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            yield parse_chunk(data, line, rejects, allow_header=index == 0)
            line += rows
            consumed += len(data)
            if progress is not None:
                progress(_position(raw, consumed), line - 1)
    finally:
        stream.close()
        if raw is not stream:
            raw.close()


def _position(raw: IO[bytes], consumed: int) -> int:
    """Bytes of the source file read: its position, or what was read from a pipe."""
    try:
        return raw.tell()
    except OSError:
        return consumed


def read_text_numbers(text: str, rejects: Rejects) -> Numbers:
    """The numbers of a small upload given as text (the API and web upload)."""
    return parse_chunk(text.encode(), 1, rejects, allow_header=True)
