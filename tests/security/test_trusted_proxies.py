"""A key's IP allowlist sees the real peer: ``X-Forwarded-For`` is believed only from the
proxies named in ``LEADFLOW_TRUSTED_PROXIES`` (none by default)."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.security.conftest import LiveServer, StartServer

pytestmark = pytest.mark.slow

OFFICE = "203.0.113.7"


def office_only_key(server: LiveServer) -> dict[str, str]:
    """Basic credentials of a new key that may only be used from the office's address."""
    created = httpx.post(
        f"{server.base_url}/api/v1/api_keys",
        json={"name": "office", "permissions": {"offers": ["read"]}, "ip_allowlist": [OFFICE]},
        headers=server.auth,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    key = created.json()["api_key"]
    raw = f"{key['public_key']}:{key['private_key']}"
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def test_forged_forwarded_for_does_not_pass_an_allowlist(server: LiveServer) -> None:
    headers = {**office_only_key(server), "X-Forwarded-For": OFFICE}

    response = httpx.get(f"{server.base_url}/api/v1/offers", headers=headers, timeout=10)

    assert response.status_code == 403
    assert response.json()["errors"] == {"base": ["this key may not be used from your IP address"]}


def test_forwarded_for_from_a_trusted_proxy_is_believed(start_server: StartServer) -> None:
    live = start_server(env={"LEADFLOW_TRUSTED_PROXIES": "127.0.0.0/8"})
    key = office_only_key(live)

    through_proxy = httpx.get(
        f"{live.base_url}/api/v1/offers", headers={**key, "X-Forwarded-For": OFFICE}, timeout=10
    )
    direct = httpx.get(f"{live.base_url}/api/v1/offers", headers=key, timeout=10)

    assert through_proxy.status_code == 200, through_proxy.text
    assert direct.status_code == 403
