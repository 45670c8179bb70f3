"""The actions a schedule runs, one Pydantic model per type, told apart by ``type``.

These models are the schema of ``actions: [...]`` in the schedules API, so every rule a user
can break is checked here and reported with its field path (a 422), and of the stored JSON the
planner and the worker read only what passed them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from leadflow.kit.conditions import as_number
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.outbound_urls import check_templated_url
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.schedules.templates import check_template
from leadflow.settings import Settings

MAX_ACTIONS = 200
MAX_WAIT_SECONDS = 366 * 24 * 3600

# Compiled and checked against the template limits (LEADFLOW_TEMPLATE_*, the source's length
# among them) when saved; docs/security/templates.md.
Template = Annotated[str, AfterValidator(check_template)]
RequiredTemplate = Annotated[str, Field(min_length=1), AfterValidator(check_template)]
Jump = Annotated[int, Field(ge=0)] | Literal["exit", "next"]
"""Where a choice goes: an action's index (0-based), ``exit`` (end the lead) or ``next``."""

Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "greater_than",
    "less_than",
    "exists",
    "not_exists",
    "in",
    "not_in",
]
ConditionValue = str | int | float | bool | list[str | int | float | bool] | None

LEAD_FACTS = frozenset(
    {
        "status",
        "caller_id",
        "email",
        "contact_attempts",
        "connected_calls",
        "lead_priority",
        "sub_id",
        "traffic_source_id",
    }
)
"""Lead state a condition can test as ``lead.<name>``; any other field names a token."""

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WaitAction(_Action):
    """Pause the lead; the parts add up (``hours: 1, minutes: 30`` is 5,400 seconds)."""

    type: Literal["wait"]
    seconds: int = Field(default=0, ge=0)
    minutes: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)

    @property
    def total_seconds(self) -> int:
        return self.seconds + 60 * self.minutes + 3600 * self.hours + 86400 * self.days

    @model_validator(mode="after")
    def _positive(self) -> WaitAction:
        if self.total_seconds <= 0:
            raise ValueError("a wait must last at least one second")
        if self.total_seconds > MAX_WAIT_SECONDS:
            raise ValueError("a wait can last at most 366 days")
        return self


class CallAction(_Action):
    """Dial the lead; once answered, connect it to a number or a buyer (or neither)."""

    type: Literal["call"]
    connect_to: str | None = Field(default=None, description="E.164 number to bridge to")
    buyer_id: int | None = Field(default=None, ge=1)
    max_ring_seconds: int = Field(default=30, ge=5, le=300)

    @field_validator("connect_to")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return to_e164(value)
        except InvalidPhoneNumberError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _one_destination(self) -> CallAction:
        if self.connect_to is not None and self.buyer_id is not None:
            raise ValueError("give connect_to or buyer_id, not both")
        return self


class SmsAction(_Action):
    type: Literal["sms"]
    body: RequiredTemplate


class EmailAction(_Action):
    type: Literal["email"]
    subject: RequiredTemplate
    body: RequiredTemplate
    from_address: EmailStr | None = None


class WebhookAction(_Action):
    """Send an HTTP request; the URL, body and header values are templates."""

    type: Literal["webhook"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: RequiredTemplate
    body: Template = ""
    headers: dict[str, Template] = Field(default_factory=dict)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.strip()

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if "\r" in text or "\n" in text:
                raise ValueError(f"header {name!r} must be on one line")
        return value


class Condition(BaseModel):
    """``field`` is a token name, or ``lead.<fact>`` for lead state (see ``LEAD_FACTS``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, max_length=200)
    operator: Operator
    value: ConditionValue = None

    @field_validator("field")
    @classmethod
    def _known_fact(cls, value: str) -> str:
        if value.startswith("lead.") and value[5:] not in LEAD_FACTS:
            raise ValueError(f"lead facts are {', '.join(sorted(LEAD_FACTS))}")
        return value

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Condition:
        if self.operator in ("exists", "not_exists"):
            if self.value is not None:
                raise ValueError(f"{self.operator} takes no value")
        elif self.operator in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"{self.operator} needs a non-empty list of values")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"{self.operator} needs a single value")
        elif self.operator in ("greater_than", "less_than") and not _is_number(self.value):
            raise ValueError(f"{self.operator} needs a number")
        return self


def _is_number(value: object) -> bool:
    """A number as :mod:`leadflow.kit.conditions` reads one (``1,000`` and ``$5`` too)."""
    return as_number(value) is not None


class ChoiceAction(_Action):
    """Test conditions (all or any must hold) and go to ``then`` or ``else``."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    type: Literal["choice"]
    conditions: list[Condition] = Field(min_length=1, max_length=50)
    match: Literal["all", "any"] = "all"
    then: Jump
    otherwise: Jump = Field(default="next", alias="else")


class AddToScheduleAction(_Action):
    """Move the lead to another schedule; its run here ends."""

    type: Literal["add_to_schedule"]
    schedule_id: int = Field(ge=1)


class RestartScheduleAction(_Action):
    type: Literal["restart_schedule"]


class ModifyLeadAction(_Action):
    """Set tokens on the lead; each value is a template over the lead's current tokens."""

    type: Literal["modify_lead"]
    set_tokens: dict[str, Template] = Field(min_length=1, max_length=100)


class OptOutAction(_Action):
    type: Literal["opt_out"]


class BlockAction(_Action):
    type: Literal["block"]


Action = Annotated[
    WaitAction
    | CallAction
    | SmsAction
    | EmailAction
    | WebhookAction
    | ChoiceAction
    | AddToScheduleAction
    | RestartScheduleAction
    | ModifyLeadAction
    | OptOutAction
    | BlockAction,
    Field(discriminator="type"),
]

OUTBOUND_TO_PHONE = (CallAction, SmsAction)
"""The actions that reach the lead's phone: suppressed contacts never get them, and they wait
for the lead's calling hours."""


def _check_flow(actions: list[Action]) -> list[Action]:
    """Jumps land inside the list and a restart cannot spin without a pause."""
    for index, action in enumerate(actions):
        if isinstance(action, ChoiceAction):
            for label, jump in (("then", action.then), ("else", action.otherwise)):
                if isinstance(jump, int) and jump >= len(actions):
                    raise ValueError(
                        f"action {index}: {label} goes to action {jump}, "
                        f"but the schedule has {len(actions)} actions (counted from 0)"
                    )
                if jump == index:
                    raise ValueError(f"action {index}: {label} cannot go to the choice itself")
        if isinstance(action, RestartScheduleAction) and not any(
            isinstance(earlier, WaitAction) for earlier in actions[:index]
        ):
            raise ValueError(
                f"action {index}: restart_schedule needs a wait before it, "
                "or the lead would loop without pause"
            )
    return actions


ActionList = Annotated[list[Action], Field(max_length=MAX_ACTIONS), AfterValidator(_check_flow)]
"""A schedule's ordered actions, checked as a whole."""

_NOT_AT_END = (WaitAction, ChoiceAction, RestartScheduleAction)


def _check_end_actions(actions: list[Action]) -> list[Action]:
    for index, action in enumerate(actions):
        if isinstance(action, _NOT_AT_END):
            raise ValueError(f"action {index}: {action.type} cannot run after a lead has ended")
    return actions


EndActionList = Annotated[list[Action], Field(max_length=20), AfterValidator(_check_end_actions)]
"""Actions run once when a lead ends for any reason (no waits, choices or restarts)."""

_ACTIONS = TypeAdapter(ActionList)


def parse_actions(stored: list[dict[str, Any]]) -> tuple[Action, ...]:
    """A schedule's stored ``actions`` JSON as models (raises pydantic's ``ValidationError``)."""
    return tuple(_ACTIONS.validate_python(stored))


def check_webhook_urls(settings: Settings, values: dict[str, Any]) -> None:
    """The outbound URL policy on every webhook action's URL about to be stored (its literal
    host, for a templated URL), so a forbidden target is refused at save, not only at send;
    a 422 naming each one as ``actions.<n>.webhook.url``."""
    errors: dict[str, list[str]] = {}
    for key in ("actions", "end_actions"):
        for index, action in enumerate(values.get(key) or []):
            if not isinstance(action, dict) or action.get("type") != "webhook":
                continue
            try:
                check_templated_url(
                    str(action.get("url", "")),
                    settings.allow_private_urls,
                    allow_loopback=settings.allow_loopback_urls,
                )
            except ValueError as exc:
                errors[f"{key}.{index}.webhook.url"] = [str(exc)]
    if errors:
        raise TrackDriveError.invalid(errors)
