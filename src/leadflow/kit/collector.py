"""Python's cycle collector held off around work that builds many objects at once.

The cadence's batches, intake's batch of imported rows and an import's parsed batches each
build tens of thousands of objects that live until the batch ends (rows, events, effects,
parameters). The collector, started every 700 new objects, walks them again and again, and
every few batches walks the whole heap: a quarter of the worker's CPU, and 10 of an import's
16 µs a row to read a parsed batch back. Nothing is lost by waiting: such a batch leaves no
cycles behind (``Batch.flush`` breaks its own), plain reference counting frees it, and the
collector runs as usual from the next allocation.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the block, unless someone else already holds it off (then it is
    theirs to resume)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
