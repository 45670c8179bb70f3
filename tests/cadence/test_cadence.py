"""A lead enrolled in a schedule is texted, called and e-mailed on time, and never after it
opted out. The clock starts Monday 2026-01-05 15:00 UTC (10:00 in New York)."""

from __future__ import annotations

from datetime import timedelta

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from tests.cadence.conftest import Cadence

NEW_YORK = "+12125550123"


async def test_lead_is_texted_then_called_after_the_wait(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule(
        [
            {"type": "sms", "body": "Hi [first_name]{there}, thanks for asking!"},
            {"type": "wait", "hours": 1},
            {"type": "call"},
        ]
    )
    posted = await cadence.post_lead(schedule, first_name="Ada")

    assert await cadence.work() == 1
    [message] = await cadence.messages(posted["id"])
    assert (message.channel, message.status, message.body) == (
        "sms",
        "delivered",
        "Hi Ada, thanks for asking!",
    )
    assert [sms.to for sms in cadence.sms.sent] == [NEW_YORK]
    waiting = await cadence.lead(posted["id"])
    assert waiting.status == "waiting"
    assert waiting.next_action_at == clock.now() + timedelta(hours=1)
    assert cadence.voice.sent == type(cadence.voice.sent)()

    clock.advance(hours=1)
    await cadence.work()
    [call] = await cadence.calls(posted["id"])
    assert (call.status, call.duration, call.tokens["first_name"]) == ("completed", 45, "Ada")
    ended = await cadence.lead(posted["id"])
    assert (ended.status, ended.calls_connected, ended.contact_attempts) == (
        "completed_connected",
        1,
        1,
    )
    assert ended.next_action_at is None
    timeline = await cadence.timeline(posted["id"])
    assert timeline[-4:] == ["sms_queued", "call_placed", "call_ended", "lead_ended"]


async def test_opted_out_number_is_never_texted_or_called(cadence: Cadence) -> None:
    schedule = await cadence.schedule([{"type": "sms", "body": "hello"}, {"type": "call"}])
    response = await cadence.client.post(
        f"/api/v1/contacts/{NEW_YORK}/caller_block", headers=cadence.tenant.auth
    )
    assert response.status_code == 200, response.text
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    assert list(cadence.sms.sent) == []
    assert list(cadence.voice.sent) == []
    assert (await cadence.lead(posted["id"])).status == "blocked"
    assert await cadence.messages(posted["id"]) == []


async def test_texts_wait_for_the_leads_calling_hours(cadence: Cadence, clock: FrozenClock) -> None:
    clock.current = clock.current.replace(hour=5)  # 00:00 in New York
    schedule = await cadence.schedule([{"type": "sms", "body": "good morning"}])
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    held = await cadence.lead(posted["id"])
    assert held.status == "waiting"
    assert held.next_action_at == clock.now().replace(hour=13)  # 08:00 New York
    assert list(cadence.sms.sent) == []

    clock.current = clock.current.replace(hour=13)
    await cadence.work()
    assert [sms.body for sms in cadence.sms.sent] == ["good morning"]


async def test_emails_are_not_held_by_calling_hours(cadence: Cadence, clock: FrozenClock) -> None:
    clock.current = clock.current.replace(hour=5)
    schedule = await cadence.schedule(
        [{"type": "email", "subject": "Your quote, {{ first_name }}", "body": "See [zip]{inside}"}]
    )
    posted = await cadence.post_lead(schedule, email="ada@example.com", first_name="Ada")

    await cadence.work()

    [email] = cadence.email.sent
    assert (email.to, email.subject, email.body) == (
        "ada@example.com",
        "Your quote, Ada",
        "See inside",
    )
    assert (await cadence.lead(posted["id"])).status == "completed"


async def test_a_template_that_fails_fails_its_action_not_the_worker(cadence: Cadence) -> None:
    schedule = await cadence.schedule(
        [{"type": "sms", "body": "{{ 10 / zero }}"}, {"type": "email", "subject": "s", "body": "b"}]
    )
    posted = await cadence.post_lead(schedule, zero=0, email="ada@example.com")

    await cadence.work()

    [failed, sent] = await cadence.messages(posted["id"])
    assert failed.status == "failed"
    assert "could not be rendered" in (failed.error or "")
    assert sent.channel == "email"
    assert sent.status == "sent"
    assert "action_failed" in await cadence.timeline(posted["id"])
    assert list(cadence.sms.sent) == []


async def test_opt_out_action_ends_every_live_lead_of_the_number(cadence: Cadence) -> None:
    quiet = await cadence.schedule([{"type": "wait", "minutes": 5}, {"type": "call"}])
    opting = await cadence.schedule([{"type": "opt_out"}, {"type": "call"}])
    other = await cadence.post_lead(quiet)
    lead = await cadence.post_lead(opting)

    await cadence.work()
    assert (await cadence.lead(lead["id"])).status == "opt_out"

    state_of(cadence.app).clock.advance(minutes=5)
    await cadence.work()
    assert (await cadence.lead(other["id"])).status == "opt_out"
    assert list(cadence.voice.sent) == []


async def test_modify_lead_then_choice_routes_on_the_new_token(cadence: Cadence) -> None:
    schedule = await cadence.schedule(
        [
            {"type": "modify_lead", "set_tokens": {"tier": "gold"}},
            {
                "type": "choice",
                "conditions": [{"field": "tier", "operator": "equals", "value": "gold"}],
                "then": 3,
            },
            {"type": "sms", "body": "not gold"},
            {"type": "sms", "body": "gold"},
        ]
    )
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    assert [sms.body for sms in cadence.sms.sent] == ["gold"]
    assert (await cadence.lead(posted["id"])).tokens["tier"] == "gold"


async def test_end_actions_run_once_when_the_lead_ends(cadence: Cadence) -> None:
    schedule = await cadence.schedule(
        [{"type": "sms", "body": "first"}],
        end_actions=[{"type": "sms", "body": "bye [first_name]"}],
    )
    posted = await cadence.post_lead(schedule, first_name="Ada")

    await cadence.work()
    await cadence.work()

    assert [sms.body for sms in cadence.sms.sent] == ["first", "bye Ada"]
    assert (await cadence.lead(posted["id"])).status == "completed"


async def test_paused_schedule_works_no_lead_until_resumed(cadence: Cadence) -> None:
    schedule = await cadence.schedule([{"type": "sms", "body": "hi"}], paused=True)
    await cadence.post_lead(schedule)

    assert await cadence.work() == 0
    assert list(cadence.sms.sent) == []


async def test_the_same_sending_number_texts_a_lead_every_time(cadence: Cadence) -> None:
    for number in ("+12125550101", "+12125550102", "+12125550103"):
        await cadence.factory.number(cadence.tenant, number, ["sms"])
    schedule = await cadence.schedule(
        [
            {"type": "sms", "body": "one"},
            {"type": "wait", "minutes": 1},
            {"type": "sms", "body": "two"},
        ]
    )
    await cadence.post_lead(schedule)

    await cadence.work()
    state_of(cadence.app).clock.advance(minutes=1)
    await cadence.work()

    first, second = cadence.sms.sent
    assert first.from_ is not None
    assert first.from_ == second.from_


async def test_a_failed_call_lets_the_schedule_go_on(cadence: Cadence) -> None:
    cadence.voice.outcome = "no-answer"
    schedule = await cadence.schedule(
        [{"type": "call"}, {"type": "sms", "body": "sorry we missed you"}]
    )
    posted = await cadence.post_lead(schedule)

    await cadence.work()

    [call] = await cadence.calls(posted["id"])
    assert call.status == "no-answer"
    assert [sms.body for sms in cadence.sms.sent] == ["sorry we missed you"]
    assert (await cadence.lead(posted["id"])).status == "completed_attempted"


async def test_a_placed_call_carries_the_leads_offer_and_traffic_source(
    cadence: Cadence,
) -> None:
    source = await cadence.factory.traffic_source(cadence.tenant)
    schedule = await cadence.schedule([{"type": "call"}])
    posted = await cadence.post_lead(schedule, traffic_source_id=str(source.id))

    await cadence.work()

    [call] = await cadence.calls(posted["id"])
    assert (call.offer_id, call.traffic_source_id) == (schedule.offer_id, source.id)
    assert call.offer_id is not None


async def test_a_lead_moved_to_another_schedule_is_worked_by_that_schedule(
    cadence: Cadence,
) -> None:
    target = await cadence.schedule([{"type": "sms", "body": "from the new schedule"}])
    first = await cadence.schedule(
        [
            {"type": "sms", "body": "from the first schedule"},
            {"type": "add_to_schedule", "schedule_id": target.id},
        ]
    )
    staying = await cadence.schedule([{"type": "sms", "body": "hi"}, {"type": "wait", "hours": 1}])
    moved = await cadence.post_lead(first)
    kept = await cadence.post_lead(staying, caller_id="+12125550124")

    await cadence.work()
    await cadence.work()

    assert (await cadence.lead(moved["id"])).schedule_id == target.id
    assert (await cadence.lead(kept["id"])).schedule_id == staying.id
    sent = sorted(sms.body for sms in cadence.sms.sent if sms.to == NEW_YORK)
    assert sent == ["from the first schedule", "from the new schedule"]


async def test_a_number_on_one_companys_dnc_list_is_still_called_by_another(
    cadence: Cadence,
) -> None:
    """Suppression belongs to a company: one batch holds both companies' leads for the same
    number, and only the company that listed it stops calling it."""
    other = await cadence.factory.tenant()
    listing = await cadence.schedule([{"type": "call"}])
    calling = await cadence.factory.schedule(other, actions=[{"type": "call"}])
    listed = await cadence.post_lead(listing)
    called = await cadence.post_lead(calling)
    await cadence.factory.contact(cadence.tenant, NEW_YORK, dnc=True)

    await cadence.work()

    assert await cadence.calls(listed["id"]) == []
    assert [call.to_number for call in await cadence.calls(called["id"])] == [NEW_YORK]
