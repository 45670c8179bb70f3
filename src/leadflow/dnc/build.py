"""Building a new list version: numbers are set in memory, then written to a new file at once.

The builder keeps one zeroed array the size of every possible area code (1.25 GB of address
space, ``calloc``'d): the operating system commits a page only when a number in it is set, so a
national list costs about the 410 MB its area codes need and a state list a few MB. A change
list starts from the current version's bits (:meth:`BitmapBuilder.load`), then adds or removes.

:func:`write_store` writes to ``<name>.partial``, flushes it to disk, and renames it into place:
a file with the final name is always complete. Which file is *current* is decided afterwards,
in the database (see :mod:`leadflow.dnc.versions`), so an import killed at any point leaves the
old version in force and at worst a ``.partial`` file behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from leadflow.dnc.store import (
    AREAS,
    HEADER_BYTES,
    MAGIC,
    SLOT_BYTES,
    SUBSCRIBERS,
    DncBitmap,
    Numbers,
)


class BitmapBuilder:
    """The bits of a list version being built; :func:`write_store` turns it into a file."""

    def __init__(self) -> None:
        self.bits: npt.NDArray[np.uint8] = np.zeros(AREAS * SLOT_BYTES, dtype=np.uint8)
        self.seen: npt.NDArray[np.bool_] = np.zeros(AREAS, dtype=np.bool_)

    def load(self, bitmap: DncBitmap) -> None:
        """Starts from an existing version (for a change list)."""
        for area in bitmap.areas():
            slot = bitmap.slot(area)
            assert slot is not None
            self.bits[area * SLOT_BYTES : (area + 1) * SLOT_BYTES] = slot
            self.seen[area] = True

    def add(self, keys: Numbers) -> None:
        """Sets the numbers (ten-digit integers, already validated)."""
        if len(keys) == 0:
            return
        masks = np.left_shift(1, keys & 7).astype(np.uint8)
        np.bitwise_or.at(self.bits, keys >> 3, masks)
        self.seen[keys // SUBSCRIBERS] = True

    def remove(self, keys: Numbers) -> None:
        """Clears the numbers; an area left empty is dropped when the file is written."""
        if len(keys) == 0:
            return
        masks = np.invert(np.left_shift(1, keys & 7).astype(np.uint8))
        np.bitwise_and.at(self.bits, keys >> 3, masks)

    def slots(self) -> list[tuple[int, npt.NDArray[np.uint8]]]:
        """The non-empty areas in order, each with its bit array."""
        found = []
        for area in np.flatnonzero(self.seen):
            slot = self.bits[int(area) * SLOT_BYTES : (int(area) + 1) * SLOT_BYTES]
            if slot.any():
                found.append((int(area), slot))
        return found


def write_store(builder: BitmapBuilder, path: Path) -> int:
    """Writes the builder's numbers to ``path`` atomically; returns how many numbers it holds."""
    slots = builder.slots()
    directory = np.full(AREAS, -1, dtype="<i4")
    count = 0
    for index, (area, slot) in enumerate(slots):
        directory[area] = index
        count += int(np.bitwise_count(slot).sum())
    header = bytearray(HEADER_BYTES)
    header[0:8] = MAGIC
    header[8:16] = count.to_bytes(8, "little")
    header[16 : 16 + 4 * AREAS] = directory.tobytes()
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        handle.write(header)
        for _, slot in slots:
            handle.write(slot.tobytes())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    directory_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)
    return count
