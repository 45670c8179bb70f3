"""Company key pairs at the boundary. Hashes are never answered; a private key only once."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadflow.api_keys.permissions import EVERY_RESOURCE, RESOURCES, Action, Resource

ALLOWED_RESOURCES = ", ".join((EVERY_RESOURCE, *RESOURCES))


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["CRM sync"])
    permissions: dict[Resource, list[Action]] = Field(
        description='Actions per resource; "*" covers every resource. A key may only grant '
        "what it holds itself.",
        examples=[{"leads": ["read", "write"], "offers": ["read"]}],
    )
    ip_allowlist: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Addresses or CIDR networks the key may be used from; empty: anywhere. "
        "A key with an allowlist may only create keys limited to networks inside it.",
        examples=[["203.0.113.7", "198.51.100.0/24"]],
    )

    @field_validator("permissions", mode="before")
    @classmethod
    def _known_resources(cls, value: Any) -> Any:
        if isinstance(value, dict):
            unknown = sorted(str(k) for k in value if k != EVERY_RESOURCE and k not in RESOURCES)
            if unknown:
                raise ValueError(
                    f"unknown resource {', '.join(unknown)}; allowed: {ALLOWED_RESOURCES}"
                )
        return value

    @field_validator("permissions")
    @classmethod
    def _without_repeats(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {resource: sorted(set(actions)) for resource, actions in value.items()}

    @field_validator("ip_allowlist")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        """Each entry as one canonical network: ``198.51.100.7/24`` is ``198.51.100.0/24``."""
        canonical = []
        for entry in value:
            try:
                network = ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
            single = network.num_addresses == 1
            canonical.append(str(network.network_address) if single else str(network))
        return canonical


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    public_key: str
    permissions: dict[str, list[str]]
    ip_allowlist: list[str]
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None = Field(
        description="Set once the key is revoked; it no longer works."
    )


class ApiKeyCreated(ApiKeyOut):
    private_key: str = Field(
        description="Shown only in this answer; Leadflow keeps a hash. Send "
        "Authorization: Basic base64(public_key:private_key)."
    )
