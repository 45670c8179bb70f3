"""Idle and slow connections are closed, connections are capped, and the open-file limit is
raised at start: no crowd of sockets makes the API stop answering."""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.security.conftest import LiveServer, StartServer, _start

pytestmark = pytest.mark.slow

TIMEOUTS = {"LEADFLOW_HEADER_TIMEOUT_SECONDS": "2", "LEADFLOW_BODY_TIMEOUT_SECONDS": "2"}


def common_file_limit() -> Callable[[], None]:
    """Start the server under the common 1,024 open-file soft limit (the hard one unchanged),
    as many systems do; returns the undo."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with 2-second header and body deadlines, started under 1,024 open files."""
    live = _start(tmp_path_factory.mktemp("strict"), TIMEOUTS, common_file_limit)
    try:
        yield live
    finally:
        live.process.stop()


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.process.port), timeout=10)


def read_all(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes, or until ``within`` seconds passed."""
    sock.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"still open after {within}s; received {received!r}")


def test_1100_idle_sockets_do_not_stop_the_api(strict: LiveServer) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    idle = [connect(strict) for _ in range(1100)]
    try:
        ping = httpx.get(f"{strict.base_url}/api/v1/ping", timeout=5)
        assert ping.status_code == 200

        # Idle sockets that never sent a request are closed after the header deadline.
        assert read_all(idle[0], within=6) == b""
        assert read_all(idle[-1], within=2) == b""
    finally:
        for sock in idle:
            sock.close()


def test_headers_trickled_byte_by_byte_are_cut_off_with_408(strict: LiveServer) -> None:
    sock = connect(strict)
    sock.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    answer = b""
    for byte in b"X-Slow: " + b"a" * 40:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.2)
        if time.monotonic() - started > 8:
            break
    answer = read_all(sock, within=2)

    assert answer.startswith(b"HTTP/1.1 408")
    assert b"headers" in answer
    assert time.monotonic() - started < 6


def test_a_body_trickled_byte_by_byte_is_cut_off_with_408(strict: LiveServer) -> None:
    sock = connect(strict)
    body = b'{"lead_token": "' + strict.lead_token.encode() + b'", "caller_id": "+17193130300"}'
    sock.sendall(
        b"POST /api/v1/leads HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    started = time.monotonic()
    for byte in body:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.2)
        if time.monotonic() - started > 8:
            break
    answer = read_all(sock, within=2)

    assert answer.startswith(b"HTTP/1.1 408")
    assert b'"body":["was not received within 2 seconds"]' in answer
    assert time.monotonic() - started < 6


def test_connections_over_the_cap_are_refused_503_and_freed(start_server: StartServer) -> None:
    live = start_server(env={"LEADFLOW_MAX_CONNECTIONS": "50"})
    held = [connect(live) for _ in range(50)]
    time.sleep(0.5)
    try:
        over = httpx.get(f"{live.base_url}/api/v1/ping", timeout=5)
        assert over.status_code == 503
    except httpx.TransportError:
        pass  # refused before the request was read: the client may see the reset first
    else:
        assert over.json()["error_code"] == "service_unavailable"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)

    assert httpx.get(f"{live.base_url}/api/v1/ping", timeout=5).status_code == 200
