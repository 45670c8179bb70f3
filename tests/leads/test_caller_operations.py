"""Per-caller operations addressed by caller ID within a lead token's scope: opt out, remove,
move to the end of the schedule."""

from __future__ import annotations

import pytest

from leadflow.models import LeadStatus
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored

DIGITS = CALLER[1:]  # as TrackDrive's examples write it: 17193132645


@pytest.mark.parametrize("method", ["PUT", "GET"])
async def test_caller_opt_out_ends_the_lead(
    publisher: Publisher, stored: Stored, method: str
) -> None:
    lead = await publisher.lead(caller_id=CALLER)
    response = await publisher.post(f"/{DIGITS}/caller_opt_out", method=method)
    assert response.status_code == 200, response.text
    answered = response.json()["lead"]
    assert (answered["id"], answered["status"], answered["opt_out"]) == (
        lead["id"],
        "opt_out",
        True,
    )
    assert answered["next_action_at"] is None
    contact = await stored.contact(CALLER)
    assert contact is not None
    assert contact.opt_out
    assert await stored.event_kinds(lead["id"]) == ["created", "opted_out"]


async def test_caller_opt_out_reaches_every_schedule_of_the_company(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    elsewhere = await factory.schedule(tenant)
    other = await Publisher(publisher.client, elsewhere.leads_api_key).lead(caller_id=CALLER)
    await publisher.lead(caller_id=CALLER)
    await publisher.post(f"/{DIGITS}/caller_opt_out", method="PUT")
    ended = await stored.lead(other["id"])
    assert (ended.status, ended.next_action_at) == (LeadStatus.OPT_OUT, None)


async def test_an_opted_out_number_is_stored_but_never_worked(publisher: Publisher) -> None:
    await publisher.lead(caller_id=CALLER)
    await publisher.post(f"/{DIGITS}/caller_opt_out", method="PUT")
    later = await publisher.lead(caller_id=CALLER, interest="kittens")
    assert (later["status"], later["opt_out"], later["next_action_at"]) == ("opt_out", True, None)
    assert later["data"] == {"interest": "kittens"}


async def test_caller_opt_out_does_not_reach_another_company(
    publisher: Publisher, factory: Factory
) -> None:
    stranger = await factory.schedule(await factory.tenant())
    theirs = Publisher(publisher.client, stranger.leads_api_key)
    await theirs.lead(caller_id=CALLER)
    await publisher.lead(caller_id=CALLER)
    await publisher.post(f"/{DIGITS}/caller_opt_out", method="PUT")
    assert (await theirs.lead(caller_id=CALLER))["status"] == "scheduled"


async def test_caller_opt_out_with_an_offer_token(
    publisher: Publisher, factory: Factory, tenant: Tenant
) -> None:
    offer = Publisher(publisher.client, (await factory.offer(tenant)).leads_api_key)
    await offer.lead(caller_id=CALLER)
    response = await offer.post(f"/{DIGITS}/caller_opt_out")
    assert response.json()["lead"]["status"] == "opt_out"


@pytest.mark.parametrize("method", ["POST", "DELETE", "GET"])
async def test_caller_remove_stops_every_further_action(
    publisher: Publisher, stored: Stored, method: str
) -> None:
    lead = await publisher.lead(caller_id=CALLER)
    response = await publisher.post(f"/{DIGITS}/caller_remove", method=method)
    assert response.status_code == 200, response.text
    answered = response.json()["lead"]
    assert (answered["status"], answered["next_action_at"]) == ("disabled", None)
    assert answered["has_next_action"] is False
    assert await stored.event_kinds(lead["id"]) == ["created", "removed"]


async def test_caller_remove_is_scoped_to_the_token(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    elsewhere = await factory.schedule(tenant)
    other = await Publisher(publisher.client, elsewhere.leads_api_key).lead(caller_id=CALLER)
    await publisher.lead(caller_id=CALLER)
    await publisher.post(f"/{DIGITS}/caller_remove")
    assert (await stored.lead(other["id"])).status == LeadStatus.SCHEDULED
    contact = await stored.contact(CALLER)
    assert contact is None or not contact.opt_out


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_caller_move_to_end_of_schedule_skips_the_remaining_actions(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored, method: str
) -> None:
    schedule = await factory.schedule(
        tenant, actions=[{"type": "wait", "seconds": 3600}, {"type": "call"}]
    )
    poster = Publisher(publisher.client, schedule.leads_api_key)
    lead = await poster.lead(caller_id=CALLER, schedule_callback_in_seconds="3600")
    response = await poster.post(f"/{DIGITS}/caller_move_to_end_of_schedule", method=method)
    assert response.status_code == 200, response.text
    assert response.json()["lead"]["next_action_at"] == "2026-01-05T15:00:00Z"
    assert (await stored.lead(lead["id"])).action_index == 2
    assert await stored.event_kinds(lead["id"]) == [
        "created",
        "callback_scheduled",
        "moved_to_end_of_schedule",
    ]


async def test_move_to_end_of_an_ended_lead_is_404(publisher: Publisher) -> None:
    await publisher.lead(caller_id=CALLER)
    await publisher.post(f"/{DIGITS}/caller_remove")
    response = await publisher.post(f"/{DIGITS}/caller_move_to_end_of_schedule")
    assert response.status_code == 404


@pytest.mark.parametrize("typed", ["17193132645", "7193132645", "+17193132645", "(719)313-2645"])
async def test_caller_id_in_the_path_is_normalised(publisher: Publisher, typed: str) -> None:
    await publisher.lead(caller_id=CALLER)
    response = await publisher.post(f"/{typed}/caller_remove")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("caller_opt_out", "PUT"),
        ("caller_remove", "POST"),
        ("caller_move_to_end_of_schedule", "PUT"),
    ],
)
async def test_no_matching_lead_is_404_with_a_clear_error(
    publisher: Publisher, stored: Stored, path: str, method: str
) -> None:
    response = await publisher.post(f"/{DIGITS}/{path}", method=method)
    assert response.status_code == 404
    assert response.json()["errors"] == {"caller_id": [f"no lead with caller ID {CALLER}"]}
    assert await stored.contact(CALLER) is None


@pytest.mark.parametrize(
    "path", ["caller_opt_out", "caller_remove", "caller_move_to_end_of_schedule"]
)
async def test_bad_lead_token_is_401(publisher: Publisher, path: str) -> None:
    await publisher.lead(caller_id=CALLER)
    response = await publisher.post(f"/{DIGITS}/{path}", method="POST", token="nope")
    assert response.status_code == 401


async def test_an_unreadable_caller_id_in_the_path_is_422(publisher: Publisher) -> None:
    response = await publisher.post("/12/caller_remove")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["caller_id"]


async def test_lead_token_may_come_in_a_form_body(publisher: Publisher) -> None:
    await publisher.lead(caller_id=CALLER)
    response = await publisher.client.put(
        f"/api/v1/leads/{DIGITS}/caller_opt_out", data={"lead_token": publisher.token}
    )
    assert response.status_code == 200, response.text
