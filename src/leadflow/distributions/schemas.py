"""The boundary of ``/api/v1/schedules/:id/distributions``: conditions are checked here, once,
so :mod:`leadflow.distributions.matching` can trust what it is given."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadflow.distributions.matching import (
    LIST_OPERATORS,
    PRESENCE_OPERATORS,
    Condition,
    Operator,
)
from leadflow.leads.tokens import token_name

Scalar = str | int | float | bool
MAX_CONDITIONS = 50
MAX_LIST_VALUES = 1_000


class ConditionSchema(BaseModel):
    """``{"field": "traffic_source_id", "operator": "in", "value": [3, 4]}``.

    ``field`` is a token name (``sub_id``, ``traffic_source_id``, the lead's ``caller_id`` in
    E.164 or ``email``, or any token) and is normalised as tokens are, so ``State`` and
    ``state`` name the same token.
    """

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    operator: Operator
    value: Scalar | list[Scalar] | None = None

    @field_validator("field")
    @classmethod
    def _normalise_field(cls, value: str) -> str:
        name = token_name(value)
        if not name:
            raise ValueError("must name a token, such as sub_id or traffic_source_id")
        return name

    @model_validator(mode="after")
    def _value_fits_operator(self) -> ConditionSchema:
        op, value = self.operator, self.value
        if op in PRESENCE_OPERATORS:
            if value is not None:
                raise ValueError(f"{op} takes no value")
        elif op in LIST_OPERATORS:
            if not isinstance(value, list) or not value:
                raise ValueError(f"{op} needs a non-empty list of values")
            if len(value) > MAX_LIST_VALUES:
                raise ValueError(f"{op} takes at most {MAX_LIST_VALUES} values")
        elif value is None or isinstance(value, list):
            raise ValueError(f"{op} needs a single value")
        return self

    def to_condition(self) -> Condition:
        value = tuple(self.value) if isinstance(self.value, list) else self.value
        return Condition(self.field, self.operator, value)


PRIORITY_HELP = "Lower numbers are tried first; matches of equal priority share by weight."
WEIGHT_HELP = "This distribution's share among matches of equal priority."
CONDITIONS_HELP = "All must hold; none means the distribution takes every lead."
TARGET_HELP = "A contact_caller schedule; a router never targets another router."


class DistributionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_schedule_id: int = Field(description=TARGET_HELP)
    name: str = Field(default="", max_length=200)
    priority: int = Field(default=0, ge=0, description=PRIORITY_HELP)
    weight: int = Field(default=1, ge=1, le=1_000_000, description=WEIGHT_HELP)
    conditions: list[ConditionSchema] = Field(
        default_factory=list, max_length=MAX_CONDITIONS, description=CONDITIONS_HELP
    )


class DistributionUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    target_schedule_id: int | None = Field(default=None, description=TARGET_HELP)
    name: str | None = Field(default=None, max_length=200)
    priority: int | None = Field(default=None, ge=0, description=PRIORITY_HELP)
    weight: int | None = Field(default=None, ge=1, le=1_000_000, description=WEIGHT_HELP)
    conditions: list[ConditionSchema] | None = Field(
        default=None, max_length=MAX_CONDITIONS, description=CONDITIONS_HELP
    )


class DistributionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    schedule_id: int
    target_schedule_id: int
    name: str
    priority: int
    weight: int
    conditions: list[ConditionSchema]
    created_at: datetime
    updated_at: datetime
