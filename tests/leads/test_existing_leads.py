"""Parameters that act on the leads a caller already has: update, expire, delete, restart,
spread the data to other schedules and to calls."""

from __future__ import annotations

from leadflow.models import LeadStatus, Schedule
from tests.factories import Factory, Tenant
from tests.leads.conftest import CALLER, Publisher, Stored


async def test_update_only_updates_the_live_lead(publisher: Publisher, stored: Stored) -> None:
    first = await publisher.lead(caller_id=CALLER, interest="kittens")
    again = await publisher.lead(caller_id=CALLER, update_only="1", budget="500")
    assert again["id"] == first["id"]
    assert again["data"] == {"interest": "kittens", "budget": "500"}
    assert len(await stored.leads()) == 1


async def test_update_only_is_404_when_no_live_lead(publisher: Publisher, stored: Stored) -> None:
    response = await publisher.post(caller_id=CALLER, update_only="true")
    assert response.status_code == 404
    assert response.json()["errors"] == {"caller_id": ["no active lead matches to update"]}
    assert await stored.leads() == []


async def test_update_only_leaves_a_completed_lead_alone(
    publisher: Publisher, stored: Stored
) -> None:
    first = await publisher.lead(caller_id=CALLER)
    await stored.set_status(first["id"], LeadStatus.COMPLETED)
    response = await publisher.post(caller_id=CALLER, update_only="true", budget="500")
    assert response.status_code == 404
    assert (await stored.lead(first["id"])).tokens == {}


async def test_expire_existing_ends_the_live_lead_and_creates_a_new_one(
    publisher: Publisher, stored: Stored
) -> None:
    first = await publisher.lead(caller_id=CALLER)
    second = await publisher.lead(caller_id=CALLER, expire_existing="true")
    assert second["id"] != first["id"]
    assert second["status"] == "scheduled"
    old = await stored.lead(first["id"])
    assert (old.status, old.next_action_at) == (LeadStatus.EXPIRED, None)
    assert await stored.event_kinds(first["id"]) == ["created", "expired"]


async def test_expire_existing_leaves_other_callers_alone(
    publisher: Publisher, stored: Stored
) -> None:
    other = await publisher.lead(caller_id="+18004506787")
    await publisher.lead(caller_id=CALLER, expire_existing="true")
    assert (await stored.lead(other["id"])).status == LeadStatus.SCHEDULED


async def test_delete_existing_removes_the_callers_leads(
    publisher: Publisher, stored: Stored
) -> None:
    first = await publisher.lead(caller_id=CALLER)
    second = await publisher.lead(caller_id=CALLER, delete_existing="yes")
    assert [lead.uuid for lead in await stored.leads()] == [second["uuid"]]
    assert second["uuid"] != first["uuid"]


async def test_restart_schedule_puts_the_lead_back_at_the_first_action(
    publisher: Publisher, stored: Stored
) -> None:
    first = await publisher.lead(caller_id=CALLER)
    await stored.set_status(first["id"], LeadStatus.COMPLETED, action_index=3)
    again = await publisher.lead(caller_id=CALLER, restart_schedule="true")
    assert again["id"] == first["id"]
    assert (again["status"], again["next_action_at"]) == ("scheduled", first["created_at"])
    lead = await stored.lead(first["id"])
    assert (lead.action_index, lead.ended_at) == (0, None)
    assert await stored.event_kinds(first["id"]) == ["created", "updated", "restarted"]


async def test_restart_schedule_without_a_lead_creates_one(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, restart_schedule="true")
    assert lead["status"] == "scheduled"


async def test_update_all_matching_leads_reaches_every_schedule_of_the_offer(
    publisher: Publisher, factory: Factory, tenant: Tenant, schedule: Schedule, stored: Stored
) -> None:
    life = await factory.schedule(tenant, offer=await stored.offer(schedule.offer_id))
    on_life = await Publisher(publisher.client, life.leads_api_key).lead(caller_id=CALLER)
    response = await publisher.post(
        caller_id=CALLER, update_all_matching_leads="true", tracking="abc"
    )
    assert response.json()["updated_matching_leads"] == 1
    assert (await stored.lead(on_life["id"])).tokens == {"tracking": "abc"}
    assert await stored.event_kinds(on_life["id"]) == ["created", "updated"]


async def test_without_update_all_matching_leads_other_schedules_keep_their_data(
    publisher: Publisher, factory: Factory, tenant: Tenant, schedule: Schedule, stored: Stored
) -> None:
    life = await factory.schedule(tenant, offer=await stored.offer(schedule.offer_id))
    on_life = await Publisher(publisher.client, life.leads_api_key).lead(caller_id=CALLER)
    await publisher.lead(caller_id=CALLER, tracking="abc")
    assert (await stored.lead(on_life["id"])).tokens == {}


async def test_update_all_matching_leads_skips_other_offers(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    elsewhere = await factory.schedule(tenant)
    other = await Publisher(publisher.client, elsewhere.leads_api_key).lead(caller_id=CALLER)
    await publisher.lead(caller_id=CALLER, update_all_matching_leads="true", tracking="abc")
    assert (await stored.lead(other["id"])).tokens == {}


async def test_apply_to_calls_gives_the_leads_calls_the_new_tokens(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    deduped = await factory.schedule(tenant, lead_duplicate_timeframe=3600)
    poster = Publisher(publisher.client, deduped.leads_api_key)
    lead = await poster.lead(caller_id=CALLER, interest="kittens")
    call_id = await stored.call_for(lead["id"], {"interest": "kittens", "agent": "Ann"})
    await poster.lead(caller_id=CALLER, apply_to="calls", interest="puppies", budget="5")
    assert await stored.call_tokens(call_id) == {
        "interest": "puppies",
        "agent": "Ann",
        "budget": "5",
    }
    assert await stored.event_kinds(lead["id"]) == [
        "created",
        "updated",
        "tokens_applied_to_calls",
    ]


async def test_without_apply_to_calls_calls_keep_their_tokens(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    deduped = await factory.schedule(tenant, lead_duplicate_timeframe=3600)
    poster = Publisher(publisher.client, deduped.leads_api_key)
    lead = await poster.lead(caller_id=CALLER)
    call_id = await stored.call_for(lead["id"], {"agent": "Ann"})
    await poster.lead(caller_id=CALLER, interest="puppies")
    assert await stored.call_tokens(call_id) == {"agent": "Ann"}


async def test_changed_lead_keeps_its_columns_when_a_post_omits_them(
    publisher: Publisher, factory: Factory, tenant: Tenant, stored: Stored
) -> None:
    deduped = await factory.schedule(tenant, lead_duplicate_timeframe=3600)
    poster = Publisher(publisher.client, deduped.leads_api_key)
    first = await poster.lead(caller_id=CALLER, email="a@b.com", sub_id="s1", lead_priority="2")
    again = await poster.lead(caller_id=CALLER, interest="kittens")
    assert again["id"] == first["id"]
    assert (again["email"], again["sub_id"], again["lead_priority"]) == ("a@b.com", "s1", 2)


async def test_a_deleted_leads_id_is_never_reused(publisher: Publisher) -> None:
    first = await publisher.lead(caller_id=CALLER)
    second = await publisher.lead(caller_id=CALLER, delete_existing="true")
    assert second["id"] > first["id"]
