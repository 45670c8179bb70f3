"""``POST /api/v1/leads/submit``: strict, normalised, stored and committed before the 200."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import SubmittedLead
from tests.factories import Factory
from tests.submissions.api.conftest import Rows, Seller, api_key, lead


async def test_a_submitted_lead_is_stored_with_its_first_submission_due_now(
    seller: Seller, rows: Rows, clock: FrozenClock
) -> None:
    answer = await seller.submit()
    assert set(answer) == {
        "success",
        "leadId",
        "submissionId",
        "submissionNumber",
        "message",
        "timestamp",
    }
    assert (answer["success"], answer["submissionNumber"]) == (True, 1)
    assert answer["message"] == "Lead submitted for processing"
    assert answer["timestamp"] == "2026-01-05T15:00:00.000Z"
    stored = await rows.lead(answer["leadId"])
    (submission,) = await rows.submissions(answer["leadId"])
    assert submission.uuid == answer["submissionId"]
    assert (submission.type, submission.status, submission.number) == ("original", "new", 1)
    assert submission.next_attempt_at == clock.now()
    assert submission.campaign_id == stored.campaign_id is not None
    assert submission.data == stored.data
    assert stored.status == "new"


async def test_the_stored_lead_is_the_normalised_request(seller: Seller, rows: Rows) -> None:
    await seller.client.put(
        "/api/v1/field_library", json={"dob": "Date of Birth"}, headers=seller.headers
    )
    answer = await seller.submit(
        firstName="  mary   ann ",
        address={"street": "1 Main St", "city": "Denver", "state": "co", "zip": "802021234"},
        attribution={"fbclid": "abc", "params": {"utm_source": "fb"}},
        questionnaire={"dob": "1990-01-15", "injury_type": "car"},
        dateOfBirth="1990-01-15",
    )
    stored = await rows.lead(answer["leadId"])
    assert (stored.first_name, stored.last_name) == ("Mary Ann", "Smith")
    assert (stored.email, stored.phone) == ("jane@example.com", "+17193132645")
    data = stored.data
    assert data["address"] == {
        "street": "1 Main St",
        "city": "Denver",
        "state": "CO",
        "zip": "80202-1234",
        "country": "US",
    }
    assert data["attribution"]["adPlatform"] == "Meta"
    assert data["attribution"]["ipAddress"] == "203.0.113.7"
    assert data["attribution"]["userAgent"].startswith("python-httpx")
    assert data["attribution"]["params"] == {"utm_source": "fb"}
    assert data["questionnaire"] == {"dob": "1990-01-15", "injury_type": "car"}
    assert data["questionnaireLabels"] == {"dob": "Date of Birth", "injury_type": "injury_type"}
    assert data["dateOfBirth"] == "1990-01-15"
    shown = (await seller.get(f"/{answer['leadId']}")).json()["data"]
    assert shown["questionnaire"] == [
        {"key": "dob", "question": "Date of Birth", "answer": "1990-01-15"},
        {"key": "injury_type", "question": "injury_type", "answer": "car"},
    ]


async def test_the_array_questionnaire_keeps_the_sellers_labels(seller: Seller, rows: Rows) -> None:
    answer = await seller.submit(
        questionnaire=[{"key": "filing_for", "question": "Filing for?", "answer": "self"}]
    )
    data = (await rows.lead(answer["leadId"])).data
    assert data["questionnaire"] == {"filing_for": "self"}
    assert data["questionnaireLabels"] == {"filing_for": "Filing for?"}


async def test_an_attribution_sent_by_the_seller_is_kept(seller: Seller, rows: Rows) -> None:
    attribution = {"ipAddress": "198.51.100.4", "userAgent": "Form/1.0", "gclid": "g"}
    answer = await seller.submit(attribution=attribution)
    stored = (await rows.lead(answer["leadId"])).data["attribution"]
    assert (stored["ipAddress"], stored["userAgent"], stored["adPlatform"]) == (
        "198.51.100.4",
        "Form/1.0",
        "Google",
    )


async def test_every_unknown_and_bad_field_is_named(seller: Seller, rows: Rows) -> None:
    body = lead(
        fax="123",
        address={"street": "x", "city": "y", "state": "ZZ", "zip": "1", "floor": 2},
        email="nope",
        campaignId="missing",
    )
    del body["phone"]
    answer = await seller.post("/submit", body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    named = {d["field"]: d["message"] for d in error["details"]}
    assert named["fax"] == "is not a known field"
    assert named["address.floor"] == "is not a known field"
    assert set(named) >= {"address.state", "address.zip", "email", "phone", "campaignId"}
    assert answer.json()["success"] is False
    async with rows.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SubmittedLead)) == 0


async def test_a_bad_or_missing_key_is_401(seller: Seller) -> None:
    for headers in (
        {},
        {"X-API-Key": "junk"},
        {"X-API-Key": f"{seller.tenant.public_key}.wrong"},
    ):
        answer = await seller.client.post("/api/v1/leads/submit", json=lead(), headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "success": False,
            "error": answer.json()["error"] | {"code": "UNAUTHORIZED"},
        }


async def test_a_resubmission_of_a_lead_is_numbered_next(
    seller: Seller, rows: Rows, clock: FrozenClock
) -> None:
    first = await seller.submit()
    await seller.campaign("backup")
    clock.advance(minutes=5)
    second = await seller.post(
        "/submit", {"campaignId": "backup", "leadId": first["leadId"], "notes": "again"}
    )
    assert second.status_code == 200, second.text
    assert (second.json()["leadId"], second.json()["submissionNumber"]) == (first["leadId"], 2)
    submissions = await rows.submissions(first["leadId"])
    assert [(s.number, s.type) for s in submissions] == [(1, "original"), (2, "original")]
    assert submissions[1].campaign_id != submissions[0].campaign_id
    assert submissions[1].data["notes"] == "again"
    assert submissions[1].data["email"] == "jane@example.com"
    assert submissions[1].next_attempt_at == submissions[0].next_attempt_at + timedelta(minutes=5)


async def test_a_lead_or_campaign_of_another_company_cannot_be_used(
    seller: Seller, client: httpx.AsyncClient, factory: Factory
) -> None:
    first = await seller.submit()
    stranger = Seller(client, await factory.tenant())
    await stranger.campaign("theirs")
    answer = await stranger.post("/submit", lead(campaignId="auto"))
    assert answer.status_code == 422
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["campaignId"]
    answer = await stranger.post("/submit", {"campaignId": "theirs", "leadId": first["leadId"]})
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["leadId"]
    assert (await stranger.get(f"/{first['leadId']}")).status_code == 404
    listed = (await stranger.get()).json()["data"]
    assert listed == {"leads": [], "nextCursor": None, "hasMore": False}


async def test_the_worker_is_woken_for_each_new_submission_only(
    seller: Seller, app: FastAPI
) -> None:
    wakes: list[str] = []
    state_of(app).wake_worker = lambda: wakes.append("woken")
    first = await seller.submit()
    assert wakes == ["woken"]
    stored = await seller.post("", lead(firstName="Only Stored"))
    assert stored.status_code == 201, stored.text
    await seller.post(f"/{first['leadId']}/approve", {"status": "approved"})
    assert wakes == ["woken"]
    await seller.post(f"/{first['leadId']}/deliver", {"campaignId": "auto"})
    assert wakes == ["woken", "woken"]


async def test_an_archived_campaign_takes_no_leads(seller: Seller) -> None:
    await seller.client.put(
        "/api/v1/campaigns/auto", json={"status": "archived"}, headers=seller.headers
    )
    answer = await seller.post("/submit", lead())
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == [
        {"field": "campaignId", "message": "the campaign is archived"}
    ]


async def test_the_key_pair_is_the_same_as_for_basic_auth(
    seller: Seller, client: httpx.AsyncClient
) -> None:
    answer = await client.get("/api/v1/campaigns", headers=api_key(seller.tenant))
    assert answer.status_code == 200


async def test_concurrent_resubmissions_of_a_lead_take_distinct_numbers(
    seller: Seller, rows: Rows
) -> None:
    first = await seller.submit()
    again = {"campaignId": "auto", "leadId": first["leadId"]}
    answers = await asyncio.gather(*(seller.post("/submit", again) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    numbers = sorted(a.json()["submissionNumber"] for a in answers)
    assert numbers == [2, 3, 4, 5, 6]
    assert [s.number for s in await rows.submissions(first["leadId"])] == [1, 2, 3, 4, 5, 6]
