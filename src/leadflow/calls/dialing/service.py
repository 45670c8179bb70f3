"""make_call: pick the lead, run the guards, write the call; then, after the commit, dial.

:func:`decide_call` is one group-commit unit. It takes the company's dialing lock, resolves
who to call, gathers the state the guards need, takes the shared CPS slot and the number's
30-second lock, runs :func:`leadflow.calls.guards.check_all` and, when nothing refuses, writes
the lead (if a one-off one is needed), the ``queued`` call and their events. A refusal raises,
and the unit's savepoint rolls every row and lock back: nothing is consumed by a refused call.
The endpoint dials only once that unit has committed, and writes the provider's answer in a
second unit, as the cadence does (``cadence.dispatch``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from leadflow.cadence.dispatch import Sent, record_sent
from leadflow.calls import guards
from leadflow.calls.dialing import repository
from leadflow.calls.dialing.schemas import MakeCallParams
from leadflow.channels.protocol import OutboundCall
from leadflow.contacts import repository as contacts
from leadflow.db.statements import Row, Sql
from leadflow.db.time_locks import take_time_lock, use_rate_slot
from leadflow.distributions.matching import routing_data
from leadflow.distributions.repository import resolve_route
from leadflow.dnc.policy import DEFAULT_SCHEDULE_DNC, schedule_dnc
from leadflow.dnc.registry import DncRegistry
from leadflow.dnc.screening import blocking_lists
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.kit.values import iso_time
from leadflow.leads import repository as leads
from leadflow.models import Call, LeadStatus
from leadflow.models.base import new_uuid
from leadflow.models.schedule import LEAD_DISTRIBUTION
from leadflow.schedules.calling_hours import LeadCallingRules, calling_rules, lead_whereabouts
from leadflow.schedules.config import CallingHours
from leadflow.webhooks.outbox import enqueue_event


@dataclass(frozen=True)
class DialContext:
    company_id: int
    now: datetime
    default_caller_id: str
    rng: random.Random
    dnc: DncRegistry | None = None
    """The shared do-not-call lists in force (refreshed before deciding); None checks none."""


@dataclass(frozen=True)
class DecidedCall:
    """A committed ``queued`` call, and what to hand the voice channel for it."""

    call_id: int
    lead_id: int
    lead_created: bool
    outbound: OutboundCall


@dataclass
class _Target:
    """Who is dialed: an existing lead, or (``lead`` None) a one-off lead still to create."""

    number: str
    schedule: Row | None
    lead: Row | None
    paused: bool


def decide_call(sql: Sql, params: MakeCallParams, ctx: DialContext) -> DecidedCall:
    """Everything make_call decides, inside the caller's transaction; raises the 404 or the
    guard's 422 instead of writing anything."""
    repository.lock_company_dialing(sql, ctx.company_id)
    company = repository.company(sql, ctx.company_id)
    region = str(company["default_region"] or "US")
    traffic_source_id = _traffic_source(sql, ctx.company_id, params.traffic_source_ref)
    if params.lead_ref is not None:
        target = _existing_lead(sql, ctx.company_id, params.lead_ref)
    else:
        target = _schedule_target(sql, params, ctx, region, traffic_source_id)
    attempt = _gather(sql, ctx, company, region, target, params.data)
    failure = guards.check_all(attempt)
    if failure is not None:
        raise guards.as_error(failure)
    number = to_e164(target.number, region)
    return _write(sql, ctx, params, target, number, traffic_source_id)


DEFAULT_ZONE = "America/New_York"
"""A schedule's (and a company's) zone when the row has none, as the cadence reads it."""


def _from_number(sql: Sql, ctx: DialContext, lead: Row | None) -> str | None:
    """The caller ID the call shows: the lead's own number, one of the company's voice numbers
    (chosen by lead) or ``LEADFLOW_DEFAULT_CALLER_ID``. A lead still to create is lead 0 here,
    enough to know whether any number exists; :func:`_write` picks again for the new lead."""
    assigned = lead["trackdrive_number_id"] if lead is not None else None
    lead_id = int(lead["id"]) if lead is not None else 0
    found = repository.voice_number(sql, ctx.company_id, assigned, lead_id)
    return found or ctx.default_caller_id or None


def _calling_rules(
    company: Row, target: _Target, number: str | None, data: Mapping[str, Any]
) -> LeadCallingRules:
    """The lead's calling hours exactly as the cadence works them out: its number, its
    ``time_zone`` and state tokens (the call's: the lead's with ``data`` on top), and its
    schedule's zone and hours. A lead in no schedule (a one-off, dialed by ``lead_id``) has
    the default hours in the company's zone; the law applies to it all the same."""
    tokens = {**(target.lead["tokens"] or {}), **data} if target.lead is not None else data
    zone, state = lead_whereabouts(tokens)
    if target.schedule is not None:
        schedule_zone = target.schedule["time_zone"] or DEFAULT_ZONE
        hours = _hours(target.schedule["calling_hours"])
    else:
        schedule_zone, hours = company["time_zone"] or DEFAULT_ZONE, CallingHours()
    return calling_rules(number, zone, state, schedule_zone, hours)


def _hours(stored: Any) -> CallingHours:
    """A schedule's stored hours, parsed once per distinct value: the same object each time,
    so :func:`calling_rules`'s cache (kept by the hours object) serves every call."""
    return _parsed_hours(orjson.dumps(stored or {}, option=orjson.OPT_SORT_KEYS).decode())


@lru_cache(maxsize=256)
def _parsed_hours(text: str) -> CallingHours:
    """Hours the API would not have saved (edited by hand) are the default hours."""
    try:
        return CallingHours.model_validate_json(text)
    except ValidationError:
        return CallingHours()


def _traffic_source(sql: Sql, company_id: int, ref: str | None) -> int | None:
    if ref is None:
        return None
    found = leads.traffic_source_id(sql, company_id, ref)
    if found is None:
        raise TrackDriveError.field("traffic_source_id", "is not one of your traffic sources")
    return found


def _existing_lead(sql: Sql, company_id: int, ref: str) -> _Target:
    """``lead_id``: that lead, its number and its schedule, whatever its status."""
    lead = repository.lead_by_ref(sql, company_id, ref)
    if lead is None:
        raise TrackDriveError.not_found("lead")
    schedule = None
    if lead["schedule_id"] is not None:
        schedule = repository.schedule_by_id(sql, company_id, lead["schedule_id"])
    paused = bool(schedule and schedule["paused"])
    return _Target(lead["caller_id"] or "", schedule, lead, paused)


def _schedule_target(
    sql: Sql,
    params: MakeCallParams,
    ctx: DialContext,
    region: str,
    traffic_source_id: int | None,
) -> _Target:
    """``schedule_id``/``lead_token`` and ``to``: the schedule (a router's is its matching
    distribution's target), and the live lead of the number enrolled there, if any."""
    if params.schedule_ref is not None:
        schedule = repository.schedule_by_ref(sql, ctx.company_id, params.schedule_ref)
    else:
        schedule = repository.schedule_by_token(sql, ctx.company_id, params.lead_token or "")
    if schedule is None:
        raise TrackDriveError.not_found("schedule")
    paused = bool(schedule["paused"])
    to = params.to or ""
    try:
        number: str | None = to_e164(to, region)
    except InvalidPhoneNumberError:
        number = None
    if schedule["schedule_type"] == LEAD_DISTRIBUTION and not paused:
        # The number called is the lead's caller_id, as a posted lead's would be.
        data = routing_data(params.data, traffic_source_id, params.sub_id, caller_id=number)
        target_id = resolve_route(sql, ctx.company_id, schedule["id"], data, ctx.rng)
        schedule = repository.schedule_by_id(sql, ctx.company_id, target_id)
        if schedule is None:  # deleted under a distribution: the route leads nowhere
            raise guards.as_error(guards.no_matching_distribution())
        paused = bool(schedule["paused"])
    lead = None
    if number is not None:
        lead = repository.live_lead_in_schedule(sql, ctx.company_id, schedule["id"], number)
    return _Target(to, schedule, lead, paused)


def _gather(
    sql: Sql,
    ctx: DialContext,
    company: Row,
    region: str,
    target: _Target,
    data: Mapping[str, Any],
) -> guards.DialAttempt:
    """The guards' view of the attempt. The CPS slot and the redial lock are taken here: if a
    guard then refuses, the caller's savepoint gives both back."""
    limit = int(company["calls_per_second"])
    within_budget = use_rate_slot(sql, f"cps:{ctx.company_id}", int(ctx.now.timestamp()), limit)
    contact = guards.ContactState()
    last_dialed_at: datetime | None = None
    on_call = False
    try:
        number: str | None = to_e164(target.number, region)
    except InvalidPhoneNumberError:
        number = None
    if number is not None:
        row = contacts.contact_row(sql, ctx.company_id, number)
        if row is not None:
            contact = guards.ContactState(
                blocked=row["blocked"], opt_out=row["opt_out"], dnc=row["dnc"]
            )
        if ctx.dnc is not None:
            contact = replace(contact, shared_dnc_lists=_blocking_lists(ctx, target, number, data))
        since = ctx.now - guards.REDIAL_LOCK
        if take_time_lock(sql, f"dial:{ctx.company_id}", number, ctx.now, guards.REDIAL_LOCK):
            last_dialed_at = repository.last_call_to(sql, ctx.company_id, number, since)
        else:
            last_dialed_at = ctx.now
        on_call = repository.number_on_live_call(sql, ctx.company_id, number)
    return guards.DialAttempt(
        now=ctx.now,
        to=target.number,
        from_number=_from_number(sql, ctx, target.lead),
        calling_rules=_calling_rules(company, target, number, data),
        schedule_paused=target.paused,
        calls_this_second=0 if within_budget else limit,
        calls_per_second=limit,
        contact=contact,
        last_dialed_at=last_dialed_at,
        other_live_lead=on_call,
        region=region,
    )


def _blocking_lists(
    ctx: DialContext, target: _Target, number: str, data: Mapping[str, Any]
) -> tuple[str, ...]:
    """The shared lists that stop this call, as the cadence decides them (one function): the
    lists the schedule applies and its exemptions. The inquiry is the lead's first post; a
    number with no lead yet has made none. Consent is read from the call's tokens (the lead's
    with ``data`` on top), which become the lead's. A lead in no schedule gets the default:
    every list, no exemption."""
    schedule = target.schedule
    policy = schedule_dnc(schedule["dnc_settings"]) if schedule else DEFAULT_SCHEDULE_DNC
    lead = target.lead
    inquiry_at = lead["created_at"] if lead is not None else None
    tokens = {**(lead["tokens"] or {}), **data} if lead is not None else data
    return blocking_lists(ctx.dnc, policy, number, inquiry_at, tokens, ctx.now)


def _write(
    sql: Sql,
    ctx: DialContext,
    params: MakeCallParams,
    target: _Target,
    number: str,
    traffic_source_id: int | None,
) -> DecidedCall:
    lead, created = target.lead, False
    if lead is None:
        assert target.schedule is not None
        lead = _one_off_lead(sql, ctx, params, target.schedule, number, traffic_source_id)
        created = True
        tokens = None
    else:
        tokens = {**lead["tokens"], **params.data} if params.data else None
    call_tokens = tokens if tokens is not None else dict(lead["tokens"] or {})
    schedule_id = target.schedule["id"] if target.schedule is not None else None
    from_number = _from_number(sql, ctx, lead)
    connect_to = repository.offer_destination(sql, lead["offer_id"])
    call_uuid = new_uuid()
    values = {
        "uuid": call_uuid,
        "company_id": ctx.company_id,
        "lead_id": lead["id"],
        "schedule_id": schedule_id,
        "offer_id": lead["offer_id"],
        "traffic_source_id": lead["traffic_source_id"],
        "to_number": number,
        "from_number": from_number,
        "tokens": call_tokens,
        "connect_to": connect_to,
        "now": ctx.now,
    }
    call_id = repository.insert_call(sql, values)
    repository.count_call_on_lead(sql, lead, call_id, tokens, ctx.now)
    enqueue_event(
        sql,
        company_id=ctx.company_id,
        event="new_call",
        data=lambda: _new_call_data(call_id, values),
        trigger={
            "schedule_id": schedule_id,
            "offer_id": lead["offer_id"],
            "traffic_source_id": lead["traffic_source_id"],
            "sub_id": lead["sub_id"],
        },
        now=ctx.now,
    )
    outbound = OutboundCall(
        call_uuid=call_uuid, to=number, from_=from_number, connect_to=connect_to
    )
    return DecidedCall(call_id, int(lead["id"]), created, outbound)


def _new_call_data(call_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The ``new_call`` webhook's call, as the cadence's calls show it."""
    data = {name: value for name, value in values.items() if name != "now"}
    return {
        **data,
        "id": call_id,
        "direction": "outbound",
        "status": "queued",
        "created_at": iso_time(values["now"]),
    }


def record_answer(sql: Sql, sent: list[Sent], call_id: int, now: datetime) -> Call:
    """Write what the voice provider answered, as the cadence does, and read the call back."""
    record_sent(sql, sent, now)
    return repository.call_by_id(sql, call_id)


def _one_off_lead(
    sql: Sql,
    ctx: DialContext,
    params: MakeCallParams,
    schedule: Row,
    number: str,
    traffic_source_id: int | None,
) -> Row:
    """Owned by the schedule's offer and never worked by the cadence (no schedule, no next
    action), as a lead stored with the offer's token is: it exists for this one call."""
    lead: dict[str, Any] = {
        "uuid": new_uuid(),
        "company_id": ctx.company_id,
        "offer_id": schedule["offer_id"],
        "schedule_id": None,
        "traffic_source_id": traffic_source_id,
        "sub_id": params.sub_id,
        "caller_id": number,
        "status": LeadStatus.WAITING,
        "tokens": dict(params.data),
        "action_index": 0,
        "contact_attempts": 0,
        "calls_placed": 0,
        "calls_connected": 0,
        "next_action_at": None,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    lead["id"] = leads.insert_lead(sql, lead)
    lead["trackdrive_number_id"] = None
    data = {"via": "make_call", "schedule_id": schedule["id"], "tokens": sorted(params.data)}
    leads.add_event(sql, lead["company_id"], lead["id"], "created", data, ctx.now)
    return lead
