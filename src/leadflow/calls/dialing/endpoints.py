"""``POST /api/v1/schedules/make_call``: dial one lead now, through the guards, once.

Parse, then :func:`leadflow.calls.dialing.flow.place_call`: decide in one group-committed unit,
dial only after that commit, write the provider's answer, answer with the call. A refused
call writes nothing and dials nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.calls import guards
from leadflow.calls.dialing.flow import place_call
from leadflow.calls.dialing.schemas import MakeCallBody, MakeCallEnvelope, parse_make_call
from leadflow.calls.serializer import serialise_call
from leadflow.kit import envelope
from leadflow.kit.auth import WRITE, Principal, require
from leadflow.kit.envelope import TrackDriveErrorBody
from leadflow.leads.params import collect

router = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])
# The key is checked without a request-scoped session: on SQLite a session's transaction holds
# the write lock (``BEGIN IMMEDIATE``), which the group commit deciding the call needs.
Dialer = Annotated[Principal, Depends(require("schedules", WRITE, also=("calls",)))]

REFUSALS: dict[str, str] = {
    guards.SCHEDULE_INACTIVE: "the schedule (or a router's target schedule) is paused",
    guards.NO_CALLER_ID: "no From number: the lead has none, the company has no voice "
    "number and LEADFLOW_DEFAULT_CALLER_ID is empty",
    guards.CPS_EXCEEDED: "the company's calls_per_second budget for this second is spent "
    "(shared by every process)",
    guards.SUPPRESSED: "the number is blocked, opted out or on the company's DNC list",
    guards.RECENTLY_DIALED: "the number was dialed less than 30 seconds ago (by make_call, "
    "or a call of the cadence)",
    guards.INVALID_NUMBER: "the number to dial is not a valid phone number",
    guards.OUTSIDE_CALLING_HOURS: "it is outside the lead's calling hours, as the cadence "
    "keeps them: the schedule's hours narrowed by the law (08:00-21:00, stricter in some "
    "states), in the zone of the lead's number (or its time_zone token; the schedule's zone "
    "when neither reveals one); the message says when they open next",
    guards.DUPLICATE_LEAD: "a running live lead of the company for this number has a call "
    "that has not ended yet",
    guards.NO_MATCHING_DISTRIBUTION: "a router schedule none of whose distributions matches "
    "the submitted data",
}
_REFUSAL_LIST = "\n".join(f"- `{code}`: {why}" for code, why in REFUSALS.items())

DESCRIPTION = f"""Places an outbound call now.

Say who to call with **lead_id** (that lead, its number and its schedule; nothing is
created), or with **schedule_id** or **lead_token** plus **to**. A router
(`lead_distribution`) schedule sends the call to its matching distribution's target schedule.
A live lead of that number enrolled in the schedule is reused; otherwise a one-off lead owned
by the schedule's offer, not worked by the cadence, is created with `data` as its tokens.

Guards, checked in this order, each answered as a 422 with its `error_code`:

{_REFUSAL_LIST}

404 when lead_id, schedule_id or lead_token names nothing of your company; 422 without an
`error_code` for missing or malformed fields. The call is dialed only after it is stored; the
answer carries it with the provider's first answer (`provider_id`, `status`)."""

DOC: dict[str, Any] = {
    "summary": "Place a call now (make_call)",
    "description": DESCRIPTION,
    "response_class": Response,
    "responses": {
        200: {"model": MakeCallEnvelope},
        **envelope.ERROR_RESPONSES,
        404: {"model": TrackDriveErrorBody, "description": "Unknown lead or schedule"},
        422: {
            "model": TrackDriveErrorBody,
            "description": "A guard refused the call (error_code names which):\n\n"
            + _REFUSAL_LIST
            + "\n\nor a field is missing or malformed (no error_code).",
        },
    },
    "openapi_extra": {
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": MakeCallBody.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": True}
                },
            },
        }
    },
}


@router.post("/make_call", **DOC)
async def make_call(request: Request, principal: Dialer) -> Response:
    params = parse_make_call(await collect(request))
    placed = await place_call(app_state(request), principal.company_id, params)
    decided = placed.decided
    call = placed.call
    return envelope.one(
        "call",
        serialise_call(call),
        lead_id=decided.lead_id,
        lead_created=decided.lead_created,
    )
