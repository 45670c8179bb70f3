"""The published contract: `/openapi.json` names every route, with real answer and error shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from leadflow.app import create_app
from leadflow.settings import Settings

DOCS_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# Answer without credentials or parameters: nothing to refuse with a 401 or a 422.
PUBLIC_WITHOUT_INPUT = {"/api/v1/ping", "/healthz"}
UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def built_app() -> FastAPI:
    """The app as routed; the contract needs no database, so none is opened."""
    return create_app(Settings(database_url="sqlite:///unused.db", embedded_worker=False))


@pytest.fixture(scope="module")
def contract(built_app: FastAPI) -> dict[str, Any]:
    return built_app.openapi()


def routed_operations(app: FastAPI) -> set[tuple[str, str]]:
    """The API's operations; the web app's pages are for browsers and stay out of the contract."""
    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if context.path is not None
        and context.path not in DOCS_ROUTES
        and (context.path.startswith("/api/") or context.path in PUBLIC_WITHOUT_INPUT)
        for method in (context.methods or set()) - UNDOCUMENTED_METHODS
    }


def documented_operations(contract: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in contract["paths"].items()
        for method in operations
    }


def response_schema(contract: dict[str, Any], operation: dict[str, Any], status: int) -> Any:
    """The JSON schema an operation documents for ``status``, its ``$ref`` followed."""
    response = operation.get("responses", {}).get(str(status))
    if response is None:
        return None
    return _resolved(
        contract, response.get("content", {}).get("application/json", {}).get("schema")
    )


def _resolved(contract: dict[str, Any], schema: Any) -> Any:
    if schema and "$ref" in schema:
        return contract["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if schema and "anyOf" in schema:
        return {"anyOf": [_resolved(contract, choice) for choice in schema["anyOf"]]}
    return schema


def _describes_an_object(schema: Any) -> bool:
    return bool(schema) and bool(schema.get("properties") or schema.get("additionalProperties"))


def is_error_envelope(schema: Any) -> bool:
    """TrackDrive's ``{status, errors}`` or LeadSail's ``{success, error}``; on a path both
    dialects serve, any of them."""
    if schema and "anyOf" in schema:
        return all(is_error_envelope(choice) for choice in schema["anyOf"])
    properties = set((schema or {}).get("properties", {}))
    return {"status", "errors"} <= properties or {"success", "error"} <= properties


def test_every_route_is_in_the_contract_with_its_methods(
    built_app: FastAPI, contract: dict[str, Any]
) -> None:
    routed = routed_operations(built_app)
    assert len(routed) > 20
    assert routed == documented_operations(contract)


def test_every_operation_documents_its_200_answer(contract: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, operations in contract["paths"].items()
        for method, operation in operations.items()
        if not _describes_an_object(response_schema(contract, operation, 200))
    ]
    assert missing == []


@pytest.mark.parametrize("status", [401, 422])
def test_every_api_operation_documents_the_error_envelope(
    contract: dict[str, Any], status: int
) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, operations in contract["paths"].items()
        if path not in PUBLIC_WITHOUT_INPUT
        for method, operation in operations.items()
        if not is_error_envelope(response_schema(contract, operation, status))
    ]
    assert missing == []


def test_no_operation_shows_fastapis_own_validation_error_shape(contract: dict[str, Any]) -> None:
    """Our 422 is the dialect's envelope; FastAPI's ``{"detail": [...]}`` is never answered."""
    assert "HTTPValidationError" not in contract["components"]["schemas"]


async def test_contract_and_docs_are_served(built_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=built_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://leadflow.test") as client:
        served = await client.get("/openapi.json")
        docs = await client.get("/docs")
    assert served.status_code == 200
    assert served.json()["info"]["title"] == "Leadflow"
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text


def test_company_routes_publish_http_basic_so_docs_can_send_credentials(
    contract: dict[str, Any],
) -> None:
    scheme = contract["components"]["securitySchemes"]["basicAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "basic")
    offers = contract["paths"]["/api/v1/offers/{ref}"]
    assert all(operation["security"] == [{"basicAuth": []}] for operation in offers.values())


def _names_lead_token_on_the_query(operation: dict[str, Any]) -> bool:
    return any(
        (parameter["name"], parameter["in"]) == ("lead_token", "query")
        for parameter in operation.get("parameters", [])
    )


def test_every_api_operation_says_how_to_authenticate(contract: dict[str, Any]) -> None:
    """Basic credentials for the company API, a ``lead_token`` for intake and caller operations:
    a client generated from the contract can call every operation."""
    silent = [
        f"{method.upper()} {path}"
        for path, operations in contract["paths"].items()
        if path.startswith("/api/v1/") and path not in PUBLIC_WITHOUT_INPUT
        for method, operation in operations.items()
        if "security" not in operation and not _names_lead_token_on_the_query(operation)
    ]
    assert silent == []


@pytest.mark.parametrize(
    ("method", "path", "required"),
    [
        ("post", "/api/v1/leads", False),
        ("put", "/api/v1/leads/capture", False),
        ("post", "/api/v1/leads/create_or_update", False),
        ("get", "/api/v1/leads/{caller_id}/caller_opt_out", True),
        ("delete", "/api/v1/leads/{caller_id}/caller_remove", True),
        ("put", "/api/v1/leads/{caller_id}/caller_move_to_end_of_schedule", True),
    ],
)
def test_lead_token_is_documented_as_a_query_parameter(
    contract: dict[str, Any], method: str, path: str, required: bool
) -> None:
    """Intake also takes it in the body, so only the caller operations require it here."""
    operation = contract["paths"][path][method]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "lead_token"]
    assert parameter["in"] == "query"
    assert parameter["required"] is required
    assert parameter["schema"] == {"type": "string"}
    assert "security" not in operation


def test_health_documents_its_503_in_the_error_envelope(contract: dict[str, Any]) -> None:
    operation = contract["paths"]["/healthz"]["get"]
    assert is_error_envelope(response_schema(contract, operation, 503))
