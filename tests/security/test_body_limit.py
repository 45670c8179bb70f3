"""A body over ``LEADFLOW_MAX_BODY_BYTES`` is refused while it streams in, before anything
parses it or looks up its credentials, in the route's own dialect."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.security.conftest import LiveServer, StartServer

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
HUGE = 200 * MIB


def stream(size: int, chunk: int = MIB) -> Iterator[bytes]:
    """``size`` bytes produced as they are sent, so the test never holds them."""
    block = b"x" * chunk
    for _ in range(size // chunk):
        yield block


def rss(server: LiveServer) -> int:
    return int(psutil.Process(server.pid).memory_info().rss)


def post(server: LiveServer, path: str, size: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.base_url + path, content=stream(size), headers=headers, timeout=60)


def test_200_mb_lead_post_with_a_wrong_token_is_refused_at_once(server: LiveServer) -> None:
    post(server, "/api/v1/leads?lead_token=wrong", 2 * MIB, {"content-length": str(2 * MIB)})
    before = rss(server)
    started = time.monotonic()

    response = post(
        server,
        "/api/v1/leads?lead_token=wrong",
        HUGE,
        {"content-type": "application/json", "content-length": str(HUGE)},
    )

    elapsed = time.monotonic() - started
    assert response.status_code == 413
    assert response.json() == {
        "status": 413,
        "errors": {"body": ["is larger than 1048576 bytes"]},
        "error_code": "payload_too_large",
    }
    assert elapsed < 5
    assert rss(server) - before < 20 * MIB


def test_chunked_200_mb_post_without_credentials_is_refused_as_it_streams(
    server: LiveServer,
) -> None:
    before = rss(server)

    # No Content-Length: httpx sends a generator chunked, so only counting can stop it.
    response = post(server, "/api/v1/offers", HUGE, {"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["errors"] == {"body": ["is larger than 1048576 bytes"]}
    assert rss(server) - before < 20 * MIB


def test_leadsail_submission_over_the_limit_gets_leadsail_413(server: LiveServer) -> None:
    response = post(
        server,
        "/api/v1/leads/submit",
        2 * MIB,
        {**server.api_key, "content-type": "application/json", "content-length": str(2 * MIB)},
    )

    assert response.status_code == 413
    assert response.json() == {
        "success": False,
        "error": {
            "code": "PAYLOAD_TOO_LARGE",
            "message": "body is larger than 1048576 bytes",
            "details": [{"field": "body", "message": "is larger than 1048576 bytes"}],
        },
    }


def test_web_sign_in_over_the_limit_gets_an_html_413_page(server: LiveServer) -> None:
    response = post(
        server,
        "/login",
        2 * MIB,
        {"content-type": "application/x-www-form-urlencoded", "content-length": str(2 * MIB)},
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Request too large" in response.text


def test_a_lead_within_the_limit_is_still_taken(server: LiveServer) -> None:
    notes = {f"note_{n}": "y" * 9000 for n in range(100)}  # 900 kB, under 1 MiB
    response = httpx.post(
        f"{server.base_url}/api/v1/leads",
        json={"lead_token": server.lead_token, "caller_id": "+17193130001", "data": notes},
        timeout=30,
    )

    assert response.status_code == 200, response.text


def test_the_limit_is_a_setting(start_server: StartServer) -> None:
    live = start_server(env={"LEADFLOW_MAX_BODY_BYTES": "4096"})

    response = httpx.post(
        f"{live.base_url}/api/v1/leads",
        json={"lead_token": live.lead_token, "caller_id": "+17193130002", "note": "z" * 5000},
        timeout=30,
    )

    assert response.status_code == 413
    assert response.json()["errors"] == {"body": ["is larger than 4096 bytes"]}
