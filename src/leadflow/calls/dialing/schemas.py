"""make_call's request, as TrackDrive sends it (query string, form or JSON), and its answer.

:func:`parse_make_call` is pure: it turns the merged parameters into :class:`MakeCallParams` or
raises one 422 naming every missing or malformed field. Whether ``to`` is a valid number is not
decided here: that is the ``invalid_number`` guard, which the contract orders after the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from leadflow.calls.serializer import CallOut
from leadflow.kit.errors import TrackDriveError

# Lead intake's own reading of ``data[...]`` keys, reused as it is (another session edits that
# module; a public name for it belongs in that change): given only the ``data[...]`` keys, it
# reads nothing else.
from leadflow.leads.params import intake_tokens

MAX_DATA_KEYS = 500
MAX_REF_LENGTH = 200
# The width of the lead columns these two are stored in.
MAX_SUB_ID = 200
MAX_TO_LENGTH = 64


@dataclass(frozen=True)
class MakeCallParams:
    """Who to call: ``lead_ref``, or a schedule (``schedule_ref`` or ``lead_token``) and ``to``."""

    lead_ref: str | None = None
    schedule_ref: str | None = None
    lead_token: str | None = None
    to: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    traffic_source_ref: str | None = None
    sub_id: str | None = None


class MakeCallBody(BaseModel):
    """The documented body; the same fields are read from the query string and form fields."""

    model_config = ConfigDict(extra="ignore")

    lead_id: int | str | None = Field(
        default=None,
        description="The id or uuid of an existing lead to dial: its number and its schedule "
        "are used and no lead is created. When given, schedule_id, lead_token and to are "
        "ignored.",
    )
    schedule_id: int | str | None = Field(
        default=None, description="The schedule to dial from (with ``to``)."
    )
    lead_token: str | None = Field(
        default=None, description="The schedule's leads_api_key, instead of schedule_id."
    )
    to: str | None = Field(
        default=None,
        description="The number to dial; required unless lead_id is given.",
        examples=["+17195551234"],
    )
    data: dict[str, Any] | None = Field(
        default=None,
        description="Lead attributes: the tokens of a new one-off lead, merged into a reused "
        "lead's tokens; the call inherits them. Router schedules match their distributions "
        "on them.",
        examples=[{"first_name": "John", "last_name": "Doe"}],
    )
    traffic_source_id: str | None = Field(
        default=None,
        description="One of your traffic sources (our id or your user_traffic_source_id): "
        "routes a router schedule and is stored on a new one-off lead.",
    )
    sub_id: str | None = Field(default=None, description="Routes a router schedule, as data.")


class MakeCallEnvelope(BaseModel):
    status: int = 200
    errors: dict[str, list[str]] = {}
    call: CallOut
    lead_id: int = Field(description="The lead dialed.")
    lead_created: bool = Field(description="True when a one-off lead was created for this call.")
    metadata: dict[str, Any] = {}


def _text(
    raw: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]]
) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, bool):
        if value is not None:
            errors[name] = ["must be text or a number"]
        return None
    if not isinstance(value, str | int):
        errors[name] = ["must be text or a number"]
        return None
    text = str(value).replace("\x00", "").strip()
    if len(text) > limit:
        errors[name] = [f"is too long (at most {limit} characters)"]
        return None
    return text or None


def _data(raw: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """An object, or (from a form or query string) the JSON text of one, on top of the
    bracket form ``data[first_name]=John`` (``data[address][city]`` is ``address_city``),
    read exactly as ``POST /api/v1/leads`` reads it."""
    bracketed = _bracketed(raw, errors)
    value = raw.get("data")
    if value is None or value == "":
        return bracketed
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            errors["data"] = ["must be an object of lead attributes"]
            return {}
    if not isinstance(value, dict):
        errors["data"] = ["must be an object of lead attributes"]
        return {}
    if len(value) > MAX_DATA_KEYS:
        errors["data"] = [f"has more than {MAX_DATA_KEYS} attributes"]
        return {}
    try:
        encoded = orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        errors["data"] = ["holds a value that cannot be stored (e.g. a number over 64 bits)"]
        return {}
    if b"\\u0000" in encoded:  # PostgreSQL's JSON refuses NUL
        errors["data"] = ["must not contain NUL characters"]
        return {}
    return {**bracketed, **value}


def _bracketed(raw: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    fields = {key: value for key, value in raw.items() if key.startswith("data[")}
    if not fields:
        return {}
    found: dict[str, Any] = intake_tokens(fields, errors)
    return found


def parse_make_call(raw: Mapping[str, Any]) -> MakeCallParams:
    """The request's parameters, or the 422 naming every bad one."""
    errors: dict[str, list[str]] = {}
    lead_ref = _text(raw, "lead_id", MAX_REF_LENGTH, errors)
    schedule_ref = _text(raw, "schedule_id", MAX_REF_LENGTH, errors)
    lead_token = _text(raw, "lead_token", MAX_REF_LENGTH, errors)
    to = _text(raw, "to", MAX_TO_LENGTH, errors)
    traffic_source_ref = _text(raw, "traffic_source_id", MAX_REF_LENGTH, errors)
    sub_id = _text(raw, "sub_id", MAX_SUB_ID, errors)
    data = _data(raw, errors)
    if lead_ref is None and "lead_id" not in errors:
        if schedule_ref is None and lead_token is None and "schedule_id" not in errors:
            errors["lead_id"] = ["can't be blank unless schedule_id or lead_token is given"]
        if to is None and "to" not in errors:
            errors["to"] = ["can't be blank unless lead_id is given"]
    if errors:
        raise TrackDriveError.invalid(errors)
    return MakeCallParams(
        lead_ref=lead_ref,
        schedule_ref=schedule_ref,
        lead_token=lead_token,
        to=to,
        data=data,
        traffic_source_ref=traffic_source_ref,
        sub_id=sub_id,
    )
