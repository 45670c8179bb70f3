"""How much CPU the machine's host took away while a figure was measured.

On a virtual machine the host may run other guests on our cores ("steal"): a figure measured
while it did says more about the neighbours than about Leadflow. Every benchmark prints the
steal beside its figures, read from the kernel's own count (``/proc/stat``; 0 where there is
none), so a reader can tell a quiet run from a crowded one.
"""

from __future__ import annotations

import os
import time
from types import TracebackType


def _stolen_cpu_seconds() -> float:
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return 0.0
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


class Steal:
    """``with Steal() as steal: ...`` then ``str(steal)``."""

    def __enter__(self) -> Steal:
        self._stolen, self._started = _stolen_cpu_seconds(), time.monotonic()
        self.seconds = self.elapsed = 0.0
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.seconds = _stolen_cpu_seconds() - self._stolen
        self.elapsed = time.monotonic() - self._started

    def __str__(self) -> str:
        cores = os.cpu_count() or 1
        share = 100 * self.seconds / (cores * self.elapsed) if self.elapsed else 0.0
        return f"host steal {self.seconds:.1f} CPU s of {cores * self.elapsed:.0f} ({share:.0f} %)"
