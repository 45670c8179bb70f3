"""A real ``leadflow serve`` process on loopback, for tests that must kill and restart it.

The process gets its own session (process group), so ``kill_hard`` takes uvicorn and anything
it spawned down at once, as ``kill -9`` would, and ``stop`` never leaves a process behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psutil

from tests.support.cli import LEADFLOW, leadflow_env
from tests.support.postgres import free_port


@dataclass
class ServerProcess:
    database_url: str
    log_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    """More options for ``leadflow serve`` (``--workers 2``)."""
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        """Start and wait until it answers ``/api/v1/ping``; fail with its log if it dies."""
        assert self.process is None, "already running"
        self.starts += 1
        self._log = (self.log_dir / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [str(LEADFLOW), "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            env=leadflow_env(
                self.database_url, **{"LEADFLOW_WORKER_POLL_SECONDS": "0.2", **self.env}
            ),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"server did not answer within {timeout}s:\n{self.log()}")

    def kill_hard(self) -> None:
        """``kill -9`` the whole process group: no shutdown hook, no flush, no goodbye."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._forget()

    def stop(self) -> None:
        """Ask politely, then insist: used for cleanup, so it never raises.

        Done means the whole process group is gone, the worker ``serve`` started included: it
        stops in order after ``serve`` (it may still have been starting), and left running it
        would go on writing to a database the next test is already using."""
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=15)
            deadline = time.monotonic() + 45
            while _group_alive(group):
                if time.monotonic() >= deadline:
                    raise subprocess.TimeoutExpired(f"process group {group}", 45)
                time.sleep(0.05)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill_hard()
            return
        self._forget()

    def log(self) -> str:
        logs = sorted(self.log_dir.glob("server-*.log"))
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in logs)

    def _forget(self) -> None:
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _group_alive(group: int) -> bool:
    """Whether any process of the group is left (one that has exited but whose parent has not
    yet collected it counts as gone)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return any(
        process.info["status"] != psutil.STATUS_ZOMBIE
        for process in psutil.process_iter(["status"])
        if _group_of(process.pid) == group
    )


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
