"""A real browser against a real server, for the web app's end-to-end tests.

Debian's Chromium, headless, driven by Playwright, against a ``leadflow serve`` process on
SQLite with one company and one signed-up marketer. ``show`` opens a page at a phone's and a
laptop's width, fails when either scrolls sideways, and keeps both as screenshots under
``var/test-artifacts/web/`` for people to look at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import run_leadflow
from tests.support.server import ServerProcess

CHROMIUM = Path(os.environ.get("LEADFLOW_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "web"
EMAIL = "marketer@example.com"
PASSWORD = "a browser test passphrase"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class BrowserServer:
    """A running server, its database URL (for the CLI) and the marketer's company id."""

    process: ServerProcess
    database_url: str
    company_id: int

    @property
    def base_url(self) -> str:
        return self.process.base_url


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("LEADFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture
def browser_server(tmp_path: Path) -> Iterator[BrowserServer]:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    company = json.loads(
        run_leadflow(url, "companies", "create", "--name", "Browser Co", "--json").stdout
    )
    run_leadflow(
        url, "users", "create", "--company", str(company["id"]),
        "--email", EMAIL, "--password", PASSWORD,
    )  # fmt: skip
    process = ServerProcess(url, tmp_path)
    process.start()
    try:
        yield BrowserServer(process, url, int(company["id"]))
    finally:
        process.stop()


@dataclass(frozen=True)
class ApiServer:
    """A running server and an API client holding its company's key pair, for tests that
    make rows through the public API and then look at them in the browser."""

    process: ServerProcess
    api: httpx.Client

    @property
    def base_url(self) -> str:
        return self.process.base_url


@pytest.fixture
def api_server(tmp_path: Path) -> Iterator[ApiServer]:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    company = json.loads(
        run_leadflow(url, "companies", "create", "--name", "API Co", "--json").stdout
    )
    run_leadflow(
        url, "users", "create", "--company", str(company["id"]),
        "--email", EMAIL, "--password", PASSWORD,
    )  # fmt: skip
    process = ServerProcess(url, tmp_path)
    process.start()
    keys = (company["public_key"], company["private_key"])
    try:
        with httpx.Client(base_url=process.base_url, auth=keys, timeout=30) as api:
            yield ApiServer(process, api)
    finally:
        process.stop()


def sign_in(page: Any, base_url: str) -> None:
    """Sign the marketer in from the login page."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def show(page: Any, url: str, name: str) -> None:
    """Open ``url`` at 390 px and at 1280 px; fail if it scrolls sideways at either width."""
    for label, size in (("390", PHONE), ("1280", LAPTOP)):
        page.set_viewport_size(size)
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{url} scrolls sideways at {size['width']} px ({width} px)"
        screenshot(page, f"{name}-{label}")
