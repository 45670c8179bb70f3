"""The do-not-call store: one dense bit array per area code, in a file read through ``mmap``.

A North American number is an area code (3 digits) and a subscriber number (7 digits). Each
area code present in a list gets 10,000,000 bits (1.25 MB), bit ``n`` set when subscriber
number ``n`` is listed. The whole national registry (about 250 million numbers over ~330 area
codes) is therefore about 410 MB whatever its density, a check is two array reads with no
search, and a batch of checks is one vectorised gather over the mapped bytes.

The file is opened read-only through ``mmap``: every process on a machine shares the same page
cache, so opening the store costs no copy, and the resident memory it adds is only the pages
that checks have touched. Files are never changed once written: an import writes a new file
next to the old one (see :mod:`leadflow.dnc.build`), and the database says which one is
current, so a reader holding an old file keeps a consistent view until it re-reads the pointer.

Layout (little-endian)::

    0      8 bytes   magic b"LFDNC01\\n"
    8      8 bytes   count of numbers set (uint64)
    16     4000      slot of each area code 000..999 (int32, -1: no number in that area)
    4096   ...       slot k: 1,250,000 bytes, bit n of byte n>>3 (low bit first)
"""

from __future__ import annotations

import contextlib
import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC = b"LFDNC01\n"
AREAS = 1000
SUBSCRIBERS = 10_000_000
SLOT_BYTES = SUBSCRIBERS // 8
HEADER_BYTES = 4096
_DIRECTORY = slice(16, 16 + 4 * AREAS)

Numbers = npt.NDArray[np.int64]
"""Ten-digit numbers as integers (area code * 10**7 + subscriber number)."""


class StoreFileError(Exception):
    """The file is missing, truncated or not a do-not-call store."""


def number_key(e164_or_digits: str) -> int | None:
    """The integer a NANP number is stored under, or None for a number outside the plan.

    Accepts ``+1NXXNXXXXXX``, ``1NXXNXXXXXX`` and ``NXXNXXXXXX``: the lists hold US and
    Canadian numbers only, so any other country is never listed.
    """
    digits = e164_or_digits[1:] if e164_or_digits.startswith("+") else e164_or_digits
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or not digits.isdigit():
        return None
    return int(digits)


class DncBitmap:
    """One immutable list version, mapped read-only. Cheap to open; close it when replaced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < HEADER_BYTES:
                    raise StoreFileError(f"{path} is not a do-not-call store (too short)")
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError as exc:
            raise StoreFileError(f"{path} is missing") from exc
        if self._map[:8] != MAGIC:
            self._map.close()
            raise StoreFileError(f"{path} is not a do-not-call store (bad magic)")
        self.count = int.from_bytes(self._map[8:16], "little")
        slots = np.frombuffer(self._map[_DIRECTORY], dtype="<i4").astype(np.int64)
        used = int((slots >= 0).sum())
        if size < HEADER_BYTES + used * SLOT_BYTES:
            self._map.close()
            raise StoreFileError(f"{path} is truncated")
        # A plain list for the single check (indexing a list beats numpy for one value) and
        # the byte offset of each area's slot for the batched one (-1: area not present).
        self._offsets = [HEADER_BYTES + int(s) * SLOT_BYTES if s >= 0 else -1 for s in slots]
        self._offset_array = np.array(self._offsets, dtype=np.int64)
        self._bytes: npt.NDArray[np.uint8] = np.frombuffer(self._map, dtype=np.uint8)

    def areas(self) -> list[int]:
        """The area codes that have at least one listed number."""
        return [area for area, offset in enumerate(self._offsets) if offset >= 0]

    def slot(self, area: int) -> npt.NDArray[np.uint8] | None:
        """The area's bit array (a view on the map), or None when the area has no number."""
        offset = self._offsets[area]
        if offset < 0:
            return None
        return self._bytes[offset : offset + SLOT_BYTES]

    def contains(self, key: int) -> bool:
        """Whether the ten-digit number ``key`` (see :func:`number_key`) is listed."""
        if not 0 <= key < AREAS * SUBSCRIBERS:
            return False
        area, subscriber = divmod(key, SUBSCRIBERS)
        offset = self._offsets[area]
        if offset < 0:
            return False
        return bool(self._map[offset + (subscriber >> 3)] >> (subscriber & 7) & 1)

    def contains_many(self, keys: Numbers) -> npt.NDArray[np.bool_]:
        """One answer per key, vectorised: a million checks take a few milliseconds."""
        keys = np.asarray(keys, dtype=np.int64)
        valid = (keys >= 0) & (keys < AREAS * SUBSCRIBERS)
        safe = np.where(valid, keys, 0)
        area, subscriber = np.divmod(safe, SUBSCRIBERS)
        offsets = self._offset_array[area]
        present = valid & (offsets >= 0)
        index = np.where(present, offsets + (subscriber >> 3), 0)
        bits = (self._bytes[index] >> (subscriber & 7).astype(np.uint8)) & 1
        result: npt.NDArray[np.bool_] = present & (bits == 1)
        return result

    def close(self) -> None:
        """Unmaps the file; views returned by :meth:`slot` must not be used afterwards."""
        self._bytes = np.empty(0, dtype=np.uint8)
        self._offset_array = np.empty(0, dtype=np.int64)
        # A caller still holding a slot view keeps the map; it goes when that view does.
        with contextlib.suppress(BufferError):
            self._map.close()

    def __enter__(self) -> DncBitmap:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
