"""TrackDrive's lead intake routes. Parse, resolve the token, run one group-committed unit, answer.

The answer is sent only after the batch holding this lead committed: a 2xx is durable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.db.group_commit import GroupCommitter, Together
from leadflow.db.statements import Sql
from leadflow.dnc.screening import intake_hits
from leadflow.kit import envelope
from leadflow.kit.auth import WRITE, authenticate
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.leads import caller_operations
from leadflow.leads.batch import BatchItem, duplicate_locks, intake_together
from leadflow.leads.owner import LeadOwner, OwnerCache
from leadflow.leads.params import collect, parse_intake
from leadflow.leads.rules import IntakeContext, IntakeMode, lock_key
from leadflow.leads.serializer import LeadOut, serialise_lead
from leadflow.leads.service import IntakeResult, intake
from leadflow.ops.request_id import current_request_id

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


class LeadPost(BaseModel):
    """Any field not listed becomes a lead token; ``data`` holds tokens explicitly.

    The same parameters are accepted on the query string and as form fields."""

    model_config = ConfigDict(extra="allow")

    lead_token: str = Field(
        description="A schedule's or an offer's leads_api_key. A router (lead_distribution) "
        "schedule's token enrols the lead in the target of the distribution its data "
        "matches; none matching is a 422 with error_code no_matching_distribution."
    )
    caller_id: str | None = Field(default=None, examples=["+18004506787"])
    email: str | None = None
    traffic_source_id: str | None = None
    sub_id: str | None = None
    contact_field_type: str | None = None
    schedule_callback_at: str | None = Field(default=None, examples=["2021-07-23 14:26:43 +0000"])
    schedule_callback_in_seconds: int | None = None
    next_action_at: str | None = None
    hours_to_expire: int | None = None
    expires_in: int | None = Field(default=None, description="Minutes.")
    max_contact_attempts: int | None = None
    lead_priority: int | None = None
    apply_to: str | None = Field(default=None, examples=["calls"])
    update_all_matching_leads: bool | None = None
    unblock_contact: bool | None = None
    blocked: bool | None = None
    assign_trackdrive_number: bool | None = None
    assign_sms_number: bool | None = None
    expire_existing: bool | None = None
    delete_existing: bool | None = None
    update_only: bool | None = None
    restart_schedule: bool | None = None
    auto_format_nested_fields: bool | None = None
    data: dict[str, Any] | None = None


class LeadIntakeEnvelope(BaseModel):
    status: int = 200
    errors: dict[str, list[str]] = {}
    lead: LeadOut
    dedupe_action: str = Field(description="created or updated")
    updated_matching_leads: int = 0
    router_schedule_id: int | None = Field(
        default=None,
        description="Only for a router (lead_distribution) token: the router posted to. "
        "The lead's own schedule_id is the target schedule it was routed to.",
    )
    distribution_id: int | None = Field(
        default=None, description="Only for a router token: the distribution that matched."
    )
    metadata: dict[str, Any] = {}


def _lead_token_parameter(required: bool, where: str) -> dict[str, Any]:
    """``lead_token`` on the query string, as OpenAPI names it: the handlers read the query and
    the body together, so FastAPI cannot see the parameter by itself."""
    return {
        "name": "lead_token",
        "in": "query",
        "required": required,
        "schema": {"type": "string"},
        "description": f"A schedule's or an offer's leads_api_key. {where}",
    }


INTAKE_DOC: dict[str, Any] = {
    "response_class": Response,
    "responses": {200: {"model": LeadIntakeEnvelope}, **envelope.ERROR_RESPONSES},
    "openapi_extra": {
        "parameters": [
            _lead_token_parameter(
                False, "Send it here or in the body, with any other field of the body."
            )
        ],
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": LeadPost.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": True}
                },
            },
        },
    },
}
CALLER_DOC: dict[str, Any] = {
    "response_class": Response,
    "responses": {200: {"model": envelope.one_model("lead", LeadOut)}, **envelope.ERROR_RESPONSES},
    "openapi_extra": {
        "parameters": [
            _lead_token_parameter(True, "Names the schedule or offer whose lead is acted on.")
        ]
    },
}


def _route(path: str, methods: list[str], **kwargs: Any) -> Callable[[Any], Any]:
    """Register one route per method so each gets its own OpenAPI operation id."""

    def register(endpoint: Any) -> Any:
        for method in methods:
            router.add_api_route(
                path,
                endpoint,
                methods=[method],
                operation_id=f"{endpoint.__name__}_{method.lower()}",
                **kwargs,
            )
        return endpoint

    return register


def _remote_ip(request: Request) -> str | None:
    client = request.scope.get("client")
    return str(client[0]) if client else None


async def _may_unblock(request: Request, owner: LeadOwner) -> bool:
    if "authorization" not in request.headers:
        return False
    principal = await authenticate(request)
    return (
        principal is not None
        and principal.company_id == owner.company_id
        and principal.may("leads", WRITE)
    )


async def _intake(request: Request, mode: IntakeMode) -> Response:
    raw = await collect(request)
    return Response(await answer_intake(request, raw, mode), media_type="application/json")


async def answer_intake(request: Request, raw: dict[str, Any], mode: IntakeMode) -> bytes:
    """The whole intake of one post, from its merged parameters to the JSON answer, sent only
    once the batch holding the lead committed. Shared by the FastAPI routes and the fast path
    (``leads.fast_path``), which builds ``raw`` without the framework."""
    state = app_state(request)
    owners: OwnerCache = state.owner_cache
    owner = await owners.resolve(_text_or_none(raw.get("lead_token")))
    params = parse_intake(raw, owner.region, max_json_depth=state.settings.max_json_depth)
    owner, routing = await owners.target_of(owner, params)
    may_unblock = await _may_unblock(request, owner) if params.unblock_contact else False
    if params.unblock_contact and not may_unblock:
        raise TrackDriveError.forbidden(
            "unblock_contact needs company credentials (Basic auth) that may update leads"
        )
    ctx = IntakeContext(
        now=state.clock.now(),
        remote_ip=_remote_ip(request),
        mode=mode,
        may_unblock=may_unblock,
        routing=routing,
        dnc_hits=await intake_hits(state.worker_context.dnc, owner.schedule_id, params.caller_id),
        request_id=current_request_id.get(),
    )
    committer: GroupCommitter = state.committer

    def unit(sql: Sql) -> IntakeResult:
        return intake(sql, owner, params, ctx)

    # The batch's posts run together (leads.batch): the same rules, a few statements a batch
    # instead of a few a lead.
    together = Together(
        intake_together, BatchItem(owner, params, ctx), duplicate_locks(owner, params)
    )
    result = await committer.run(unit, lock_key(owner, params.caller_id), together)
    lead = serialise_lead(
        result.lead,
        result.contact,
        trackdrive_number_plain=result.trackdrive_number_plain,
        sms_number_plain=result.sms_number_plain,
    )
    extra: dict[str, Any] = {"dedupe_action": result.dedupe_action}
    if params.update_all_matching_leads:
        extra["updated_matching_leads"] = result.updated_matching_leads
    if mode is IntakeMode.CAPTURE:
        extra["schedule_id"] = owner.schedule_id
    # A router's lead: router_schedule_id and distribution_id beside it (its schedule_id is
    # the target's).
    extra.update(result.extra)
    return envelope.one_bytes("lead", lead, **extra)


def _text_or_none(value: Any) -> str | None:
    """The lead token as text; NUL never names a token (and PostgreSQL refuses it)."""
    if not isinstance(value, str | int):
        return None
    return str(value).replace("\x00", "").strip() or None


@_route("", ["POST", "PUT"], summary="Submit a lead", **INTAKE_DOC)
async def submit_lead(request: Request) -> Response:
    """Enrol a lead in the schedule (or store it on the offer) its ``lead_token`` names."""
    return await _intake(request, IntakeMode.ENROL)


@_route("/capture", ["POST", "PUT"], summary="Capture a lead", **INTAKE_DOC)
async def capture_lead(request: Request) -> Response:
    """Store the lead and start no action."""
    return await _intake(request, IntakeMode.CAPTURE)


@_route("/create_or_update", ["POST", "PUT"], summary="Create or update", **INTAKE_DOC)
async def create_or_update_lead(request: Request) -> Response:
    """Update the live lead for this caller in the token's scope, or create it."""
    return await _intake(request, IntakeMode.CREATE_OR_UPDATE)


Operation = Callable[[Sql, LeadOwner, str, Any], dict[str, Any]]


async def _caller_operation(request: Request, caller_id: str, operation: Operation) -> Response:
    raw = await collect(request)
    owners: OwnerCache = app_state(request).owner_cache
    owner = await owners.resolve(_text_or_none(raw.get("lead_token")))
    try:
        number = to_e164(caller_id, owner.region)
    except InvalidPhoneNumberError as exc:
        raise TrackDriveError.field("caller_id", str(exc)) from exc
    now = app_state(request).clock.now()
    committer: GroupCommitter = app_state(request).committer

    def unit(sql: Sql) -> dict[str, Any]:
        return operation(sql, owner, number, now)

    lead = await committer.run(unit, lock_key(owner, number))
    return envelope.one("lead", serialise_lead(lead))


@_route("/{caller_id}/caller_opt_out", ["PUT", "GET", "POST"], **CALLER_DOC)
async def caller_opt_out(caller_id: str, request: Request) -> Response:
    """Opt the number out company-wide: no call, SMS or e-mail from any schedule again."""
    return await _caller_operation(request, caller_id, caller_operations.opt_out)


@_route("/{caller_id}/caller_remove", ["POST", "DELETE", "GET"], **CALLER_DOC)
async def caller_remove(caller_id: str, request: Request) -> Response:
    """Stop every further action on this caller's lead in the token's schedule or offer."""
    return await _caller_operation(request, caller_id, caller_operations.remove)


@_route("/{caller_id}/caller_move_to_end_of_schedule", ["PUT", "POST"], **CALLER_DOC)
async def caller_move_to_end_of_schedule(caller_id: str, request: Request) -> Response:
    """Skip the lead's remaining actions; its end-of-schedule actions run next."""
    return await _caller_operation(request, caller_id, caller_operations.move_to_end_of_schedule)
