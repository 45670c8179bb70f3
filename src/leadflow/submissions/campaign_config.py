"""The base of every piece of campaign configuration (rules, keys, payload tree, mappings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CampaignConfigModel(BaseModel):
    """camelCase in the LeadSail API, snake_case in code; an unknown key is refused, so a
    misspelt setting is an error when the campaign is saved rather than a silent no-op."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, validate_by_alias=True, validate_by_name=True
    )
