"""A file's rows, read and parsed a batch at a time, in a second process for a large import.

An import's work splits in two: reading and parsing each row (pure Python, no database:
:mod:`leadflow.imports.parsing`) and intake's unit (the database's single writer). In one
process the two take turns on one core, because the GIL lets only one of them run at a time.
For a large file a second process reads and parses the batches ahead while this one writes
them, so each core does one of the two. Threads cannot do that; the ``csv`` module and
``parse_intake`` hold the GIL.

The helper process sends each parsed batch down a pipe. The pipe holds little, so the helper
blocks once a batch or two ahead: memory stays constant, whatever the file's size. When the
importer stops early (an error, a slice's end), or dies (``kill -9``), the pipe's reading end
closes, and the helper's next send fails and ends it. A small import parses in this process:
starting a process costs about half a second.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pickle
import sys
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path

from leadflow.imports.parsing import CsvRow, ParsedRow, RowParser
from leadflow.kit.collector import collector_paused
from leadflow.kit.csv_reader import CsvLayout, read_rows

HELPER_ROWS = 20_000
"""Rows from which a second process pays for its start (about 0.5 s, some 7,000 rows' worth of
importing): below it, rows are parsed in the importing process."""
PIPE_BYTES = 1 << 20
"""What the helper may have sent ahead of the importer: up to about ten batches."""
_STOP_WAIT_SECONDS = 5.0


def spare_core() -> bool:
    """Whether this process may run on more than one core: a helper on the same core as the
    importer would only take turns with it."""
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) > 1


def _batched(rows: Iterator[CsvRow], size: int) -> Iterator[list[CsvRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


@dataclass(frozen=True)
class ParseJob:
    """The data rows from ``start`` to ``stop`` (row indexes as ``read_rows`` yields them),
    parsed ``size`` at a time: what the helper is sent, once, when it starts."""

    path: Path
    layout: CsvLayout
    parser: RowParser
    start: int
    stop: int | None
    size: int

    def batches(self) -> Iterator[list[ParsedRow]]:
        rows = islice(read_rows(self.path, self.layout), self.start, self.stop)
        for chunk in _batched(rows, self.size):
            yield self.parser.parse_all(chunk)


async def parsed_batches(job: ParseJob, *, helper: bool) -> AsyncGenerator[list[ParsedRow], None]:
    """The job's batches, parsed by a helper process when ``helper`` is set. Close it (or run
    it to its end) to stop the helper."""
    if not helper:
        for batch in job.batches():
            yield batch
        return
    # A plain ``python -m``, not multiprocessing's spawn: that re-runs the parent's main
    # script in the child, which a script without a ``__main__`` guard cannot survive.
    read_end, write_end = os.pipe()
    reader = Connection(read_end, writable=False)
    try:
        _widen(write_end)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            str(write_end),
            stdin=asyncio.subprocess.PIPE,
            pass_fds=(write_end,),
        )
    except BaseException:
        reader.close()
        raise
    finally:
        os.close(write_end)  # the helper holds the only writing end: its death is our EOF
    try:
        assert process.stdin is not None
        process.stdin.write(pickle.dumps(job))
        await process.stdin.drain()
        process.stdin.close()
        while True:
            try:
                message = await asyncio.to_thread(reader.recv_bytes)
            except EOFError:
                raise RuntimeError("the import's parsing process stopped unexpectedly") from None
            with collector_paused():  # a batch's objects, all alive until it is written
                kind, payload = pickle.loads(message)
            if kind == "end":
                return
            if kind == "error":
                raise payload
            yield payload
    finally:
        reader.close()  # a helper still sending stops at its next batch
        try:
            await asyncio.wait_for(process.wait(), _STOP_WAIT_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()


def _widen(pipe: int) -> None:
    """Room in the pipe for several batches (a batch is about 100 KB; a pipe holds 64 KB), so
    that the helper parses ahead while the importer writes instead of waiting for each read.
    Linux only; elsewhere the helper runs a batch ahead."""
    try:
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        return


def _produce(writer: Connection, job: ParseJob) -> None:
    """The helper process: every batch down the pipe, then ``end``, or the error that stopped
    it (a file that turns out unreadable midway is the importer's to report)."""
    try:
        for batch in job.batches():
            writer.send(("rows", batch))
        writer.send(("end", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the importer stopped reading: nothing is waiting for the rest
    except Exception as exc:
        _send_error(writer, exc)
    finally:
        writer.close()


def _helper_main() -> None:
    """``python -m leadflow.imports.pipeline FD``: the job from stdin, the batches to ``FD``."""
    writer = Connection(int(sys.argv[1]), readable=False)
    _produce(writer, pickle.load(sys.stdin.buffer))


def _send_error(writer: Connection, exc: Exception) -> None:
    try:
        writer.send(("error", exc))
    except (BrokenPipeError, ConnectionResetError):
        return
    except Exception:
        writer.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


if __name__ == "__main__":
    _helper_main()
