"""The campaigns API's shapes (LeadSail dialect, camelCase).

A campaign on the wire is its columns (name, code, status, time zone, duplicate window) and its
configuration document side by side, so one model validates both and every problem is named in
one 422. Secrets in the document are shown masked; a masked value sent back keeps the secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from leadflow.campaigns.config import CampaignConfig, is_time_zone
from leadflow.kit.outbound_urls import origin
from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.dynamic_keys import SavedDynamicKey

MASK = "********"
COLUMNS = ("name", "code", "status", "timeZone", "duplicateWindowDays")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Header names whose values are credentials, so they are masked like auth settings.
_SECRET_HEADER = re.compile(r"auth|token|secret|key|password|cookie", re.IGNORECASE)

CampaignStatusName = Literal["active", "inactive", "archived"]


class CampaignDocument(CampaignConfig):
    """A whole campaign as written by ``POST`` (and by ``PUT``, merged onto the stored one)."""

    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=64)
    status: CampaignStatusName = "active"
    time_zone: str = "America/New_York"
    # 0 turns duplicate detection off.
    duplicate_window_days: int = Field(default=30, ge=0, le=365)
    # Templates are checked (compiled, limits) when saved, not when the worker loads them.
    dynamic_keys: list[SavedDynamicKey] = Field(default_factory=list)  # type: ignore[assignment]

    @field_validator("name")
    @classmethod
    def _trimmed_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(
                "must be letters, digits, '_', '-' or '.', starting with a letter or digit"
            )
        return value

    @field_validator("time_zone")
    @classmethod
    def _real_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError("must be an IANA time zone like America/New_York")
        return value

    def columns(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "code": self.code,
            "status": self.status,
            "time_zone": self.time_zone,
            "duplicate_window_days": self.duplicate_window_days,
        }

    def config(self) -> dict[str, Any]:
        """The configuration document as stored: the camelCase JSON of :class:`CampaignConfig`."""
        dumped = self.model_dump(mode="json", by_alias=True)
        for column in COLUMNS:
            dumped.pop(column, None)
        return dumped


class CampaignOut(CampaignConfigModel):
    """Only for the OpenAPI document: the served body is built by :func:`campaign_body`."""

    id: str
    name: str
    code: str
    status: CampaignStatusName
    time_zone: str
    duplicate_window_days: int
    created_at: datetime
    updated_at: datetime


def campaign_references(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every campaign the document names, as ``(field path, id or code)``."""
    for index, ref in enumerate(config.get("fallbackCampaignIds") or []):
        yield f"fallbackCampaignIds.{index}", ref
    for index, rule in enumerate(config.get("routingRules") or []):
        yield f"routingRules.{index}.targetCampaignId", rule.get("targetCampaignId")
    caps = config.get("caps") or {}
    target = (caps.get("onCap") or {}).get("targetCampaignId")
    if target:
        yield "caps.onCap.targetCampaignId", target
    hours = config.get("hours") or {}
    target = (hours.get("offHours") or {}).get("targetCampaignId")
    if target:
        yield "hours.offHours.targetCampaignId", target
    for index, buyer in enumerate((config.get("pingPost") or {}).get("buyers") or []):
        yield f"pingPost.buyers.{index}.campaignId", buyer["campaignId"]


def outbound_urls(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every URL the worker will call for this campaign, as ``(field path, url)``."""
    endpoint = config.get("endpoint") or {}
    if endpoint.get("url"):
        yield "endpoint.url", endpoint["url"]
    auth = endpoint.get("auth") or {}
    if auth.get("tokenUrl"):
        yield "endpoint.auth.tokenUrl", auth["tokenUrl"]
    ai = config.get("aiQualifier") or {}
    if ai.get("baseUrl"):
        yield "aiQualifier.baseUrl", ai["baseUrl"]
    for index, pixel in enumerate(config.get("pixels") or []):
        yield f"pixels.{index}.url", pixel["url"]
    for index, buyer in enumerate((config.get("pingPost") or {}).get("buyers") or []):
        if (buyer.get("ping") or {}).get("url"):
            yield f"pingPost.buyers.{index}.ping.url", buyer["ping"]["url"]


def masked(config: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the document with every secret replaced by :data:`MASK`."""
    copy: dict[str, Any] = _deep_copy(config)
    for path, value in _secret_paths(copy):
        if value:
            _set(copy, path, MASK)
    return copy


def keep_masked_secrets(
    incoming: dict[str, Any], stored: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """``incoming`` with each secret still reading :data:`MASK` put back to the stored value,
    so a client may send a campaign back as it read it without erasing its credentials.

    A masked secret is kept only while every URL it is sent to keeps its origin (scheme, host,
    port): otherwise whoever may edit the campaign could point the URL at their own server and
    collect the buyer's credentials without ever seeing them. Such a secret is not kept; it
    is named in the returned problems (re-enter it to send it to the new host)."""
    result: dict[str, Any] = _deep_copy(incoming)
    problems: list[dict[str, str]] = []
    for path, value in _secret_paths(result):
        if value != MASK:
            continue
        moved = [
            ".".join(url_path)
            for url_path in _secret_destinations(path)
            if origin(_at(result, url_path)) != origin(_at(stored, url_path))
        ]
        if moved:
            problems.append(
                {
                    "field": ".".join(path),
                    "message": f"re-enter this secret: {', '.join(moved)} now points at "
                    "another host, and a masked secret is never sent to a new host",
                }
            )
            continue
        _set(result, path, _at(stored, path))
    return result, problems


def _secret_destinations(path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The URLs a secret at ``path`` is sent to (an OAuth client secret to the token URL, and
    the token it buys to the endpoint)."""
    if path[0] == "aiQualifier":
        return [("aiQualifier", "baseUrl")]
    if path[0] == "pingPost":
        return [(*path[:4], "url")]
    if path == ("endpoint", "auth", "clientSecret"):
        return [("endpoint", "auth", "tokenUrl"), ("endpoint", "url")]
    return [("endpoint", "url")]


def _secret_paths(config: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """Where the document keeps credentials: auth headers, a client secret, an AI key, and
    endpoint headers whose name says they carry one."""
    found: list[tuple[tuple[str, ...], Any]] = []
    endpoint = config.get("endpoint")
    if isinstance(endpoint, dict):
        for name, value in (endpoint.get("headers") or {}).items():
            if _SECRET_HEADER.search(name):
                found.append((("endpoint", "headers", name), value))
        auth = endpoint.get("auth")
        if isinstance(auth, dict):
            for name, value in (auth.get("headers") or {}).items():
                found.append((("endpoint", "auth", "headers", name), value))
            if "clientSecret" in auth:
                found.append((("endpoint", "auth", "clientSecret"), auth["clientSecret"]))
    ai = config.get("aiQualifier")
    if isinstance(ai, dict) and "apiKey" in ai:
        found.append((("aiQualifier", "apiKey"), ai["apiKey"]))
    ping_post = config.get("pingPost")
    buyers = ping_post.get("buyers") if isinstance(ping_post, dict) else None
    for index, buyer in enumerate(buyers if isinstance(buyers, list) else []):
        ping = buyer.get("ping") if isinstance(buyer, dict) else None
        for name, value in ((ping.get("headers") or {}) if isinstance(ping, dict) else {}).items():
            if _SECRET_HEADER.search(name):
                found.append((("pingPost", "buyers", str(index), "ping", "headers", name), value))
    return found


def _at(data: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path``; a list is indexed by a part written as digits."""
    for part in path:
        if isinstance(data, list) and part.isdigit():
            data = data[int(part)] if int(part) < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def _set(data: Any, path: tuple[str, ...], value: Any) -> None:
    parent = _at(data, path[:-1])
    parent[path[-1]] = value


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
