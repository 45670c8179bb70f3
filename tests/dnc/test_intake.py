"""Intake and the cadence under a schedule's do-not-call settings: a listed lead is stored
``dnc`` and never worked, unless its list is turned off or an exemption the schedule grants
applies; the internal list admits no exemption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import LeadEvent, LeadStatus
from tests.cadence.conftest import Cadence
from tests.dnc.test_checks import import_list

LISTED = "+12125550123"
SMS_THEN_CALL = [{"type": "sms", "body": "hi"}, {"type": "wait", "hours": 24}, {"type": "call"}]


async def events(app: FastAPI, lead_id: int, kind: str) -> list[dict[str, Any]]:
    async with state_of(app).sessionmaker() as session:
        rows = await session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == kind)
        )
        return [row.data for row in rows]


async def test_a_listed_lead_is_stored_dnc_acknowledged_and_never_worked(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    schedule = await cadence.schedule(SMS_THEN_CALL)
    lead = await cadence.post_lead(schedule, caller_id=LISTED)
    assert lead["status"] == "dnc"
    stored = await cadence.lead(lead["id"])
    assert stored.status == LeadStatus.DNC
    assert stored.next_action_at is None
    assert await events(app, lead["id"], "dnc_listed") == [{"lists": ["federal (version 1)"]}]
    await cadence.work()
    assert list(cadence.sms.sent) == []
    assert list(cadence.voice.sent) == []


async def test_an_unlisted_lead_is_worked_as_before(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", "+13105550000")
    schedule = await cadence.schedule(SMS_THEN_CALL)
    lead = await cadence.post_lead(schedule, caller_id=LISTED)
    assert lead["status"] == "scheduled"
    await cadence.work()
    assert [m.to for m in cadence.sms.sent] == [LISTED]


async def test_a_list_turned_off_on_the_schedule_lets_intake_and_the_cadence_work_the_lead(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "state:NY", LISTED)
    off = await cadence.schedule(SMS_THEN_CALL, dnc_settings={"lists": {"state": False}})
    only_texas = await cadence.schedule(
        SMS_THEN_CALL, dnc_settings={"lists": {"state": False, "state:TX": True}}
    )
    only_new_york = await cadence.schedule(
        SMS_THEN_CALL, dnc_settings={"lists": {"state": False, "state:NY": True}}
    )
    worked = await cadence.post_lead(off, caller_id=LISTED)
    texas = await cadence.post_lead(only_texas, caller_id=LISTED)
    new_york = await cadence.post_lead(only_new_york, caller_id=LISTED)
    assert (worked["status"], texas["status"], new_york["status"]) == (
        "scheduled",
        "scheduled",
        "dnc",
    )
    await cadence.work()
    assert [m.lead_id for m in await cadence.messages(worked["id"])] == [worked["id"]]
    assert (await cadence.lead(new_york["id"])).status == LeadStatus.DNC


async def test_recent_inquiry_exemption_works_the_lead_until_n_days_then_stops_it(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    schedule = await cadence.schedule(
        [{"type": "sms", "body": "hi"}, {"type": "wait", "days": 31}, {"type": "call"}],
        dnc_settings={"exempt_recent_inquiry": True, "recent_inquiry_days": 30},
    )
    lead = await cadence.post_lead(schedule, caller_id=LISTED)
    assert lead["status"] == "scheduled"
    assert await events(app, lead["id"], "dnc_exempted") == [
        {"lists": ["federal (version 1)"], "exemption": "inquiry under 30 days old"}
    ]
    await cadence.work()
    assert [m.to for m in cadence.sms.sent] == [LISTED]
    clock.advance(days=31, seconds=1)
    await cadence.work()
    assert list(cadence.voice.sent) == []
    assert (await cadence.lead(lead["id"])).status == LeadStatus.DNC


async def test_exemptions_are_off_by_default(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "litigator", LISTED)
    schedule = await cadence.schedule(SMS_THEN_CALL)
    consenting = await cadence.post_lead(
        schedule,
        caller_id=LISTED,
        tcpa_consent="true",
        tcpa_consent_timestamp="2026-01-02T03:04:05Z",
    )
    assert consenting["status"] == "dnc"


async def test_written_consent_exemption_needs_the_consent_and_its_time(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED, "+12125550124")
    schedule = await cadence.schedule(SMS_THEN_CALL, dnc_settings={"exempt_written_consent": True})
    consented = await cadence.post_lead(
        schedule,
        caller_id=LISTED,
        tcpa_consent="true",
        tcpa_consent_timestamp="2026-01-02T03:04:05Z",
    )
    undated = await cadence.post_lead(schedule, caller_id="+12125550124", tcpa_consent="true")
    assert (consented["status"], undated["status"]) == ("scheduled", "dnc")
    await cadence.work()
    assert [m.to for m in cadence.sms.sent] == [LISTED]
    clock.advance(days=2)
    await cadence.work()
    assert [c.to for c in cadence.voice.sent] == [LISTED]


async def test_the_internal_list_admits_no_exemption(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await cadence.factory.contact(cadence.tenant, LISTED, dnc=True)
    schedule = await cadence.schedule(
        SMS_THEN_CALL,
        dnc_settings={"exempt_recent_inquiry": True, "exempt_written_consent": True},
    )
    lead = await cadence.post_lead(
        schedule,
        caller_id=LISTED,
        tcpa_consent="true",
        tcpa_consent_timestamp="2026-01-02T03:04:05Z",
    )
    assert lead["status"] == "dnc"
    await cadence.work()
    assert list(cadence.sms.sent) == []


async def test_a_repeat_post_of_a_number_listed_since_ends_the_live_lead(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    schedule = await cadence.schedule(
        [{"type": "wait", "hours": 5}, {"type": "call"}], lead_duplicate_timeframe=86400
    )
    first = await cadence.post_lead(schedule, caller_id=LISTED)
    assert first["status"] == "scheduled"
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    again = await cadence.post_lead(schedule, caller_id=LISTED, note="again")
    assert again["id"] == first["id"]
    assert again["status"] == "dnc"
