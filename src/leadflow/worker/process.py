"""The worker beside the API: ``leadflow serve`` starts it as a child process of its own.

Why a process and not a task on the API's event loop: a worker round decides hundreds of leads
in one go, and on the API's loop no request was answered meanwhile, so the API's tail latency
was the worker's batch time; and the worker's CPU came out of the API's, on machines that have
a second core for it. As a child it is still one command, with nothing else to start.

- **Wakes.** An API process that committed work someone is waiting on (a submission) sends one
  datagram to the worker's Unix socket; the worker runs its woken jobs at once. Sending never
  blocks and never fails a request: a datagram lost (worker restarting, queue full) costs at
  most one poll interval.
- **Lifeline.** The worker reads a pipe whose write end only ``serve`` holds. However ``serve``
  ends, ``kill -9`` included, the pipe then reads end-of-file and the worker stops in order
  (it finishes recording what it sent), so no orphan keeps working the database.
- **Restarts.** A worker that crashes is started again by ``serve`` (see
  :class:`WorkerProcess`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

STOP_SECONDS = 30.0
"""How long ``serve`` waits for its worker to stop in order before killing it (the worker
itself gives deliveries in flight 15 s, ``runner.SETTLE_SECONDS``)."""
RESTART_SECONDS = (1.0, 2.0, 5.0, 15.0, 30.0)
"""Pauses before restarting a worker that crashed, one after another (the last repeats); a
worker that then ran for ``HEALTHY_SECONDS`` starts the list over."""
HEALTHY_SECONDS = 60.0
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
"""Blocked in the worker ``serve`` starts until the worker has its handlers for them. A Ctrl-C
(or ``kill`` of the process group) reaches the worker too, and for its first seconds (imports,
migrations) it had no handler yet: SIGINT ended it with a KeyboardInterrupt traceback, SIGTERM
with a -15 that ``serve`` took for a crash and restarted. Blocked, the signal waits, and the
worker stops in order as soon as it can."""
_WAKE = b"w"


class WorkerProcess:
    """``leadflow worker`` as a child of ``serve``, restarted should it crash.

    A worker that exits non-zero (an exception, a kill) is started again after a pause, so
    the schedules go on being worked; one that stopped in order (its lifeline closed, or a
    Ctrl-C that reached the whole process group) is not."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="leadflow-worker-")
        self.wake_socket = str(Path(self.directory) / "wake.sock")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.process, self._lifeline = self._spawn()
        self._supervisor = threading.Thread(
            target=self._supervise, name="worker-supervisor", daemon=True
        )
        self._supervisor.start()

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int]:
        read_end, write_end = os.pipe()
        os.set_inheritable(write_end, False)
        command = [sys.executable, "-m", "leadflow", "worker"]
        command += ["--lifeline-fd", str(read_end), "--wake-socket", self.wake_socket]
        # The child inherits the signal mask: see STOP_SIGNALS.
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            process = subprocess.Popen(command, pass_fds=(read_end,))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        os.close(read_end)
        return process, write_end

    def _supervise(self) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set() or code == 0:
                return
            failures = 0 if time.monotonic() - started >= HEALTHY_SECONDS else failures
            pause = RESTART_SECONDS[min(failures, len(RESTART_SECONDS) - 1)]
            failures += 1
            log.error("the worker exited with %s; starting it again in %.0f s", code, pause)
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                with contextlib.suppress(OSError):
                    os.close(self._lifeline)
                self.process, self._lifeline = self._spawn()

    def stop(self) -> None:
        """Close the lifeline (the child stops in order), then wait; kill it if it hangs."""
        with self._lock:
            self._stopping.set()
            with contextlib.suppress(OSError):
                os.close(self._lifeline)
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("the worker did not stop within %.0f s; killing it", STOP_SECONDS)
            self.process.kill()
            self.process.wait()
        self._supervisor.join(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)


class WakeSender:
    """The API side of a wake: one datagram, sent without waiting."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def __call__(self) -> None:
        # Not there yet, restarting, or its queue is full: the worker's poll covers it.
        with contextlib.suppress(OSError):
            self._socket.sendto(_WAKE, self.address)

    def close(self) -> None:
        self._socket.close()


def listen_for_wakes(
    loop: asyncio.AbstractEventLoop, address: str, wake: Callable[[], None]
) -> socket.socket:
    """The worker side: bind ``address`` and call ``wake`` whenever datagrams arrive (all that
    queued up count as one)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(address)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.setblocking(False)
    listener.bind(address)

    def readable() -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                listener.recv(64)
        wake()

    loop.add_reader(listener.fileno(), readable)
    return listener


def watch_lifeline(loop: asyncio.AbstractEventLoop, fd: int, stop: Callable[[], None]) -> None:
    """Call ``stop`` once the process holding the pipe's other end has ended."""

    def readable() -> None:
        try:
            data = os.read(fd, 64)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            stop()

    loop.add_reader(fd, readable)
