"""A campaign's configuration document: everything the pipeline reads, validated as a whole.

Stored in ``campaigns.config`` as the camelCase JSON the API speaks. Each piece is the model of
the pipeline step that uses it (rules, dynamic keys, field qualification, payload tree,
response mapping), so the document cannot hold a setting no step understands. Campaigns are
referred to by their ``id`` (the uuid) or their ``code`` wherever one names another.

Secrets (auth headers, client secrets, AI keys) are stored as given, because the worker must
send them; the campaigns API masks them when it shows a campaign.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import available_timezones

from pydantic import Field, HttpUrl, field_validator, model_validator

from leadflow.dnc.policy import CampaignDnc
from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.conditions import DisqualificationRule, RoutingRule
from leadflow.submissions.dynamic_keys import DynamicKey
from leadflow.submissions.payload import BodyFormat, PayloadNode
from leadflow.submissions.pipeline.auction_config import PingPost
from leadflow.submissions.qualification import FieldQualification
from leadflow.submissions.response_parsing import ResponseMapping

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
OverflowAction = Literal["queue", "next_priority", "campaign"]
"""What happens to a lead a cap or the hours turn away: wait in the queue until the cap resets
or the hours open, go to the next fallback campaign, or go to one named campaign."""

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class StaticAuth(CampaignConfigModel):
    kind: Literal["static"] = "static"
    # Sent as given, e.g. {"Authorization": "Bearer abc"}.
    headers: dict[str, str] = Field(default_factory=dict)


class OAuthClientCredentials(CampaignConfigModel):
    kind: Literal["oauth2_client_credentials"]
    token_url: HttpUrl
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    scope: str | None = None


class DeliveryEndpoint(CampaignConfigModel):
    url: HttpUrl
    method: Literal["POST", "GET", "PUT", "PATCH"] = "POST"
    body_format: BodyFormat = "json"
    xml_root: str = "lead"
    headers: dict[str, str] = Field(default_factory=dict)
    auth: StaticAuth | OAuthClientCredentials | None = Field(default=None, discriminator="kind")
    payload: list[PayloadNode] = Field(default_factory=list)
    response: ResponseMapping = Field(default_factory=ResponseMapping)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Retries after a timeout, a connection error or a 5xx; a buyer's answer is never retried.
    max_retries: int = Field(default=2, ge=0, le=10)


class Overflow(CampaignConfigModel):
    action: OverflowAction = "queue"
    target_campaign_id: str | None = None

    @model_validator(mode="after")
    def _target_only_for_campaign(self) -> Overflow:
        if (self.action == "campaign") != (self.target_campaign_id is not None):
            raise ValueError("targetCampaignId is required with action 'campaign', and only then")
        return self


class Caps(CampaignConfigModel):
    """Checked lifetime first, then daily; the day starts at midnight in the campaign's zone."""

    daily: int | None = Field(default=None, ge=0)
    lifetime: int | None = Field(default=None, ge=0)
    on_cap: Overflow = Field(default_factory=Overflow)


class OpenHours(CampaignConfigModel):
    open: str
    close: str

    @field_validator("open", "close")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be HH:MM, 24-hour")
        return value

    @model_validator(mode="after")
    def _opens_before_close(self) -> OpenHours:
        if self.open >= self.close:
            raise ValueError("open must be before close")
        return self


class Hours(CampaignConfigModel):
    """Per weekday in the campaign's zone; a weekday not listed is closed all day."""

    days: dict[Weekday, OpenHours] = Field(default_factory=dict)
    off_hours: Overflow = Field(default_factory=Overflow)


class AiQualifier(CampaignConfigModel):
    """Any OpenAI-compatible chat completions endpoint; the pipeline works fully without it."""

    enabled: bool = False
    base_url: HttpUrl
    model: str = Field(min_length=1)
    api_key: str | None = None
    instructions: str = Field(default="", max_length=20_000)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)


class Pixel(CampaignConfigModel):
    """A server-side conversion call made when a lead qualifies or is delivered."""

    url: HttpUrl
    on: Literal["qualified", "delivered"] = "delivered"
    method: Literal["GET", "POST"] = "GET"
    fire_once: bool = True


class FirstSubmissionAction(CampaignConfigModel):
    """Enrol a qualified lead's phone in a schedule: the two halves of the product joined."""

    schedule_id: int


class CampaignConfig(CampaignConfigModel):
    auto_routing: bool = True
    routing_rules: list[RoutingRule] = Field(default_factory=list)
    disqualification_rules: list[DisqualificationRule] = Field(default_factory=list)
    dynamic_keys: list[DynamicKey] = Field(default_factory=list)
    required_fields: list[str] = Field(default_factory=list)
    field_qualification: list[FieldQualification] = Field(default_factory=list)
    value_sets: dict[str, list[str]] = Field(default_factory=dict)
    ai_qualifier: AiQualifier | None = None
    # None: the pipeline qualifies and stops (status ``qualified``), nothing is delivered.
    endpoint: DeliveryEndpoint | None = None
    caps: Caps = Field(default_factory=Caps)
    hours: Hours | None = None
    # Ordered, one level deep: a fallback's own fallbacks are not followed.
    fallback_campaign_ids: list[str] = Field(default_factory=list, max_length=20)
    pixels: list[Pixel] = Field(default_factory=list)
    first_submission_action: FirstSubmissionAction | None = None
    # ``ping_post``: the lead is auctioned to ``pingPost.buyers`` instead of sent to ``endpoint``.
    distribution: Literal["direct", "ping_post"] = "direct"
    ping_post: PingPost | None = None
    # Do-not-call disqualification in the qualification step (docs/dnc.md); off when None.
    dnc: CampaignDnc | None = None

    @model_validator(mode="after")
    def _value_sets_exist(self) -> CampaignConfig:
        for rule in self.field_qualification:
            if rule.value_set is not None and rule.value_set not in self.value_sets:
                raise ValueError(f"valueSet {rule.value_set!r} is not defined in valueSets")
        return self

    @model_validator(mode="after")
    def _ping_post_has_buyers(self) -> CampaignConfig:
        if (self.distribution == "ping_post") != (self.ping_post is not None):
            raise ValueError("pingPost is required with distribution 'ping_post', and only then")
        return self


def is_time_zone(name: str) -> bool:
    return name in available_timezones()
