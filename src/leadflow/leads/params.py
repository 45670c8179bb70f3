"""Reading a TrackDrive lead post: every transport, every documented parameter, all errors at once.

``collect`` merges the query string with a JSON, form or multipart body (the body wins);
``parse_intake`` is pure: it turns that mapping into :class:`IntakeParams` or raises one
:class:`TrackDriveError` naming every bad field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import orjson
from email_validator import EmailNotValidError, validate_email
from fastapi import Request
from starlette.datastructures import UploadFile

from leadflow.app_state import app_state
from leadflow.kit import json_depth
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.kit.values import parse_bool, parse_int, parse_time
from leadflow.leads.tokens import (
    EMAIL_NAMES,
    PHONE_NAMES,
    TokenValue,
    TooManyTokensError,
    expand_embedded_json,
    find_contact_field,
    flatten,
)

BOOLEAN_FLAGS = (
    "update_all_matching_leads",
    "unblock_contact",
    "blocked",
    "assign_trackdrive_number",
    "assign_sms_number",
    "expire_existing",
    "delete_existing",
    "update_only",
    "restart_schedule",
    "auto_format_nested_fields",
)
INTEGERS = (
    "hours_to_expire",
    "max_contact_attempts",
    "expires_in",
    "lead_priority",
    "schedule_callback_in_seconds",
)
# Inclusive bounds: past them a duration overflows a date and a number its column.
_TEN_YEARS_IN_HOURS = 24 * 366 * 10
INTEGER_RANGES = {
    "hours_to_expire": (0, _TEN_YEARS_IN_HOURS),
    "expires_in": (0, _TEN_YEARS_IN_HOURS * 60),
    "schedule_callback_in_seconds": (0, _TEN_YEARS_IN_HOURS * 3600),
    "max_contact_attempts": (0, 2**31 - 1),
    "lead_priority": (-(2**31), 2**31 - 1),
}
TIMES = ("schedule_callback_at", "next_action_at")
STRINGS = (
    "lead_token",
    "caller_id",
    "email",
    "contact_field_type",
    "traffic_source_id",
    "sub_id",
    "apply_to",
)
# The width of the column each free-form string is stored in.
STRING_LIMITS = {"contact_field_type": 100, "sub_id": 200, "traffic_source_id": 200}
# Credentials are never stored as tokens.
SECRETS = ("auth_token",)
RESERVED = frozenset((*BOOLEAN_FLAGS, *INTEGERS, *TIMES, *STRINGS, *SECRETS, "data"))
MAX_TOKENS = 500
MAX_TOKEN_LENGTH = 10_000


@dataclass
class IntakeParams:
    lead_token: str | None = None
    caller_id: str | None = None
    email: str | None = None
    contact_field_type: str | None = None
    traffic_source_ref: str | None = None
    sub_id: str | None = None
    apply_to_calls: bool = False
    tokens: dict[str, TokenValue] = field(default_factory=dict)
    schedule_callback_at: datetime | None = None
    schedule_callback_in_seconds: int | None = None
    next_action_at: datetime | None = None
    hours_to_expire: int | None = None
    expires_in: int | None = None
    max_contact_attempts: int | None = None
    lead_priority: int | None = None
    update_all_matching_leads: bool = False
    unblock_contact: bool = False
    blocked: bool = False
    assign_trackdrive_number: bool = False
    assign_sms_number: bool = False
    expire_existing: bool = False
    delete_existing: bool = False
    update_only: bool = False
    restart_schedule: bool = False
    auto_format_nested_fields: bool = False

    def callback_at(self, now: datetime) -> datetime | None:
        if self.schedule_callback_at is not None:
            return self.schedule_callback_at
        if self.schedule_callback_in_seconds is not None:
            return now + timedelta(seconds=self.schedule_callback_in_seconds)
        return None

    def expires_at(self, now: datetime) -> datetime | None:
        """``expires_in`` is minutes, ``hours_to_expire`` hours; with both, the earlier wins."""
        candidates = []
        if self.expires_in is not None:
            candidates.append(now + timedelta(minutes=self.expires_in))
        if self.hours_to_expire is not None:
            candidates.append(now + timedelta(hours=self.hours_to_expire))
        return min(candidates) if candidates else None

    def __reduce__(self) -> tuple[Callable[..., IntakeParams], tuple[dict[str, Any]]]:
        """Pickled as the fields the post set: a large CSV import sends each row's parameters
        from the process that parses them (``imports.pipeline``), and the defaults of the
        other twenty-odd fields were most of those bytes and of the time to read them back."""
        sent = {
            name: value
            for name, value in vars(self).items()
            if name not in _DEFAULTS or value != _DEFAULTS[name]
        }
        return (_params_of, (sent,))


_DEFAULTS = {f.name: f.default for f in fields(IntakeParams) if f.default is not MISSING}


def _params_of(sent: dict[str, Any]) -> IntakeParams:
    return IntakeParams(**sent)


async def collect(request: Request) -> dict[str, Any]:
    """Query string, then the body on top of it. Repeated keys keep the last value."""
    values: dict[str, Any] = dict(request.query_params)
    content_type = media_type(request.headers.get("content-type", ""))
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except Exception as exc:  # malformed multipart: the client's fault, not ours
            raise TrackDriveError.field("body", f"could not be read: {exc}") from exc
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                values[key] = value
        return values
    depth: int = app_state(request).settings.max_json_depth
    return merge_body(values, await request.body(), content_type, depth)


def media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def merge_body(
    values: dict[str, Any], body: bytes, content_type: str, max_json_depth: int
) -> dict[str, Any]:
    """``values`` with a JSON body's keys on top; any other body (no form here) adds nothing.
    A body nested deeper than ``max_json_depth`` is refused naming its field (``kit.json_depth``:
    the fast path decodes the body here, so it is measured here)."""
    if not body.strip():
        return values
    if content_type.endswith("json") or body.lstrip()[:1] in (b"{", b"["):
        try:
            decoded = json_depth.loads(body, max_json_depth)
        except orjson.JSONDecodeError:
            raise TrackDriveError.field("body", "is not valid JSON") from None
        except json_depth.JsonTooDeepError as exc:
            raise TrackDriveError.field(exc.field, exc.message) from None
        if not isinstance(decoded, dict):
            raise TrackDriveError.field("body", "must be a JSON object")
        values.update(decoded)
    return values


def parse_intake(
    raw: Mapping[str, Any],
    region: str,
    *,
    phone_required: bool = False,
    max_json_depth: int = json_depth.DEFAULT_MAX_DEPTH,
) -> IntakeParams:
    """Validate every reserved parameter and gather the rest as tokens. ``max_json_depth``
    holds JSON sent inside a field (``data`` as text, nested form fields) to the body's limit."""
    errors: dict[str, list[str]] = {}
    params = IntakeParams()

    def read(name: str, parser: Callable[[Any], Any]) -> Any:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        try:
            return parser(value)
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
            return None

    # Only the parameters a post actually sends are read: a typical lead carries two or three
    # of the thirty, and this runs for every lead (the rest keep IntakeParams' defaults).
    sent = raw.keys() & RESERVED
    for name in _present(BOOLEAN_FLAGS, sent):
        setattr(params, name, bool(read(name, parse_bool)))
    for name in _present(INTEGERS, sent):
        setattr(params, name, read(name, parse_int))
    for name in _present(TIMES, sent):
        setattr(params, name, read(name, parse_time))
    for name in _present(INTEGER_RANGES, sent):
        low, high = INTEGER_RANGES[name]
        value = getattr(params, name)
        if value is not None and value < low:
            errors.setdefault(name, []).append(
                "must be zero or more" if low == 0 else f"must be at least {low}"
            )
        elif value is not None and value > high:
            errors.setdefault(name, []).append(f"must be at most {high}")

    for name in _present(STRINGS, sent):
        value = raw[name]
        if value is not None and not isinstance(value, str | int | float):
            errors.setdefault(name, []).append("must be a String")
    for name in _present(STRING_LIMITS, sent):
        limit = STRING_LIMITS[name]
        if len(_text(raw.get(name)) or "") > limit:
            errors.setdefault(name, []).append(f"is longer than {limit} characters")
    params.lead_token = _text(raw.get("lead_token"))
    params.contact_field_type = _text(raw.get("contact_field_type"))
    params.traffic_source_ref = _text(raw.get("traffic_source_id"))
    params.sub_id = _text(raw.get("sub_id"))
    apply_to = _text(raw.get("apply_to"))
    if apply_to not in (None, "calls"):
        errors.setdefault("apply_to", []).append("must be one of: calls")
    params.apply_to_calls = apply_to == "calls"

    params.tokens = intake_tokens(raw, errors, max_json_depth)
    if params.auto_format_nested_fields:
        # The cap holds for the tokens the lead would store, after the unpacking.
        try:
            params.tokens = expand_embedded_json(params.tokens, max_json_depth, MAX_TOKENS)
        except json_depth.JsonTooDeepError as exc:
            errors.setdefault(exc.field, []).append(exc.message)
        except TooManyTokensError:
            errors.setdefault("data", []).append(
                f"has more than {MAX_TOKENS} tokens once nested fields are expanded"
            )

    # The JSON example in TrackDrive's docs sends the e-mail inside ``data``: honour that too.
    caller_id = _text(raw.get("caller_id")) or _text(params.tokens.pop("caller_id", None))
    email = _text(raw.get("email")) or _text(params.tokens.pop("email", None))
    for reserved in ("caller_id", "email", "lead_token", "auth_token"):
        params.tokens.pop(reserved, None)
    if params.auto_format_nested_fields:
        caller_id = caller_id or find_contact_field(params.tokens, PHONE_NAMES)
        email = email or find_contact_field(params.tokens, EMAIL_NAMES)
    if caller_id is not None:
        try:
            params.caller_id = to_e164(caller_id, region)
        except InvalidPhoneNumberError as exc:
            errors.setdefault("caller_id", []).append(str(exc))
    elif phone_required:
        errors.setdefault("caller_id", []).append("is required")
    if email is not None:
        try:
            params.email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            errors.setdefault("email", []).append(f"is not a valid e-mail address: {exc}")

    if errors:
        raise TrackDriveError.invalid(errors)
    return params


def _present(names: Iterable[str], sent: Set[str]) -> list[str]:
    """``names`` that the post sent, in their documented order (so errors keep it too)."""
    return [name for name in names if name in sent]


def _text(value: Any) -> str | None:
    """A scalar as trimmed text; NUL characters dropped, as PostgreSQL refuses them."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def intake_tokens(
    raw: Mapping[str, Any],
    errors: dict[str, list[str]],
    max_json_depth: int = json_depth.DEFAULT_MAX_DEPTH,
) -> dict[str, TokenValue]:
    """Non-reserved top-level keys, then the ``data`` hash on top (``data`` wins)."""
    top = {k: v for k, v in raw.items() if k not in RESERVED and not k.startswith("data[")}
    bracketed_data = {k[5:].replace("]", "", 1): v for k, v in raw.items() if k.startswith("data[")}
    data = raw.get("data")
    if data is not None and not isinstance(data, dict):
        if isinstance(data, str) and data.strip().startswith("{"):
            try:
                data = json_depth.loads(data, max_json_depth, field="data")
            except orjson.JSONDecodeError:
                data = None
                errors.setdefault("data", []).append("must be a Hash")
            except json_depth.JsonTooDeepError as exc:
                data = None
                errors.setdefault("data", []).append(exc.message)
        else:
            errors.setdefault("data", []).append("must be a Hash")
            data = None
    tokens = flatten(top)
    tokens.update(flatten(bracketed_data))
    if isinstance(data, dict):
        tokens.update(flatten(data))
    if len(tokens) > MAX_TOKENS:
        errors.setdefault("data", []).append(f"has more than {MAX_TOKENS} tokens")
    for name, value in tokens.items():
        if isinstance(value, str) and len(value) > MAX_TOKEN_LENGTH:
            errors.setdefault(name, []).append(f"is longer than {MAX_TOKEN_LENGTH} characters")
    return tokens
