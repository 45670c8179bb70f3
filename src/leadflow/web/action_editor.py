"""The schedule page's actions editor: the form fields of each action type, turning posted
fields into the ``actions`` JSON the schedules API validates, and its errors back into fields.

Every action is posted as ``a<i>.type`` and ``a<i>.<field>``, every end action (run once when
a lead ends) as ``e<i>.type`` and ``e<i>.<field>``; structured values (headers, conditions,
tokens to set) are JSON text. The editor does not validate: the API's own ``ActionList`` and
``EndActionList`` do, so the rules are written once. Actions are numbered from 1 on the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadflow.web.form_errors import FieldErrors


@dataclass(frozen=True)
class ActionField:
    name: str
    label: str
    kind: str  # int, text, textarea, json, jump, select
    choices: tuple[str, ...] = ()
    hint: str = ""
    # The schema's default, shown in the field so that people see what an empty field means.
    default: str = ""


ACTION_TYPES: dict[str, tuple[str, tuple[ActionField, ...]]] = {
    "wait": (
        "Wait",
        (
            ActionField("days", "Days", "int"),
            ActionField("hours", "Hours", "int"),
            ActionField("minutes", "Minutes", "int"),
            ActionField("seconds", "Seconds", "int"),
        ),
    ),
    "call": (
        "Call the lead",
        (
            ActionField("connect_to", "Connect to (phone number)", "text"),
            ActionField("buyer_id", "Buyer id", "int"),
            ActionField("max_ring_seconds", "Ring for at most (seconds)", "int", default="30"),
        ),
    ),
    "sms": ("Send a text message", (ActionField("body", "Message", "textarea"),)),
    "email": (
        "Send an e-mail",
        (
            ActionField("subject", "Subject", "text"),
            ActionField("body", "Body", "textarea"),
            ActionField("from_address", "From address", "text"),
        ),
    ),
    "webhook": (
        "Send a webhook",
        (
            ActionField("method", "Method", "select", ("POST", "GET", "PUT", "PATCH", "DELETE")),
            ActionField("url", "URL", "text"),
            ActionField("body", "Body", "textarea"),
            ActionField("headers", "Headers", "json", hint='JSON object: {"X-Key": "value"}'),
        ),
    ),
    "choice": (
        "Choice",
        (
            ActionField(
                "conditions",
                "Conditions",
                "json",
                hint='JSON list: [{"field": "state", "operator": "equals", "value": "CA"}]',
            ),
            ActionField("match", "Match", "select", ("all", "any")),
            ActionField("then", "Then go to", "jump", hint="an action number, exit or next"),
            ActionField("else", "Otherwise go to", "jump", hint="an action number, exit or next"),
        ),
    ),
    "add_to_schedule": ("Add to schedule", (ActionField("schedule_id", "Schedule id", "int"),)),
    "restart_schedule": ("Restart the schedule", ()),
    "modify_lead": (
        "Modify the lead",
        (
            ActionField(
                "set_tokens", "Tokens to set", "json", hint='JSON object: {"stage": "called"}'
            ),
        ),
    ),
    "opt_out": ("Opt the lead out", ()),
    "block": ("Block the lead", ()),
}


# The schema (``EndActionList``) refuses a wait, a choice or a restart after a lead has ended;
# the page does not offer them.
END_ACTION_TYPES = {
    kind: spec
    for kind, spec in ACTION_TYPES.items()
    if kind not in ("wait", "choice", "restart_schedule")
}
ACTIONS_PREFIX = "a"
END_ACTIONS_PREFIX = "e"
_PREFIX_OF = {"actions": ACTIONS_PREFIX, "end_actions": END_ACTIONS_PREFIX}


@dataclass
class ActionDraft:
    """One action as the form shows it: its type and the text of each field."""

    type: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return ACTION_TYPES.get(self.type, (self.type, ()))[0]

    @property
    def fields(self) -> tuple[ActionField, ...]:
        return ACTION_TYPES.get(self.type, ("", ()))[1]


def _text_of(spec: ActionField, value: Any) -> str:
    if value is None:
        return spec.default
    if spec.kind == "json":
        return json.dumps(value, indent=1)
    if spec.kind == "jump" and isinstance(value, int):
        return str(value + 1)
    return str(value)


def drafts_of(stored: list[dict[str, Any]]) -> list[ActionDraft]:
    """A schedule's stored actions as the editor shows them."""
    drafts = []
    for action in stored:
        kind = str(action.get("type", ""))
        spec = ACTION_TYPES.get(kind, ("", ()))[1]
        drafts.append(ActionDraft(kind, {f.name: _text_of(f, action.get(f.name)) for f in spec}))
    return drafts


def posted_drafts(
    form: Mapping[str, Any], prefix: str = ACTIONS_PREFIX, count_name: str = "action_count"
) -> list[ActionDraft]:
    """The actions (``prefix`` ``a``) or end actions (``e``) as posted, in page order."""
    count_text = str(form.get(count_name) or "")
    count = int(count_text) if count_text.isdigit() else 0
    drafts = []
    for index in range(min(count, 200)):
        kind = str(form.get(f"{prefix}{index}.type") or "")
        spec = ACTION_TYPES.get(kind, ("", ()))[1]
        drafts.append(
            ActionDraft(
                kind, {f.name: str(form.get(f"{prefix}{index}.{f.name}") or "") for f in spec}
            )
        )
    return drafts


def _comparable(drafts: list[ActionDraft]) -> list[tuple[str, dict[str, str]]]:
    # A browser posts a textarea's line breaks as CRLF.
    return [
        (d.type, {k: v.replace("\r\n", "\n").strip() for k, v in d.values.items()}) for d in drafts
    ]


def unchanged(posted: list[ActionDraft], stored: list[dict[str, Any]]) -> bool:
    """Whether the posted drafts are the stored actions as the page showed them, so that a save
    that did not touch them leaves the stored JSON exactly as it was."""
    return _comparable(posted) == _comparable(drafts_of(stored))


def _value(spec: ActionField, text: str) -> Any:
    """The JSON value of one field's text; raises ValueError for JSON that does not parse."""
    text = text.strip()
    if spec.kind == "int":
        return int(text) if re.fullmatch(r"-?\d{1,18}", text) else text
    if spec.kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg})") from None
    if spec.kind == "jump":
        return int(text) - 1 if text.isdigit() and int(text) > 0 else text
    return text


def actions_json(
    drafts: list[ActionDraft], prefix: str = ACTIONS_PREFIX
) -> tuple[list[dict[str, Any]], FieldErrors]:
    """The ``actions`` (or end actions) list for the schema; fields left blank take the
    schema's defaults."""
    actions: list[dict[str, Any]] = []
    errors: FieldErrors = {}
    for index, draft in enumerate(drafts):
        action: dict[str, Any] = {"type": draft.type}
        for spec in draft.fields:
            text = draft.values.get(spec.name, "")
            if not text.strip():
                continue
            try:
                action[spec.name] = _value(spec, text)
            except ValueError as exc:
                errors.setdefault(f"{prefix}{index}.{spec.name}", []).append(str(exc))
        actions.append(action)
    return actions, errors


def _one_based(message: str) -> str:
    """The schema counts actions from 0; the page counts them from 1."""
    message = message.replace(" (counted from 0)", "")
    return re.sub(r"action (\d+)", lambda m: f"action {int(m.group(1)) + 1}", message)


def locate(loc: tuple[Any, ...]) -> tuple[str, str]:
    """Where a schedule error belongs: ``("actions", 2, "wait", "seconds")`` → ``a2.seconds``,
    ``("end_actions", 0, "sms", "body")`` → ``e0.body``; an error deeper inside a field names
    its path in the message."""
    if loc and loc[0] in _PREFIX_OF:
        if len(loc) >= 2 and isinstance(loc[1], int):
            prefix = f"{_PREFIX_OF[loc[0]]}{loc[1]}"
            if len(loc) >= 4:
                detail = " ".join(str(p + 1 if isinstance(p, int) else p) for p in loc[4:])
                return f"{prefix}.{loc[3]}", detail
            return prefix, ""
        return str(loc[0]), ""
    return ".".join(str(part) for part in loc) or "base", ""


def url_policy_errors(errors: FieldErrors) -> FieldErrors:
    """The outbound URL policy's ``actions.<n>.webhook.url`` (a 422 of the API) as the page's
    ``a<n>.url``, next to the URL field."""
    placed: FieldErrors = {}
    for name, messages in errors.items():
        match = re.fullmatch(r"(end_actions|actions)\.(\d+)\.webhook\.url", name)
        key = f"{_PREFIX_OF[match.group(1)]}{match.group(2)}.url" if match else name
        placed.setdefault(key, []).extend(messages)
    return placed


def one_based(errors: FieldErrors) -> FieldErrors:
    return {name: [_one_based(m) for m in messages] for name, messages in errors.items()}


def apply_operation(
    drafts: list[ActionDraft],
    operation: str,
    new_type: str,
    offered: Mapping[str, tuple[str, tuple[ActionField, ...]]] = ACTION_TYPES,
) -> bool:
    """Add (one of the ``offered`` types), move or delete an action in place; False when
    ``operation`` is none of those."""
    if operation == "add":
        if new_type in offered:
            fields = offered[new_type][1]
            drafts.append(ActionDraft(new_type, {f.name: f.default for f in fields}))
        return True
    verb, _, position = operation.partition(":")
    if verb not in ("up", "down", "delete") or not position.isdigit():
        return False
    index = int(position)
    if not 0 <= index < len(drafts):
        return True
    if verb == "delete":
        del drafts[index]
    elif verb == "up" and index > 0:
        drafts[index - 1], drafts[index] = drafts[index], drafts[index - 1]
    elif verb == "down" and index < len(drafts) - 1:
        drafts[index + 1], drafts[index] = drafts[index], drafts[index + 1]
    return True
