"""``/api/v1/leads`` speaks both dialects: ``X-API-Key`` picks LeadSail, a ``lead_token`` or
Basic credentials keep TrackDrive's."""

from __future__ import annotations

from tests.factories import Factory
from tests.submissions.api.conftest import Rows, Seller, lead


async def test_a_trackdrive_post_with_a_lead_token_still_enrols_a_lead(
    seller: Seller, factory: Factory
) -> None:
    schedule = await factory.schedule(seller.tenant)
    answer = await seller.client.post(
        "/api/v1/leads", json={"lead_token": schedule.leads_api_key, "caller_id": "+17193132645"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["lead"]["schedule_id"] == schedule.id
    missing = await seller.client.post("/api/v1/leads", json={"caller_id": "+17193132645"})
    assert (missing.status_code, "success" in missing.json()) == (401, False)


async def test_an_api_key_post_stores_a_lead_without_a_submission(
    seller: Seller, rows: Rows
) -> None:
    answer = await seller.post("", lead())
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    assert (answer.json()["success"], data["email"], data["status"]) == (
        True,
        "jane@example.com",
        "new",
    )
    assert await rows.submissions(data["id"]) == []
    bad = await seller.post("", lead(lead_token="abc"))
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == [
        {"field": "lead_token", "message": "is not a known field"}
    ]


async def test_listing_and_showing_pick_the_dialect_by_credential(
    seller: Seller, factory: Factory
) -> None:
    submitted = await seller.submit()
    basic = await seller.client.get("/api/v1/leads", headers=seller.tenant.auth)
    assert basic.status_code == 200
    assert "leads" in basic.json()
    assert "metadata" in basic.json()
    leadsail = await seller.get()
    assert leadsail.json()["data"]["leads"][0]["id"] == submitted["leadId"]
    shown = await seller.client.get(
        f"/api/v1/leads/{submitted['leadId']}", headers=seller.tenant.auth
    )
    assert shown.status_code == 404
    assert "errors" in shown.json()
    assert (await seller.get(f"/{submitted['leadId']}")).status_code == 200


async def test_a_bad_api_key_on_a_shared_path_is_a_leadsail_401(seller: Seller) -> None:
    answer = await seller.client.get("/api/v1/leads", headers={"X-API-Key": "a.b"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHORIZED"
