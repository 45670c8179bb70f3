"""A token name and how many leads carry it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenCount(BaseModel):
    name: str = Field(description="A token name, e.g. first_name.")
    count: int = Field(description="How many leads carry it.")
