"""No input, however odd, makes intake answer 500: every refusal is a 4xx naming the field."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.kit.errors import TrackDriveError
from leadflow.leads.params import BOOLEAN_FLAGS, RESERVED, parse_intake
from leadflow.models import Schedule
from tests.factories import Factory, Tenant

ANSWERS = {200, 401, 403, 404, 422}
RESERVED_NAMES = sorted(RESERVED)

names = st.one_of(
    st.sampled_from(RESERVED_NAMES),
    st.sampled_from(["data[a]", "address[city]", "Phone Number", "email", "payload", "\x00"]),
    st.text(max_size=20),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        ["7193132645", "true", "2021-07-23 14:26:43 +0000", "9999-12-31 23:59:59 -1200", "a@b.co"]
    ),
    # Values that once reached the database and broke it, or come close to its limits.
    st.sampled_from(["a\x00b", "\x00", "²", "9" * 30, "x" * 10_001, '{"Phone": "7193132645"}']),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(names, json_values, max_size=8)
queries = st.dictionaries(names, st.text(max_size=30), max_size=6)
relaxed = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@given(raw=bodies)
@settings(max_examples=400, deadline=None)
def test_parsing_refuses_only_with_a_trackdrive_error(raw: dict[str, Any]) -> None:
    refusal: TrackDriveError | None = None
    try:
        parse_intake(raw, "US")
    except TrackDriveError as error:
        refusal = error
    if refusal is not None:
        assert refusal.status == 422
        assert refusal.errors


@pytest.fixture
async def busy_schedule(factory: Factory, tenant: Tenant) -> Schedule:
    """Deduplicating, with a number to assign: the paths a plain schedule never takes."""
    await factory.number(tenant, "+13035550100", ["voice", "sms"])
    return await factory.schedule(tenant, lead_duplicate_timeframe=3600)


@given(query=queries, body=bodies)
@relaxed
async def test_json_posts_never_answer_500(
    client: httpx.AsyncClient, busy_schedule: Schedule, query: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/leads", params={"lead_token": busy_schedule.leads_api_key, **query}, json=body
    )
    assert response.status_code in ANSWERS, response.text


words = st.sampled_from(["1", "true", "yes", "on", "0", "false", "no", "off"])
times = st.sampled_from(["2021-07-23 14:26:43 +0000", "2026-01-05T15:00:01Z"])
counts = st.integers(min_value=0, max_value=100)
plausible = st.fixed_dictionaries(
    {},
    optional={
        "caller_id": st.sampled_from(["7193132645", "+18004506787", "(719) 313-2645"]),
        "email": st.sampled_from(["A@B.com", "john@example.com"]),
        "sub_id": st.text(max_size=20),
        "contact_field_type": st.text(max_size=20),
        "apply_to": st.just("calls"),
        "schedule_callback_at": times,
        "next_action_at": times,
        "schedule_callback_in_seconds": counts,
        "hours_to_expire": counts,
        "expires_in": counts,
        "max_contact_attempts": counts,
        "lead_priority": counts,
        **{flag: words for flag in BOOLEAN_FLAGS if flag != "unblock_contact"},
        "data": st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    },
)


@given(body=plausible, tokens=st.dictionaries(st.text(max_size=10), json_values, max_size=4))
@relaxed
async def test_well_formed_posts_with_odd_tokens_never_answer_500(
    client: httpx.AsyncClient,
    busy_schedule: Schedule,
    body: dict[str, Any],
    tokens: dict[str, Any],
) -> None:
    """Valid parameters carry the post past validation, so odd tokens reach the database."""
    response = await client.post(
        "/api/v1/leads",
        params={"lead_token": busy_schedule.leads_api_key},
        json={**tokens, **body},
    )
    assert response.status_code in ANSWERS, response.text


@given(query=queries)
@relaxed
async def test_query_string_posts_never_answer_500(
    client: httpx.AsyncClient, schedule: Schedule, query: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/leads", params={"lead_token": schedule.leads_api_key, **query}
    )
    assert response.status_code in ANSWERS, response.text


@given(caller=st.text(min_size=1, max_size=30), query=queries)
@relaxed
async def test_caller_operations_never_answer_500(
    client: httpx.AsyncClient, schedule: Schedule, caller: str, query: dict[str, str]
) -> None:
    response = await client.put(
        f"/api/v1/leads/{quote(caller, safe='')}/caller_opt_out",
        params={"lead_token": schedule.leads_api_key, **query},
    )
    assert response.status_code in ANSWERS, response.text
