"""Scheduling a callback: the lead's ``schedule_callback_at`` carries it to the planner, which
runs the schedule's call action when it falls due; the row records the promise for the API."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from leadflow.db.session import flush_or_422
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.kit.values import iso_time
from leadflow.models import Lead, LeadEvent, LeadStatus, ScheduledCallback
from leadflow.scheduled_callbacks.repository import ScheduledCallbackRepository
from leadflow.scheduled_callbacks.schemas import ScheduledCallbackCreate
from leadflow.schedules.calling_hours import zone_named

INVALID_TIME = "must be a valid time like 2016-01-01 12:25:15 -0500"
WITH_OFFSET = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M %z")
WITHOUT_OFFSET = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_local_time(raw: str) -> datetime:
    """TrackDrive's ``2016-01-01 12:25:15 -0500`` or ISO 8601, aware only if an offset was
    given (the caller decides the zone of a naive one); ValueError if neither."""
    text = raw.strip()
    for fmt in (*WITH_OFFSET, *WITHOUT_OFFSET):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(INVALID_TIME) from None


def place_call_instant(raw: str, zone: tzinfo) -> datetime:
    """The UTC instant of ``place_call_at``; ``zone`` applies only when it has no offset."""
    parsed = parse_local_time(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(INVALID_TIME) from None


async def schedule_callback(
    repo: ScheduledCallbackRepository, body: ScheduledCallbackCreate, region: str, now: datetime
) -> ScheduledCallback:
    """Check every field (422 naming each bad one), find the lead (404 if it is not the
    company's), then record the callback and bring the lead's next action forward to it."""
    errors: dict[str, list[str]] = {}
    zone: tzinfo | None = None
    if body.place_call_time_zone:
        zone = zone_named(body.place_call_time_zone)
        if zone is None:
            errors["place_call_time_zone"] = ["is not a known time zone, e.g. America/New_York"]
    zone = zone or zone_named(await repo.company_time_zone()) or UTC
    place_call_at: datetime | None = None
    if not (body.place_call_at or "").strip():
        errors["place_call_at"] = ["can't be blank"]
    else:
        try:
            place_call_at = place_call_instant(body.place_call_at or "", zone)
        except ValueError as exc:
            errors["place_call_at"] = [str(exc)]
    number: str | None = None
    if body.lead_id is None:
        if body.schedule_id is None:
            errors["lead_id"] = ["can't be blank unless schedule_id and to are given"]
        if not (body.to or "").strip():
            errors["to"] = ["can't be blank unless lead_id is given"]
        else:
            try:
                number = to_e164(body.to or "", region)
            except InvalidPhoneNumberError as exc:
                errors["to"] = [str(exc)]
    if errors:
        raise TrackDriveError.invalid(errors)
    assert place_call_at is not None
    lead = await _lead(repo, body, number)
    callback = ScheduledCallback(
        company_id=repo.company_id,
        lead_id=lead.id,
        schedule_id=lead.schedule_id,
        to_number=lead.caller_id,
        place_call_at=place_call_at,
        place_call_time_zone=body.place_call_time_zone or None,
        status="scheduled",
        created_at=now,
        updated_at=now,
    )
    repo.add(callback)
    lead.schedule_callback_at = place_call_at
    # A running lead's call is in flight: its end makes the lead due, and the planner then
    # sees the callback; bringing it forward now would let it be claimed twice.
    if lead.status != LeadStatus.RUNNING and (
        lead.next_action_at is None or place_call_at < lead.next_action_at
    ):
        lead.next_action_at = place_call_at
    lead.updated_at = now
    await flush_or_422(repo.session)
    repo.session.add(
        LeadEvent(
            company_id=repo.company_id,
            lead_id=lead.id,
            kind="callback_scheduled",
            data={"scheduled_callback_id": callback.id, "place_call_at": iso_time(place_call_at)},
            created_at=now,
        )
    )
    return callback


async def _lead(
    repo: ScheduledCallbackRepository, body: ScheduledCallbackCreate, number: str | None
) -> Lead:
    """The live lead to call back, named by ``lead_id`` or by ``schedule_id`` and ``to``."""
    if body.lead_id is not None:
        lead = await repo.lead(body.lead_id)
        if lead is None:
            raise TrackDriveError.not_found("lead")
        field = "lead_id"
    else:
        schedule = await repo.schedule(body.schedule_id or "")
        if schedule is None:
            raise TrackDriveError.not_found("schedule")
        assert number is not None
        lead = await repo.live_lead_in_schedule(schedule.id, number)
        if lead is None:
            raise TrackDriveError.field("to", "has no live lead in this schedule")
        field = "to"
    if lead.status not in LeadStatus.LIVE:
        raise TrackDriveError.field(field, f"the lead has ended ({lead.status})")
    if lead.schedule_id is None:
        raise TrackDriveError.field(field, "the lead is in no schedule, so nothing would call it")
    if not lead.caller_id:
        raise TrackDriveError.field(field, "the lead has no caller_id to call")
    return lead
