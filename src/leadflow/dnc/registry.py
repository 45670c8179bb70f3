"""A process's view of the shared do-not-call lists: the versions in force, mapped and checked.

Every process keeps one :class:`DncRegistry`. It re-reads ``dnc_lists`` at most every
``LEADFLOW_DNC_REFRESH_SECONDS`` and maps the file each row names from ``LEADFLOW_DNC_DIR``,
so a new version is in force everywhere within that delay after its import switched it, and a
list updated mid-cadence stops the next action. Checks themselves never touch the database.

A node that cannot open the current file of a list (not copied there yet, wrong directory)
does not guess: it treats every number as on that list (``unavailable``) and says so in
:meth:`DncRegistry.problems`, which ``/healthz`` reports. Not calling is the safe failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow.dnc.store import DncBitmap, StoreFileError, number_key
from leadflow.models import DncList

log = logging.getLogger(__name__)

INTERNAL = "internal"
"""The company's own list: its contacts marked do-not-call or opted out (never exempt)."""
DEFAULT_LISTS: tuple[str, ...] = ("federal", "state", "litigator", INTERNAL)
"""Lists a schedule or campaign checks unless it says otherwise; ``state`` is every state list."""


@dataclass(frozen=True)
class ListVersion:
    """A shared list as this process has it: version, size, when imported, and whether the
    file could be opened here."""

    name: str
    version: int
    numbers: int
    updated_at: datetime
    file_name: str
    available: bool


@dataclass(frozen=True)
class ListHit:
    """A number found on a list (or a list that could not be read on this node)."""

    name: str
    version: int
    unavailable: bool = False


def selected(names: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The shared list names among ``names`` that the setting ``wanted`` applies: ``state``
    stands for every ``state:XX`` list; ``internal`` is not a shared list and is skipped."""
    wanted_set = set(wanted)
    return [
        name
        for name in names
        if name in wanted_set or (name.startswith("state:") and "state" in wanted_set)
    ]


class DncRegistry:
    """The lists in force in this process. Call :meth:`refresh` before checking (cheap)."""

    def __init__(self, engine: AsyncEngine, directory: Path, refresh_seconds: float) -> None:
        self._engine = engine
        self._directory = directory
        self._refresh_seconds = refresh_seconds
        self._read_at = -float("inf")
        self._versions: dict[str, ListVersion] = {}
        self._maps: dict[str, DncBitmap] = {}

    async def refresh(self, force: bool = False) -> None:
        """Re-reads the versions in force when the last read is older than the refresh delay."""
        now = time.monotonic()
        if not force and now - self._read_at < self._refresh_seconds:
            return
        async with self._engine.connect() as connection:
            result = await connection.execute(
                select(
                    DncList.name,
                    DncList.version,
                    DncList.numbers,
                    DncList.updated_at,
                    DncList.file_name,
                )
            )
            rows = [(r[0], r[1], r[2], r[3], r[4]) for r in result]
        self._read_at = now
        self._apply(rows)

    def _apply(self, rows: list[tuple[str, int, int, datetime, str]]) -> None:
        versions: dict[str, ListVersion] = {}
        for name, version, numbers, updated_at, file_name in rows:
            current = self._versions.get(name)
            available = current is not None and current.available
            if current is None or current.file_name != file_name or not current.available:
                available = self._open(name, file_name)
            versions[name] = ListVersion(name, version, numbers, updated_at, file_name, available)
        for gone in set(self._maps) - set(versions):
            self._maps.pop(gone).close()
        self._versions = versions

    def _open(self, name: str, file_name: str) -> bool:
        try:
            bitmap = DncBitmap(self._directory / file_name)
        except StoreFileError as exc:
            log.warning("do-not-call list %s is unavailable on this node: %s", name, exc)
            old = self._maps.pop(name, None)
            if old is not None:
                old.close()
            return False
        old = self._maps.get(name)
        self._maps[name] = bitmap
        if old is not None:
            old.close()
        return True

    def versions(self) -> list[ListVersion]:
        """The shared lists in force, by name."""
        return [self._versions[name] for name in sorted(self._versions)]

    def problems(self) -> list[str]:
        """Lists whose current file this node cannot read."""
        return [
            f"{version.name} version {version.version}: {version.file_name} is missing in "
            f"{self._directory}"
            for version in self.versions()
            if not version.available
        ]

    def hits(self, number: str, wanted: Iterable[str] | None = DEFAULT_LISTS) -> list[ListHit]:
        """The shared lists among ``wanted`` (None: all) that hold ``number`` (E.164 or ten
        digits). A schedule's or campaign's settings then keep the lists that apply to it
        (:mod:`leadflow.dnc.policy`)."""
        key = number_key(number)
        found: list[ListHit] = []
        names = sorted(self._versions)
        for name in names if wanted is None else selected(names, wanted):
            version = self._versions[name]
            if not version.available:
                found.append(ListHit(name, version.version, unavailable=True))
            elif key is not None and self._maps[name].contains(key):
                found.append(ListHit(name, version.version))
        return found

    def close(self) -> None:
        for bitmap in self._maps.values():
            bitmap.close()
        self._maps.clear()
