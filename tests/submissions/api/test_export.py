"""``GET /api/v1/leads`` with ``X-API-Key`` and ``format=csv`` (or ``Accept: text/csv``): every
submitted lead the filters match, streamed as CSV, one column per field and data key."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from leadflow.submissions import listing
from tests.submissions.api.conftest import Rows, Seller

ADDRESS = {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"}


async def _csv(
    seller: Seller, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    return await seller.client.get(
        "/api/v1/leads", params=params, headers={**seller.headers, **(headers or {})}
    )


def _rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="submitted-leads.csv"' in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_every_matching_lead_is_a_row_with_its_fields_and_data_keys(
    seller: Seller, rows: Rows
) -> None:
    other = await seller.campaign("other")
    a = (await seller.submit(firstName="alice", address=ADDRESS))["leadId"]
    b = (await seller.submit(campaignId="other", questionnaire={"debt": "card"}, notes="s9"))[
        "leadId"
    ]
    await rows.set_status(b, "delivered")
    exported = _rows(await _csv(seller, format="csv"))
    assert [row["leadId"] for row in exported] == [b, a]
    first, second = exported[1], exported[0]
    assert (first["firstName"], first["email"], first["status"]) == (
        "Alice",
        "jane@example.com",
        "new",
    )
    assert first["phone"] == "+17193132645"
    assert '"city":"Denver"' in first["address"]
    assert first["notes"] == ""
    assert second["campaignId"] == other["id"]
    assert second["status"] == "delivered"
    assert second["notes"] == "s9"
    assert "debt" in second["questionnaire"]
    assert "questionnaireLabels" not in first
    assert "id" not in first
    header = next(csv.reader(io.StringIO((await _csv(seller, format="csv")).text)))
    assert header[: len(listing.FIXED_COLUMNS)] == list(listing.FIXED_COLUMNS)


async def test_filters_apply_and_accept_text_csv_asks_for_csv(seller: Seller, rows: Rows) -> None:
    await seller.campaign("other")
    a = (await seller.submit(firstName="alice"))["leadId"]
    b = (await seller.submit(campaignId="other", email="bob@example.com"))["leadId"]
    await rows.set_status(b, "delivered")
    assert [r["leadId"] for r in _rows(await _csv(seller, format="csv", status="delivered"))] == [b]
    accepted = await _csv(seller, headers={"Accept": "text/csv"}, search="alice")
    assert [r["leadId"] for r in _rows(accepted)] == [a]
    as_json = await _csv(seller, headers={"Accept": "text/csv"}, format="json")
    assert as_json.headers["content-type"].startswith("application/json")
    assert len(as_json.json()["data"]["leads"]) == 2


async def test_more_leads_than_a_batch_are_all_exported_once(
    seller: Seller, monkeypatch: Any
) -> None:
    monkeypatch.setattr(listing, "BATCH", 2)
    made = [(await seller.submit(phone=f"+1719313{n:04d}"))["leadId"] for n in range(5)]
    exported = _rows(await _csv(seller, format="csv"))
    assert [row["leadId"] for row in exported] == list(reversed(made))


async def test_a_bad_filter_is_a_422_before_any_csv(seller: Seller) -> None:
    answer = await _csv(seller, format="csv", status="lost")
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "status"
    assert (await _csv(seller, format="xml")).status_code == 422


async def test_columns_choose_the_exports_columns_in_their_order(seller: Seller) -> None:
    lead_id = (await seller.submit(firstName="alice", address=ADDRESS))["leadId"]
    answer = await _csv(seller, format="csv", columns="email,leadId,address,dateOfBirth")
    assert next(csv.reader(io.StringIO(answer.text))) == [
        "email",
        "leadId",
        "address",
        "dateOfBirth",
    ]
    (row,) = _rows(answer)
    assert (row["leadId"], row["email"], row["dateOfBirth"]) == (lead_id, "jane@example.com", "")
    assert '"city":"Denver"' in row["address"]
    repeated = await seller.client.get(
        "/api/v1/leads",
        params=[("columns", "leadId"), ("columns", "status")],
        headers={**seller.headers, "Accept": "text/csv"},
    )
    assert next(csv.reader(io.StringIO(repeated.text))) == ["leadId", "status"]


async def test_an_unknown_column_or_columns_without_csv_is_a_422(seller: Seller) -> None:
    await seller.submit()
    answer = await _csv(seller, format="csv", columns="leadId,mail,zip")
    assert answer.status_code == 422
    details = answer.json()["error"]["details"]
    assert [d["field"] for d in details] == ["columns", "columns"]
    assert details[0]["message"].startswith("'mail' is not a column; columns: ")
    assert "email" in details[0]["message"]
    as_json = await _csv(seller, columns="leadId")
    assert as_json.status_code == 422
    assert as_json.json()["error"]["details"][0]["field"] == "columns"
