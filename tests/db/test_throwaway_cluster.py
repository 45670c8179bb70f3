"""The test session's throwaway PostgreSQL cluster does not outlive a killed session: the next
cluster started on the machine stops it first."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.postgres import find_bin_dir, stop_orphans

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_bin_dir() is None, reason="PostgreSQL server binaries not found"),
]

STARTER = (
    "import sys, time\n"
    "from tests.support.postgres import start_cluster\n"
    "cluster = start_cluster()\n"
    "print(cluster.data_dir, flush=True)\n"
    "time.sleep(120)\n"
)


def _alive(pid: int) -> bool:
    """Running, not gone and not a zombie waiting for its new parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone_soon(pid: int) -> bool:
    for _ in range(100):
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_a_cluster_whose_session_was_killed_is_stopped_by_the_next_start() -> None:
    root = Path(__file__).parents[2]
    session = subprocess.Popen(
        [sys.executable, "-c", STARTER], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert session.stdout is not None
        data_dir = Path(session.stdout.readline().strip())
        postmaster = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait()
    assert _alive(postmaster)  # nobody stopped it

    stopped = stop_orphans()

    assert data_dir.parent in stopped
    assert _gone_soon(postmaster)
    assert not data_dir.parent.exists()
