"""The schedule page's actions editor: the form fields of each action type, turning posted
fields into the ``actions`` JSON the schedules API validates, and its errors back into fields.

Every action is posted as ``a<i>.type`` and ``a<i>.<field>``, every end action (run once when
a lead ends) as ``e<i>.type`` and ``e<i>.<field>``. Headers and tokens to set are rows of name
and value (``a<i>.headers.<j>.name``/``.value``, ``a<i>.headers_count`` of them), a choice's
conditions rows of field, operator and value as the router's distributions have them
(:mod:`leadflow.web.condition_rows`); a few empty rows follow the filled ones and are ignored.
The editor does not validate: the API's own ``ActionList`` and ``EndActionList`` do, so the
rules are written once. Actions are numbered from 1 on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, get_args

from leadflow.schedules.actions import LEAD_FACTS, Operator
from leadflow.web import condition_rows
from leadflow.web.condition_rows import ConditionDraft
from leadflow.web.form_errors import FieldErrors, Locator, merge

EXTRA_ROWS = 2
"""Empty name/value or condition rows shown after the filled ones."""
MAX_PAIR_ROWS = 120
CONDITION_OPERATORS = condition_rows.operator_choices(get_args(Operator))
CONDITION_HINT = (
    "A field is a token name such as state, or lead. and one of "
    + ", ".join(sorted(LEAD_FACTS))
    + " for the lead's own state (lead.contact_attempts). "
    + condition_rows.VALUE_HINT
    + " Empty rows are ignored."
)


@dataclass(frozen=True)
class ActionField:
    name: str
    label: str
    kind: str  # int, text, textarea, jump, select, pairs, conditions
    choices: tuple[str, ...] = ()
    hint: str = ""
    default: str = ""  # the schema's default, shown so that people see what empty means
    row_label: str = ""  # what one row of a ``pairs`` field is called (Header, Token)


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
            ActionField(
                "headers",
                "Headers",
                "pairs",
                hint="A value is a template, such as Bearer [api_key]. Empty rows are ignored.",
                row_label="Header",
            ),
        ),
    ),
    "choice": (
        "Choice",
        (
            ActionField("conditions", "Conditions", "conditions", hint=CONDITION_HINT),
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
                "set_tokens",
                "Tokens to set",
                "pairs",
                hint="A value is a template over the lead's tokens, such as [stage]-called. "
                "Empty rows are ignored.",
                row_label="Token",
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
class Pair:
    """One name/value row of headers or tokens to set."""

    name: str = ""
    value: str = ""

    @property
    def blank(self) -> bool:
        return not self.name.strip() and not self.value.strip()


@dataclass
class ActionDraft:
    """One action as the form shows it: its type, the text of each field, the rows of its
    name/value fields and its condition rows."""

    type: str
    values: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[Pair]] = field(default_factory=dict)
    conditions: list[ConditionDraft] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ACTION_TYPES.get(self.type, (self.type, ()))[0]

    @property
    def fields(self) -> tuple[ActionField, ...]:
        return ACTION_TYPES.get(self.type, ("", ()))[1]


class _Row(Protocol):
    @property
    def blank(self) -> bool: ...


RowT = TypeVar("RowT", bound=_Row)


def _padded(rows: list[RowT], blank: Callable[[], RowT], limit: int) -> list[RowT]:
    """``rows`` followed by empty ones, so that there are always a few to fill in."""
    trailing = 0
    for row in reversed(rows):
        if not row.blank:
            break
        trailing += 1
    missing = max(0, min(EXTRA_ROWS - trailing, limit - len(rows)))
    return rows + [blank() for _ in range(missing)]


def _text_of(spec: ActionField, value: Any) -> str:
    if value is None:
        return spec.default
    if spec.kind == "jump" and isinstance(value, int):
        return str(value + 1)
    return str(value)


def _draft(kind: str, action: Mapping[str, Any]) -> ActionDraft:
    draft = ActionDraft(kind)
    for spec in draft.fields:
        value = action.get(spec.name)
        if spec.kind == "pairs":
            stored_pairs = value.items() if isinstance(value, dict) else ()
            pairs = [Pair(str(k), str(v)) for k, v in stored_pairs]
            draft.rows[spec.name] = _padded(pairs, Pair, MAX_PAIR_ROWS)
        elif spec.kind == "conditions":
            stored = [c for c in value if isinstance(c, dict)] if isinstance(value, list) else []
            draft.conditions = _padded(
                condition_rows.drafts_of(stored),
                ConditionDraft,
                condition_rows.MAX_CONDITION_ROWS,
            )
        else:
            draft.values[spec.name] = _text_of(spec, value)
    return draft


def drafts_of(stored: list[dict[str, Any]]) -> list[ActionDraft]:
    """A schedule's stored actions as the editor shows them."""
    return [_draft(str(action.get("type", "")), action) for action in stored]


def posted_drafts(
    form: Mapping[str, Any], prefix: str = ACTIONS_PREFIX, count_name: str = "action_count"
) -> list[ActionDraft]:
    """The actions (``prefix`` ``a``) or end actions (``e``) as posted, in page order."""
    count_text = str(form.get(count_name) or "")
    count = int(count_text) if count_text.isdigit() else 0
    drafts = []
    for index in range(min(count, 200)):
        owner = f"{prefix}{index}"
        draft = ActionDraft(str(form.get(f"{owner}.type") or ""))
        for spec in draft.fields:
            name = f"{owner}.{spec.name}"
            if spec.kind == "pairs":
                rows_text = str(form.get(f"{name}_count") or "")
                rows = min(int(rows_text), MAX_PAIR_ROWS) if rows_text.isdigit() else 0
                pairs = [
                    Pair(
                        str(form.get(f"{name}.{j}.name") or ""),
                        str(form.get(f"{name}.{j}.value") or ""),
                    )
                    for j in range(rows)
                ]
                draft.rows[spec.name] = _padded(pairs, Pair, MAX_PAIR_ROWS)
            elif spec.kind == "conditions":
                draft.conditions = _padded(
                    condition_rows.posted(form, owner),
                    ConditionDraft,
                    condition_rows.MAX_CONDITION_ROWS,
                )
            else:
                draft.values[spec.name] = str(form.get(name) or "")
        drafts.append(draft)
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
    """The JSON value of one field's text."""
    text = text.strip()
    if spec.kind == "int":
        return int(text) if re.fullmatch(r"-?\d{1,18}", text) else text
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
        owner = f"{prefix}{index}"
        action: dict[str, Any] = {"type": draft.type}
        for spec in draft.fields:
            if spec.kind == "pairs":
                mapping, problems = _mapping(owner, spec, draft.rows.get(spec.name, []))
                errors = merge(errors, problems)
                if mapping:
                    action[spec.name] = mapping
                continue
            if spec.kind == "conditions":
                action[spec.name] = condition_rows.bodies(draft.conditions)
                continue
            text = draft.values.get(spec.name, "")
            if text.strip():
                action[spec.name] = _value(spec, text)
        actions.append(action)
    return actions, errors


def _mapping(owner: str, spec: ActionField, rows: list[Pair]) -> tuple[dict[str, str], FieldErrors]:
    """The name/value rows as a mapping; a value without a name, or a name given twice, is an
    error next to that row's name (the schema could not tell which row it came from)."""
    mapping: dict[str, str] = {}
    errors: FieldErrors = {}
    noun = spec.row_label.lower()
    for j, row in enumerate(rows):
        name = row.name.strip()
        where = f"{owner}.{spec.name}.{j}.name"
        if row.blank:
            continue
        if not name:
            errors[where] = [f"Give this {noun} a name, or clear its value."]
        elif name in mapping:
            errors[where] = [f"This {noun} is named twice."]
        else:
            mapping[name] = row.value
    return mapping, errors


def _one_based(message: str) -> str:
    """The schema counts actions from 0; the page counts them from 1."""
    message = message.replace(" (counted from 0)", "")
    return re.sub(r"action (\d+)", lambda m: f"action {int(m.group(1)) + 1}", message)


def locator(drafts: list[ActionDraft], end_drafts: list[ActionDraft]) -> Locator:
    """Where a schedule error belongs: ``("actions", 2, "wait", "seconds")`` → ``a2.seconds``,
    ``("end_actions", 0, "sms", "body")`` → ``e0.body``; a condition's error goes to its row
    (``a2.c0.value``), a header's or token's to the row that names it
    (``a1.headers.0.value``); any other error deeper inside a field names its path in the
    message."""
    lists = {"actions": drafts, "end_actions": end_drafts}

    def locate(loc: tuple[Any, ...]) -> tuple[str, str]:
        if not loc or loc[0] not in _PREFIX_OF:
            return ".".join(str(part) for part in loc) or "base", ""
        if len(loc) < 2 or not isinstance(loc[1], int):
            return str(loc[0]), ""
        owner = f"{_PREFIX_OF[loc[0]]}{loc[1]}"
        if len(loc) < 4:
            return owner, ""
        own = lists[loc[0]]
        draft = own[loc[1]] if loc[1] < len(own) else ActionDraft("")
        name, rest = str(loc[3]), loc[4:]
        if name == "conditions" and rest:
            return condition_rows.locate(owner, draft.conditions, rest), ""
        if name in draft.rows and rest:
            for j, row in enumerate(draft.rows[name]):
                if row.name.strip() == rest[0]:
                    part = "name" if "[key]" in rest[1:] else "value"
                    return f"{owner}.{name}.{j}.{part}", ""
        detail = " ".join(str(p + 1 if isinstance(p, int) else p) for p in rest)
        return f"{owner}.{name}", detail

    return locate


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
    """Add (one of the ``offered`` types), move or delete an action in place, or (``rows``)
    show the page again with more empty rows; False when ``operation`` is none of those."""
    if operation == "rows":
        return True
    if operation == "add":
        if new_type in offered:
            drafts.append(_draft(new_type, {}))
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
