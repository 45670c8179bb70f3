"""A lead arrives on the query string, as a form, as multipart or as JSON; all say the same."""

from __future__ import annotations

import httpx
import orjson

from leadflow.models import Schedule
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher


async def test_query_string_parameters_become_tokens(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, interest="kittens", loan_amount="500")
    assert lead["caller_id"] == CALLER
    assert lead["data"] == {"interest": "kittens", "loan_amount": "500"}


async def test_urlencoded_form_is_read(client: httpx.AsyncClient, schedule: Schedule) -> None:
    response = await client.post(
        "/api/v1/leads",
        data={"lead_token": schedule.leads_api_key, "caller_id": CALLER, "interest": "kittens"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["lead"]["data"] == {"interest": "kittens"}


async def test_multipart_form_is_read(client: httpx.AsyncClient, schedule: Schedule) -> None:
    response = await client.post(
        "/api/v1/leads",
        data={"lead_token": schedule.leads_api_key, "caller_id": CALLER, "interest": "kittens"},
        files={"resume": ("cv.txt", b"not a token", "text/plain")},
    )
    assert response.status_code == 200, response.text
    lead = response.json()["lead"]
    assert lead["caller_id"] == CALLER
    assert lead["data"] == {"interest": "kittens"}


async def test_json_top_level_keys_become_tokens_and_data_wins(publisher: Publisher) -> None:
    response = await publisher.post_json(
        {
            "caller_id": CALLER,
            "source": "top",
            "first_name": "John",
            "data": {"source": "data", "interest": "kittens"},
        }
    )
    assert response.status_code == 200, response.text
    assert response.json()["lead"]["data"] == {
        "source": "data",
        "first_name": "John",
        "interest": "kittens",
    }


async def test_json_with_token_on_the_query_string_as_documented(
    client: httpx.AsyncClient, schedule: Schedule
) -> None:
    response = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key},
        json={"caller_id": "+18004506787", "data": {"loan_amount": "501"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["lead"]["data"] == {"loan_amount": "501"}


async def test_body_wins_over_query_string(client: httpx.AsyncClient, schedule: Schedule) -> None:
    response = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787", "tier": "q"},
        json={"caller_id": CALLER, "tier": "body"},
    )
    lead = response.json()["lead"]
    assert lead["caller_id"] == CALLER
    assert lead["data"] == {"tier": "body"}


async def test_form_body_wins_over_query_string(
    client: httpx.AsyncClient, schedule: Schedule
) -> None:
    response = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key, "tier": "query"},
        data={"tier": "form"},
    )
    assert response.json()["lead"]["data"] == {"tier": "form"}


async def test_put_is_accepted_like_post(publisher: Publisher) -> None:
    response = await publisher.post(method="PUT", caller_id=CALLER)
    assert response.status_code == 200, response.text


async def test_token_names_are_lower_snake_case(publisher: Publisher) -> None:
    response = await publisher.post_json(
        {"data": {"First Name": "John", "zipCode": "80903", "LOAN-Amount": "5", "Ünïcode": "ok"}}
    )
    assert response.json()["lead"]["data"] == {
        "first_name": "John",
        "zip_code": "80903",
        "loan_amount": "5",
        "ünïcode": "ok",
    }


async def test_bracketed_query_names_are_flattened(publisher: Publisher) -> None:
    lead = await publisher.lead(**{"address[city]": "Denver", "address[zip]": "80202"})
    assert lead["data"] == {"address_city": "Denver", "address_zip": "80202"}


async def test_bracketed_data_names_are_tokens(publisher: Publisher) -> None:
    lead = await publisher.lead(**{"data[interest]": "kittens", "data[address][city]": "Denver"})
    assert lead["data"] == {"interest": "kittens", "address_city": "Denver"}


async def test_nested_json_is_flattened(publisher: Publisher) -> None:
    response = await publisher.post_json(
        {"address": {"city": "Denver", "geo": {"lat": 39.7}}, "data": {"tags": ["a", "b"]}}
    )
    assert response.json()["lead"]["data"] == {
        "address_city": "Denver",
        "address_geo_lat": 39.7,
        "tags": "a, b",
    }


async def test_json_lists_of_objects_are_numbered(publisher: Publisher) -> None:
    response = await publisher.post_json({"data": {"kids": [{"age": 4}, {"age": 7}]}})
    assert response.json()["lead"]["data"] == {"kids_0_age": 4, "kids_1_age": 7}


async def test_data_hash_may_arrive_as_a_json_string_in_a_form(
    client: httpx.AsyncClient, schedule: Schedule
) -> None:
    response = await client.post(
        "/api/v1/leads",
        data={"lead_token": schedule.leads_api_key, "data": orjson.dumps({"a": 1}).decode()},
    )
    assert response.json()["lead"]["data"] == {"a": 1}


async def test_malformed_json_is_422_naming_body(
    client: httpx.AsyncClient, schedule: Schedule
) -> None:
    response = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key},
        content=b'{"caller_id": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


async def test_json_array_body_is_422(client: httpx.AsyncClient, schedule: Schedule) -> None:
    response = await client.post(
        "/api/v1/leads",
        params={"lead_token": schedule.leads_api_key},
        json=[{"caller_id": CALLER}],
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"body": ["must be a JSON object"]}


async def test_data_that_is_not_a_hash_is_422(publisher: Publisher) -> None:
    response = await publisher.post_json({"data": ["kittens"]})
    assert response.status_code == 422
    assert response.json()["errors"] == {"data": ["must be a Hash"]}


async def test_auth_token_is_never_stored_as_a_token(publisher: Publisher) -> None:
    lead = await publisher.lead(auth_token="secret", interest="kittens")
    assert lead["data"] == {"interest": "kittens"}


async def test_unknown_lead_token_in_a_json_body_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/leads", json={"lead_token": "nope", "caller_id": CALLER})
    assert response.status_code == 401
    assert response.json()["errors"] == {"lead_token": ["is not a valid lead token"]}


async def test_huge_numbers_survive_an_update(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant
) -> None:
    """PostgreSQL hands 1e29 back as a 30-digit integer; the answer must still encode."""
    schedule = await factory.schedule(tenant, lead_duplicate_timeframe=60)
    poster = Publisher(client, schedule.leads_api_key)
    await poster.post_json({"caller_id": CALLER, "amount": 1e29})
    response = await poster.post_json({"caller_id": CALLER, "other": 1})
    assert response.status_code == 200, response.text
    assert response.json()["lead"]["data"] == {"amount": "1e+29", "other": 1}


async def test_json_and_form_posts_answer_alike(
    client: httpx.AsyncClient, schedule: Schedule
) -> None:
    """JSON posts are answered below the framework (leads.fast_path), forms by FastAPI's route:
    a publisher must not be able to tell which, in success or in error."""
    fields = {"lead_token": schedule.leads_api_key, "interest": "kittens"}
    as_json = await client.post("/api/v1/leads", json={**fields, "caller_id": CALLER})
    as_form = await client.post("/api/v1/leads", data={**fields, "caller_id": "+17193132646"})
    assert as_json.status_code == as_form.status_code == 200
    assert as_json.headers["content-type"] == as_form.headers["content-type"]
    json_lead, form_lead = as_json.json(), as_form.json()
    assert json_lead.keys() == form_lead.keys()
    assert json_lead["lead"].keys() == form_lead["lead"].keys()
    assert json_lead["lead"]["data"] == form_lead["lead"]["data"] == {"interest": "kittens"}

    bad = {"lead_token": schedule.leads_api_key, "caller_id": "12", "lead_priority": "high"}
    json_error = await client.post("/api/v1/leads", json=bad)
    form_error = await client.post("/api/v1/leads", data=bad)
    assert json_error.status_code == form_error.status_code == 422
    assert json_error.json() == form_error.json()
    assert set(json_error.json()["errors"]) == {"caller_id", "lead_priority"}

    unknown = await client.put("/api/v1/leads", json={"lead_token": "nope", "caller_id": CALLER})
    assert unknown.status_code == 401
    assert "lead_token" in unknown.json()["errors"]
