"""SQLite's WAL checkpoints, run beside the group-commit writer instead of inside its commits.

By default the connection whose commit takes the write-ahead log past 1,000 pages copies them
into the database file there and then, fsync included: every fifteenth batch of leads waited
5 to 20 ms for it, on the event loop that answers requests. The group committer's connection
therefore has automatic checkpoints off, and after a commit hands the same work, a PASSIVE
checkpoint (it never blocks a writer), to a thread with a connection of its own; SQLite
releases the interpreter's lock while it copies, so the copy runs beside the next batches.

Under a writer that never pauses, a checkpoint may not catch up with the frames added while it
ran, and the log keeps its size instead of starting over; past ``INLINE_PAGES`` the writer
checkpoints inline once, as SQLite itself would have, so the log stays bounded.

What counts is the frames written since the last checkpoint, not the log file's size: SQLite
starts the log over from its beginning without shrinking the file, so a log that once held
7,000 pages kept a file that big, and every commit after it (some 200 a second under load)
started a checkpoint of the few dozen frames it had just written, with an fsync each: about a
tenth of the API's CPU. Every connection truncates the log when it starts over
(``journal_size_limit=0``, see ``db.engine``), so the file's size is the log's frames, and a
checkpoint's own answer says how many of them it copied.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

CHECKPOINT_PAGES = 1000
"""SQLite's own default threshold (``wal_autocheckpoint``)."""
INLINE_PAGES = 20 * CHECKPOINT_PAGES
_FRAME_HEADER = 24


class WalCheckpointer:
    """Checkpoints one database file's log on a thread, at most one at a time."""

    def __init__(self, path: str, page_size: int) -> None:
        self.path = path
        self._wal = f"{path}-wal"
        self._frame = page_size + _FRAME_HEADER
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal-checkpoint")
        self._connection: sqlite3.Connection | None = None
        self._running: Future[None] | None = None
        self._copied = 0
        """Frames of the log the last checkpoint had copied into the database file."""

    def after_commit(self, writer: sqlite3.Connection) -> None:
        """Called by the writer right after each commit: start a checkpoint when the log has
        grown past the threshold since the last one and none is running; checkpoint inline
        past the bound."""
        try:
            pages = os.stat(self._wal).st_size // self._frame
        except FileNotFoundError:
            return
        uncopied = uncopied_frames(pages, self._copied)
        if uncopied >= INLINE_PAGES:
            self._copied = _copied_by(writer)
        elif uncopied >= CHECKPOINT_PAGES and (self._running is None or self._running.done()):
            self._running = self._thread.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(self.path, isolation_level=None)
            self._copied = _copied_by(self._connection)
        except sqlite3.Error:
            # Busy with another process's checkpoint, say: the next commit asks again.
            log.debug("WAL checkpoint of %s skipped", self.path, exc_info=True)

    def close(self) -> None:
        self._thread.submit(self._close).result()
        self._thread.shutdown()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def uncopied_frames(frames: int, copied: int) -> int:
    """Frames of a log not yet in the database file, when the last checkpoint left ``copied``
    of them copied; a log shorter than that has started over, and none of its frames is."""
    return frames - copied if frames >= copied else frames


def _copied_by(connection: sqlite3.Connection) -> int:
    """A PASSIVE checkpoint (it never blocks a writer); how many frames of the log it left
    copied into the database file."""
    row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[2]) if row is not None and row[2] is not None and row[2] >= 0 else 0
