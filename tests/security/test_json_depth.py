"""One JSON depth limit (``LEADFLOW_MAX_JSON_DEPTH``, 32) for every JSON body and for JSON sent
inside a field: answered 422 naming the field, never a 500 from code that walks the value."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.security.conftest import LiveServer

pytestmark = pytest.mark.slow

TOO_DEEP = "is nested more than 32 levels deep"


def nested(levels: int) -> Any:
    """An object ``levels`` deep: ``{"a": {"a": ... "x"}}``."""
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def lead(server: LiveServer, **fields: Any) -> dict[str, Any]:
    return {"lead_token": server.lead_token, "caller_id": "+17193130100", **fields}


def test_300_deep_lead_data_is_refused_naming_data(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.base_url}/api/v1/leads", json=lead(server, data=nested(300)), timeout=30
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"data": [TOO_DEEP]}


def test_300_deep_lead_update_is_refused_naming_the_field(server: LiveServer) -> None:
    response = httpx.put(
        f"{server.base_url}/api/v1/leads", json=lead(server, survey=nested(300)), timeout=30
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"survey": [TOO_DEEP]}


def test_deep_json_inside_a_form_field_is_refused(server: LiveServer) -> None:
    form = {
        "lead_token": server.lead_token,
        "caller_id": "+17193130101",
        "auto_format_nested_fields": "true",
        "answers": json.dumps(nested(300)),
    }
    response = httpx.post(f"{server.base_url}/api/v1/leads", data=form, timeout=30)

    assert response.status_code == 422
    assert response.json()["errors"] == {"answers": [TOO_DEEP]}


def test_deep_data_text_in_a_form_is_refused(server: LiveServer) -> None:
    form = {"lead_token": server.lead_token, "caller_id": "+17193130102"}
    form["data"] = json.dumps(nested(300))
    response = httpx.post(f"{server.base_url}/api/v1/leads", data=form, timeout=30)

    assert response.status_code == 422
    assert response.json()["errors"] == {"data": [TOO_DEEP]}


def test_deep_leadsail_submission_is_refused_in_leadsail_words(server: LiveServer) -> None:
    body = {"campaignId": "c1", "firstName": "Ann", "customFields": nested(300)}
    response = httpx.post(
        f"{server.base_url}/api/v1/leads/submit", json=body, headers=server.api_key, timeout=30
    )

    assert response.status_code == 422
    assert response.json() == {
        "success": False,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Validation failed",
            "details": [{"field": "customFields", "message": TOO_DEEP}],
        },
    }


def test_any_other_json_body_has_the_same_limit(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.base_url}/api/v1/offers",
        json={"name": "Auto", "description": nested(300)},
        headers=server.auth,
        timeout=30,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"description": [TOO_DEEP]}


def test_data_nested_up_to_the_limit_is_taken(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.base_url}/api/v1/leads",
        json=lead(server, caller_id="+17193130103", data=nested(31)),
        timeout=30,
    )

    assert response.status_code == 200, response.text
