"""The 500-token cap holds for the tokens a lead would store: JSON unpacked from its fields by
``auto_format_nested_fields`` counts too."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.security.conftest import LiveServer

pytestmark = pytest.mark.slow

OVER_THE_CAP = "has more than 500 tokens once nested fields are expanded"


def embedded_fields(fields: int, keys: int) -> dict[str, str]:
    """``fields`` form fields, each holding a JSON object of ``keys`` keys."""
    return {f"field_{f}": json.dumps({f"f{f}_k{k}": k for k in range(keys)}) for f in range(fields)}


def test_nested_fields_expanding_past_the_cap_are_refused(server: LiveServer) -> None:
    form = {
        "lead_token": server.lead_token,
        "caller_id": "+17193130200",
        "auto_format_nested_fields": "true",
        **embedded_fields(10, 100),  # 10 fields sent, 1,000 tokens once unpacked
    }
    response = httpx.post(f"{server.base_url}/api/v1/leads", data=form, timeout=30)

    assert response.status_code == 422
    assert response.json()["errors"] == {"data": [OVER_THE_CAP]}


def test_the_cap_holds_on_json_posts_too(server: LiveServer) -> None:
    body = {
        "lead_token": server.lead_token,
        "caller_id": "+17193130201",
        "auto_format_nested_fields": True,
        "data": embedded_fields(2, 300),
    }
    response = httpx.post(f"{server.base_url}/api/v1/leads", json=body, timeout=30)

    assert response.status_code == 422
    assert response.json()["errors"] == {"data": [OVER_THE_CAP]}


def test_nested_fields_within_the_cap_are_stored_as_tokens(server: LiveServer) -> None:
    form = {
        "lead_token": server.lead_token,
        "caller_id": "+17193130202",
        "auto_format_nested_fields": "true",
        **embedded_fields(4, 100),
    }
    response = httpx.post(f"{server.base_url}/api/v1/leads", data=form, timeout=30)

    assert response.status_code == 200, response.text
