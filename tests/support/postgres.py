"""A throwaway PostgreSQL cluster for the test session: initdb + pg_ctl on a free port.

PostgreSQL refuses to run as root, so as root the cluster is created and started as the
``postgres`` user, in a directory that user owns.

A session stops its cluster when it ends; one that is killed (``kill -9``, a CI timeout)
cannot, and its cluster would run on, holding memory and a port, until the machine restarts.
So each cluster's folder records the process that started it, and starting a cluster first
stops those whose process is gone (:func:`stop_orphans`).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Cluster:
    data_dir: Path
    port: int
    bin_dir: Path
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [
                *self.run_as,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def find_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1])
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OWNER = "owner.pid"
"""In a cluster's folder: the id of the process that started it."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_orphans() -> list[Path]:
    """Stop and remove the throwaway clusters whose starting process is gone; their folders.
    Folders without an owner (from before owners were recorded) are left alone."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return []
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    stopped = []
    for base in Path(tempfile.gettempdir()).glob("leadflow-pg-*"):
        try:
            pid = int((base / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if _alive(pid):
            continue
        Cluster(data_dir=base / "data", port=0, bin_dir=bin_dir, run_as=run_as).stop()
        stopped.append(base)
    return stopped


def start_cluster(durable: bool = False) -> Cluster:
    """A cluster on a free port. The tests' cluster skips the disk syncs (nothing in it must
    outlive the session); ``durable`` keeps PostgreSQL's defaults, as a benchmark needs: a
    commit that is not on disk is cheaper than one a lead can count on."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    stop_orphans()
    base = Path(tempfile.mkdtemp(prefix="leadflow-pg-"))
    (base / OWNER).write_text(str(os.getpid()))
    data_dir = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres", group="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            options,
            "-w",
            "-l",
            str(base / "log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return Cluster(data_dir=data_dir, port=port, bin_dir=bin_dir, run_as=run_as)
