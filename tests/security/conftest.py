"""A real ``leadflow serve`` on loopback, with a company and an offer, for the hostile-input
tests: every limit here is enforced by the server process (its connection layer, its request
wrapper), so it is tried over real sockets, as an attacker would.

The limits do not depend on the database engine, so the server runs on SQLite only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.cli import run_leadflow
from tests.support.server import ServerProcess


@dataclass
class LiveServer:
    """A running server, its company's credentials and an offer's lead token."""

    process: ServerProcess
    public_key: str
    private_key: str
    lead_token: str

    @property
    def base_url(self) -> str:
        return self.process.base_url

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    @property
    def auth(self) -> dict[str, str]:
        raw = f"{self.public_key}:{self.private_key}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    @property
    def api_key(self) -> dict[str, str]:
        return {"X-API-Key": f"{self.public_key}.{self.private_key}"}


StartServer = Callable[..., LiveServer]


def _start(directory: Path, env: dict[str, str], before_start: Callable[[], object]) -> LiveServer:
    directory.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{directory / 'leadflow.db'}"
    created = json.loads(
        run_leadflow(database_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    process = ServerProcess(database_url, directory, env=env)
    restore = before_start()
    try:
        process.start()
    finally:
        if callable(restore):
            restore()
    server = LiveServer(process, created["public_key"], created["private_key"], "")
    offer = httpx.post(
        f"{server.base_url}/api/v1/offers", json={"name": "Auto"}, headers=server.auth, timeout=10
    )
    assert offer.status_code == 200, offer.text
    server.lead_token = offer.json()["offer"]["leads_api_key"]
    return server


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start a server with extra ``LEADFLOW_*`` settings; ``before_start`` runs just before it
    starts and may return a function undoing what it did (a lower open-file limit, say)."""
    started: list[LiveServer] = []

    def start(
        env: dict[str, str] | None = None, before_start: Callable[[], object] = lambda: None
    ) -> LiveServer:
        server = _start(tmp_path / f"server-{len(started)}", env or {}, before_start)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.process.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server with the default limits, shared by a module's tests."""
    live = _start(tmp_path_factory.mktemp("server"), {}, lambda: None)
    try:
        yield live
    finally:
        live.process.stop()
