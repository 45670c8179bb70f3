"""Every GET of the API without a path parameter answers an unknown query parameter 422 and
names it, whatever the route: a misspelt filter is never silently ignored (it would return
every row, as if the filter had matched)."""

from __future__ import annotations

import httpx
import pytest

from leadflow.app import create_app
from leadflow.settings import Settings
from tests.factories import Factory
from tests.submissions.api.conftest import api_key

# Not the company API: the provider's webhooks, and the no-database probe benchmarks compare with.
OUTSIDE = ("/api/v1/telephony", "/api/v1/inbound", "/api/v1/ping")
# Parameters a route requires, so that only the misspelt one is wrong.
REQUIRED = {"/api/v1/dnc/check": {"number": "+12125550123"}}


def _gets() -> list[str]:
    """From the OpenAPI document: every documented GET of the API, so a new one is covered."""
    paths = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:")).openapi()["paths"]
    return sorted(
        path
        for path, operations in paths.items()
        if "get" in operations
        and path.startswith("/api/v1/")
        and "{" not in path
        and not path.startswith(OUTSIDE)
    )


@pytest.mark.parametrize("path", _gets())
async def test_an_unknown_query_parameter_is_422_naming_it(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    tenant = await factory.tenant()
    headers = {**tenant.auth, **api_key(tenant)}
    answer = await client.get(
        path, params={**REQUIRED.get(path, {}), "zz_misspelt": "1"}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert "zz_misspelt" in answer.text
