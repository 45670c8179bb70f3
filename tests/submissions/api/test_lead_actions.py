"""Repost, deliver and approve a submitted lead; show it with its submissions."""

from __future__ import annotations

import pytest

from tests.submissions.api.conftest import Rows, Seller


@pytest.mark.parametrize("status", ["failed", "rejected", "error"])
async def test_a_failed_rejected_or_error_lead_is_reposted_with_its_changes(
    seller: Seller, rows: Rows, status: str
) -> None:
    first = await seller.submit(
        address={"street": "1 A St", "city": "B", "state": "CA", "zip": "90210"}
    )
    await rows.set_status(first["leadId"], status)
    answer = await seller.post(
        f"/{first['leadId']}/repost",
        {"modifiedPayload": {"email": "NEW@example.com", "address": {"state": "ny"}}},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["submissionNumber"] == 2
    latest = (await rows.submissions(first["leadId"]))[-1]
    assert (latest.type, latest.status, latest.uuid) == (
        "repost",
        "new",
        answer.json()["submissionId"],
    )
    assert latest.data["email"] == "new@example.com"
    assert latest.data["address"]["state"] == "NY"
    assert latest.data["address"]["city"] == "B"
    stored = await rows.lead(first["leadId"])
    assert stored.data["email"] == "jane@example.com"
    assert stored.status == "new"


@pytest.mark.parametrize("status", ["new", "delivered", "accepted", "disqualified"])
async def test_only_failed_rejected_or_error_leads_are_reposted(
    seller: Seller, rows: Rows, status: str
) -> None:
    first = await seller.submit()
    await rows.set_status(first["leadId"], status)
    answer = await seller.post(f"/{first['leadId']}/repost", {})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "INVALID_STATE"
    assert len(await rows.submissions(first["leadId"])) == 1


async def test_a_repost_change_is_checked_like_a_submission(seller: Seller, rows: Rows) -> None:
    first = await seller.submit()
    await rows.set_status(first["leadId"], "failed")
    answer = await seller.post(
        f"/{first['leadId']}/repost", {"modifiedPayload": {"phone": "12", "shoeSize": 9}}
    )
    assert answer.status_code == 422
    fields = {d["field"] for d in answer.json()["error"]["details"]}
    assert fields == {"modifiedPayload.phone", "modifiedPayload.shoeSize"}
    unknown = await seller.post(f"/{first['leadId']}/repost", {"modifiedPayloads": {}})
    assert unknown.json()["error"]["details"][0]["field"] == "modifiedPayloads"


async def test_deliver_makes_a_manual_submission_to_the_campaign(
    seller: Seller, rows: Rows
) -> None:
    first = await seller.submit()
    buyer = await seller.campaign("buyer")
    answer = await seller.post(f"/{first['leadId']}/deliver", {"campaignId": buyer["id"]})
    assert answer.status_code == 200, answer.text
    submissions = await rows.submissions(first["leadId"])
    assert [(s.number, s.type, s.status) for s in submissions] == [
        (1, "original", "new"),
        (2, "manual", "new"),
    ]
    shown = (await seller.get(f"/{first['leadId']}")).json()["data"]
    assert shown["submissions"][0]["campaignId"] == buyer["id"]
    missing = await seller.post(f"/{first['leadId']}/deliver", {"campaignId": "nope"})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "campaignId"


async def test_approval_is_recorded_on_the_lead(seller: Seller, rows: Rows) -> None:
    first = await seller.submit()
    answer = await seller.post(
        f"/{first['leadId']}/approve", {"status": "rejected", "reason": "bad number"}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["data"]["approval"], answer.json()["data"]["approvalReason"]) == (
        "rejected",
        "bad number",
    )
    stored = await rows.lead(first["leadId"])
    assert (stored.approval, stored.approval_reason) == ("rejected", "bad number")
    bad = await seller.post(f"/{first['leadId']}/approve", {"status": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "status"


async def test_actions_on_an_unknown_lead_are_404(seller: Seller) -> None:
    for action, body in (
        ("repost", {}),
        ("deliver", {"campaignId": "auto"}),
        ("approve", {"status": "approved"}),
    ):
        answer = await seller.post(f"/00000000-0000-0000-0000-000000000000/{action}", body)
        assert answer.status_code == 404, action
        assert answer.json()["error"]["code"] == "NOT_FOUND"


async def test_a_lead_is_shown_with_its_submissions_newest_first(
    seller: Seller, rows: Rows
) -> None:
    first = await seller.submit(notes="hello")
    await seller.post("/submit", {"campaignId": "auto", "leadId": first["leadId"]})
    shown = await seller.get(f"/{first['leadId']}")
    assert shown.status_code == 200
    data = shown.json()["data"]
    assert (data["id"], data["status"], data["notes"], data["firstName"]) == (
        first["leadId"],
        "new",
        "hello",
        "Jane",
    )
    assert [s["submissionNumber"] for s in data["submissions"]] == [2, 1]
    one = data["submissions"][1]
    assert one["submissionId"] == first["submissionId"]
    assert set(one) >= {"qualification", "routing", "delivery", "steps", "status", "type"}
    assert one["routing"]["wasRouted"] is False
