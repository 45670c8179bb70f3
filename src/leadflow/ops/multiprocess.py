"""Where the processes of ``leadflow serve`` keep their metrics: kept apart from
:mod:`leadflow.ops.metrics` because it must run before anything imports prometheus-client,
which reads ``PROMETHEUS_MULTIPROC_DIR`` once, when it is imported."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "leadflow-metrics-"


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_directory() -> Path | None:
    """For ``serve``, before any process it starts imports prometheus-client: the operator's
    ``PROMETHEUS_MULTIPROC_DIR`` emptied of a previous run's files (their counts would be
    added to this run's), or a fresh private one. Returns the directory to remove at exit
    (only one we made)."""
    given = multiprocess_directory()
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        return None
    _remove_orphans()
    made = Path(tempfile.gettempdir()) / f"{PREFIX}{os.getpid()}"
    shutil.rmtree(made, ignore_errors=True)
    made.mkdir(mode=0o700)
    os.environ[MULTIPROC_ENV] = str(made)
    return made


def _remove_orphans() -> None:
    """Directories of earlier ``serve`` processes that are gone: uvicorn ends a process it
    stopped on SIGTERM by raising the signal again, so ``serve``'s own clean-up never runs."""
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = directory.name.removeprefix(PREFIX)
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except PermissionError:
            continue  # another user's live process


def remove_multiprocess_directory(directory: Path | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
