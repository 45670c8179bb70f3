"""The campaign form: the campaigns API's document as form fields, and back.

The page never validates a campaign itself: it turns the form into the body the API takes
(``POST``/``PUT /api/v1/campaigns``) and hands it to the same service, whose 422 names each
problem by its field path (``caps.daily``, ``routingRules.0.conditions.1.value``). Form
fields are named by those paths, so each message lands next to the field it is about; the
parts edited as JSON (rules, keys, the payload tree ...) collect every message under them.

The form starts from the campaign as the API shows it (secrets masked), so no secret ever
reaches the page. A secret left blank is sent back as the mask, which the service replaces
by the stored value; typing a value replaces it. A part whose rows read as stored is sent
back as stored, so saving never rewrites what was not touched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from leadflow.campaigns.schemas import MASK
from leadflow.web import campaign_endpoint_rows, campaign_rows, campaign_rules
from leadflow.web.campaign_endpoint_rows import AUTH, RESPONSE
from leadflow.web.campaign_rows import DYNAMIC_KEYS, FIELD_QUALIFICATION, VALUE_SETS, RowPart
from leadflow.web.campaign_rules import DISQUALIFICATION_RULES, ROUTING_RULES
from leadflow.web.condition_rows import VALUE_HINT, ConditionDraft
from leadflow.web.form_errors import FieldErrors, merge

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OVERFLOW_ACTIONS = (
    ("queue", "Queue it until there is room"),
    ("next_priority", "Send it to the next fallback campaign"),
    ("campaign", "Send it to the campaign named below"),
)
METHODS = ("POST", "GET", "PUT", "PATCH")
BODY_FORMATS = ("json", "xml", "form", "multipart")
STATUSES = ("active", "inactive", "archived")
BLANK_HEADER_ROWS = 2
_PYDANTIC_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


@dataclass(frozen=True)
class JsonPart:
    """A part of the campaign edited as a JSON textarea, by its path in the document."""

    path: str
    label: str
    empty: str  # what the textarea holds when the part is not set
    hint: str


JSON_PARTS = (
    JsonPart(
        "endpoint.payload",
        "Payload tree",
        "[]",
        'Nodes {"clientKey", "sourceKey" or "value", "type", "required"}; "node": "object" or '
        '"array" nests. Preview it below against the sample lead.',
    ),
    JsonPart(
        "aiQualifier",
        "AI qualifier",
        "null",
        'Optional: {"enabled", "baseUrl", "model", "apiKey", "instructions"} of any '
        "OpenAI-compatible endpoint. A stored apiKey reads ******** and is kept while it does.",
    ),
    JsonPart("pixels", "Pixels", "[]", 'A list of {"url", "on", "method", "fireOnce"}.'),
    JsonPart(
        "firstSubmissionAction",
        "First-submission action",
        "null",
        '{"scheduleId": 12} enrols the phone of a lead qualified on its first submission.',
    ),
)
# The parts edited as rows of fields (see :mod:`leadflow.web.campaign_rows`).
ROW_PARTS = (
    ROUTING_RULES,
    DISQUALIFICATION_RULES,
    DYNAMIC_KEYS,
    FIELD_QUALIFICATION,
    VALUE_SETS,
    AUTH,
    RESPONSE,
)
# What the rows' template needs: the choices of each select and an empty row of each kind.
ROW_CHOICES: dict[str, Any] = {
    "condition_operators": campaign_rules.OPERATOR_CHOICES,
    "logic_choices": campaign_rules.LOGIC_CHOICES,
    "key_kinds": campaign_rows.KEY_KINDS,
    "auth_kinds": campaign_endpoint_rows.AUTH_KINDS,
    "response_formats": campaign_endpoint_rows.RESPONSE_FORMATS,
    "response_matches": campaign_endpoint_rows.RESPONSE_MATCHES,
    "blank_rule": campaign_rules.RuleDraft(),
    "blank_condition": ConditionDraft(),
    "blank_key": campaign_rows.KeyDraft(),
    "blank_qualification": campaign_rows.QualificationDraft(),
    "blank_value_set": campaign_rows.ValueSetDraft(),
    "blank_secret": campaign_endpoint_rows.SecretRow(),
    "value_hint": VALUE_HINT,
}
_UNDEFINED_SET = re.compile(r"valueSet '(.+)' is not defined in valueSets")

# The form fields that hold a value of their own; an API error whose path starts with one of
# these is shown next to it (the longest match wins), any other at the top of the form.
PLAIN_FIELDS = (
    "name",
    "code",
    "status",
    "timeZone",
    "duplicateWindowDays",
    "autoRouting",
    "requiredFields",
    "fallbackCampaignIds",
    "caps.daily",
    "caps.lifetime",
    "caps.onCap",
    "caps.onCap.action",
    "caps.onCap.targetCampaignId",
    "hours",
    "hours.offHours",
    "hours.offHours.action",
    "hours.offHours.targetCampaignId",
    "endpoint",
    "endpoint.url",
    "endpoint.method",
    "endpoint.bodyFormat",
    "endpoint.xmlRoot",
    "endpoint.headers",
    "endpoint.timeoutSeconds",
    "endpoint.maxRetries",
    *(f"hours.days.{day}" for day in WEEKDAYS),
)
FIELD_NAMES = (*PLAIN_FIELDS, *(part.path for part in (*JSON_PARTS, *ROW_PARTS)))


def locate(path: str) -> str:
    """The form field an API error path belongs to: ``routingRules.0.name`` →
    ``routingRules``; ``endpoint.headers.X-Key`` → ``endpoint.headers``; else ``base``."""
    best = ""
    for name in FIELD_NAMES:
        if (path == name or path.startswith(name + ".")) and len(name) > len(best):
            best = name
    return best or "base"


def _row_field(path: str, message: str, values: dict[str, Any]) -> str | None:
    """The row field an error belongs to, for the parts edited as rows; ``""`` when it is
    not about a row part; None for an error to leave out (about a shape no row has)."""
    undefined = _UNDEFINED_SET.search(message)
    if undefined:
        for i, draft in enumerate(values.get("fieldQualification") or []):
            if draft.value_set == undefined.group(1):
                return f"fieldQualification.{i}.valueSet"
    if path.startswith("endpoint.headers."):
        names = [row["name"] for row in values.get("headers") or []]
        if path.removeprefix("endpoint.headers.") in names:
            return f"header.{names.index(path.removeprefix('endpoint.headers.'))}.value"
    for part in ROW_PARTS:
        if path == part.path or path.startswith(part.path + "."):
            rest = path[len(part.path) + 1 :].split(".") if path != part.path else []
            return part.locate(values.get(part.path), rest)
    return ""


def errors_of(details: list[dict[str, Any]], values: dict[str, Any] | None = None) -> FieldErrors:
    """The API's 422 details under the form fields they name: a row part's under its row."""
    errors: FieldErrors = {}
    for detail in details:
        path = str(detail.get("field", ""))
        message = _PYDANTIC_PREFIX.sub("", str(detail.get("message", "is invalid")))
        row_field = _row_field(path, message, values or {})
        if row_field is None:
            continue
        if row_field:
            errors.setdefault(row_field, []).append(message)
            continue
        name = locate(path)
        rest = path[len(name) + 1 :] if name != "base" and path != name else ""
        if name == "base" and path not in ("", "body"):
            rest = path
        errors.setdefault(name, []).append(f"{rest}: {message}" if rest else message)
    return errors


def _at(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def form_values(body: dict[str, Any]) -> dict[str, Any]:
    """The campaign as the API shows it (secrets masked) as the form's values."""
    endpoint = body.get("endpoint") or {}
    caps = body.get("caps") or {}
    hours = body.get("hours")
    values: dict[str, Any] = {
        "name": _text(body.get("name")),
        "code": _text(body.get("code")),
        "status": body.get("status") or "active",
        "timeZone": body.get("timeZone") or "America/New_York",
        "duplicateWindowDays": _text(body.get("duplicateWindowDays", 30)),
        "autoRouting": bool(body.get("autoRouting", True)),
        "requiredFields": "\n".join(body.get("requiredFields") or []),
        "fallbackCampaignIds": "\n".join(body.get("fallbackCampaignIds") or []),
        "caps.daily": _text(caps.get("daily")),
        "caps.lifetime": _text(caps.get("lifetime")),
        "caps.onCap.action": (caps.get("onCap") or {}).get("action") or "queue",
        "caps.onCap.targetCampaignId": _text((caps.get("onCap") or {}).get("targetCampaignId")),
        "hours.enabled": hours is not None,
        "hours.offHours.action": ((hours or {}).get("offHours") or {}).get("action") or "queue",
        "hours.offHours.targetCampaignId": _text(
            ((hours or {}).get("offHours") or {}).get("targetCampaignId")
        ),
        "endpoint.url": _text(endpoint.get("url")),
        "endpoint.method": endpoint.get("method") or "POST",
        "endpoint.bodyFormat": endpoint.get("bodyFormat") or "json",
        "endpoint.xmlRoot": endpoint.get("xmlRoot") or "lead",
        "endpoint.timeoutSeconds": _text(endpoint.get("timeoutSeconds", 10.0)),
        "endpoint.maxRetries": _text(endpoint.get("maxRetries", 2)),
        "headers": [
            {"name": name, "value": "" if value == MASK else value, "secret": value == MASK}
            for name, value in (endpoint.get("headers") or {}).items()
        ],
    }
    for day in WEEKDAYS:
        open_hours = ((hours or {}).get("days") or {}).get(day) or {}
        values[f"hours.days.{day}.open"] = _text(open_hours.get("open"))
        values[f"hours.days.{day}.close"] = _text(open_hours.get("close"))
    for part in JSON_PARTS:
        found = _at(body, part.path)
        values[part.path] = part.empty if found is None else json.dumps(found, indent=2)
    for row_part in ROW_PARTS:
        values[row_part.path] = row_part.shown(_at(body, row_part.path))
    return values


def _posted(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number_or_none(text: str) -> str | None:
    """Blank is "not set"; anything else goes to the API as typed, for its own message."""
    return text or None


def posted_values(form: FormData) -> dict[str, Any]:
    """The form as posted, to show again when the API refuses it."""
    values: dict[str, Any] = {name: _posted(form, name) for name in FIELD_NAMES}
    for day in WEEKDAYS:
        for edge in ("open", "close"):
            values[f"hours.days.{day}.{edge}"] = _posted(form, f"hours.days.{day}.{edge}")
    values["autoRouting"] = form.get("autoRouting") == "on"
    values["hours.enabled"] = form.get("hours.enabled") == "on"
    for part in JSON_PARTS:
        raw = form.get(part.path)
        values[part.path] = raw if isinstance(raw, str) else part.empty
    for row_part in ROW_PARTS:
        values[row_part.path] = row_part.posted(form)
    count = _posted(form, "header_count")
    rows = []
    for index in range(min(int(count) if count.isdigit() else 0, 100)):
        rows.append(
            {
                "name": _posted(form, f"header.{index}.name"),
                "value": _posted(form, f"header.{index}.value"),
                "secret": form.get(f"header.{index}.secret") == "1",
            }
        )
    values["headers"] = [row for row in rows if row["name"] or row["value"]]
    return values


def _row_value(
    part: RowPart, values: dict[str, Any], stored: dict[str, Any] | None
) -> tuple[Any, FieldErrors]:
    """The part's rows as the API's JSON; an untouched part (its rows read the same as the
    stored campaign's) is sent back exactly as stored, so saving the page never rewrites it
    (no number turned into text, no key the rows do not show dropped)."""
    value, errors = part.body(values[part.path])
    kept = _at(stored, part.path) if stored is not None else None
    if kept is not None and not errors and value == part.body(part.shown(kept))[0]:
        return kept, {}
    return value, errors


def campaign_body(
    values: dict[str, Any], stored: dict[str, Any] | None = None
) -> tuple[dict[str, Any], FieldErrors]:
    """The API body for the posted values, or what stops it from being one (JSON that does
    not parse, a row that is not a pair). ``stored`` is the campaign as the API shows it."""
    errors: FieldErrors = {}
    parsed: dict[str, Any] = {}
    for part in JSON_PARTS:
        text = str(values.get(part.path) or "").strip() or part.empty
        try:
            parsed[part.path] = json.loads(text)
        except json.JSONDecodeError as exc:
            errors[part.path] = [f"is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
    for row_part in ROW_PARTS:
        parsed[row_part.path], row_errors = _row_value(row_part, values, stored)
        errors = merge(errors, row_errors)
    body: dict[str, Any] = {
        "name": values["name"],
        "code": values["code"],
        "status": values["status"] or "active",
        "timeZone": values["timeZone"],
        "autoRouting": bool(values["autoRouting"]),
        "requiredFields": _lines(values["requiredFields"]),
        "fallbackCampaignIds": _lines(values["fallbackCampaignIds"]),
        "caps": {
            "daily": _number_or_none(values["caps.daily"]),
            "lifetime": _number_or_none(values["caps.lifetime"]),
            "onCap": _overflow(values, "caps.onCap"),
        },
        "hours": _hours(values) if values["hours.enabled"] else None,
    }
    if values["duplicateWindowDays"]:
        body["duplicateWindowDays"] = values["duplicateWindowDays"]
    for path in ("routingRules", "disqualificationRules", "dynamicKeys", "fieldQualification"):
        body[path] = parsed[path]
    body["valueSets"] = parsed["valueSets"]
    for path in ("aiQualifier", "pixels", "firstSubmissionAction"):
        if path in parsed:
            body[path] = parsed[path]
    body["endpoint"] = _endpoint(values, parsed)
    return body, errors


def _overflow(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    target = values.get(f"{prefix}.targetCampaignId") or None
    return {"action": values.get(f"{prefix}.action") or "queue", "targetCampaignId": target}


def _hours(values: dict[str, Any]) -> dict[str, Any]:
    days = {}
    for day in WEEKDAYS:
        opens, closes = values[f"hours.days.{day}.open"], values[f"hours.days.{day}.close"]
        if opens or closes:
            days[day] = {"open": opens, "close": closes}
    return {"days": days, "offHours": _overflow(values, "hours.offHours")}


def _endpoint(values: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any] | None:
    """No URL: no endpoint (the campaign qualifies and stops)."""
    if not values["endpoint.url"]:
        return None
    headers = {
        row["name"]: (MASK if row["secret"] and not row["value"] else row["value"])
        for row in values["headers"]
        if row["name"]
    }
    endpoint: dict[str, Any] = {
        "url": values["endpoint.url"],
        "method": values["endpoint.method"] or "POST",
        "bodyFormat": values["endpoint.bodyFormat"] or "json",
        "xmlRoot": values["endpoint.xmlRoot"] or "lead",
        "headers": headers,
        "payload": parsed.get("endpoint.payload", []),
        "response": parsed.get("endpoint.response", {}),
        "auth": parsed.get("endpoint.auth"),
    }
    for name in ("timeoutSeconds", "maxRetries"):
        if values[f"endpoint.{name}"]:
            endpoint[name] = values[f"endpoint.{name}"]
    return endpoint
