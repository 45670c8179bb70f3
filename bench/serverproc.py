"""Start Leadflow the way `make run` does, in a child process, for benchmarks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

LEADFLOW = str(Path(sys.executable).with_name("leadflow"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def leadflow(args: list[str], database_url: str) -> str:
    env = {**os.environ, "LEADFLOW_DATABASE_URL": database_url}
    return subprocess.run(
        [LEADFLOW, *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def create_company(database_url: str) -> dict[str, str]:
    leadflow(["db", "upgrade"], database_url)
    out: dict[str, str] = json.loads(
        leadflow(["companies", "create", "--name", "Bench", "--json"], database_url)
    )
    return out


@contextmanager
def server(
    database_url: str, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "LEADFLOW_DATABASE_URL": database_url, **(extra_env or {})}
    # The server's log goes to a file, not a pipe: nobody reads a pipe while the bench runs,
    # and once its 64 KB filled, the server blocked on its next log line, which the figures
    # then measured (a worker logging each delivery stalled bench.submit that way).
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        [LEADFLOW, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a shared, loaded machine starts slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            log.seek(0)
            raise RuntimeError("server did not start: " + log.read().decode(errors="replace"))
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
