"""Running the real ``leadflow`` console script, as an operator would, against a chosen database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.databases import create_postgres_database

LEADFLOW = Path(sys.executable).with_name("leadflow")


def leadflow_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update({"LEADFLOW_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **extra})
    return env


def run_leadflow(
    database_url: str, *args: str, timeout: float = 120, expect_success: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``leadflow *args``; fails the test with the command's output if it fails
    (unless ``expect_success`` is False)."""
    result = subprocess.run(
        [str(LEADFLOW), *args],
        env=leadflow_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if expect_success:
        assert result.returncode == 0, f"leadflow {' '.join(args)} failed:\n{result.stderr}"
    return result


async def empty_database(engine: str, directory: Path, postgres_server: str | None) -> str:
    """A database with no tables at all, on ``engine``; skips when PostgreSQL is unavailable."""
    if engine == "sqlite":
        return f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
    if postgres_server is None:
        pytest.skip("PostgreSQL is not available")
    return await create_postgres_database(postgres_server, f"leadflow_cli_{uuid.uuid4().hex[:8]}")
