"""Lists live in a directory of the test's own; every process re-reads versions at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.settings import Settings
from tests.cadence.conftest import cadence
from tests.calls.dialing.conftest import build, voice
from tests.telephony.builders import Builder

__all__ = ["Builder", "build", "cadence", "voice"]


@pytest.fixture
def dnc_dir(tmp_path: Path) -> Path:
    return tmp_path / "dnc"


@pytest.fixture
def settings(database_url: str, dnc_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        default_caller_id="+15005550006",
        dnc_dir=dnc_dir,
        dnc_refresh_seconds=0,
    )
