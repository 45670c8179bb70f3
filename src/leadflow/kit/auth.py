"""Company credentials: ``Authorization: Basic base64(public_key:private_key)``, or, in the
LeadSail dialect, ``X-API-Key: <public_key>.<private_key>`` (the same key pair, verified by the
same code and cached the same way).

A verified key is cached for ``auth_cache_seconds`` so that an authenticated request costs no
query; a revoked key therefore stops working within that time on every process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPBasic
from starlette.requests import HTTPConnection

from leadflow.app_state import app_state
from leadflow.companies.keys import private_key_matches
from leadflow.companies.repository import CompanyRepository
from leadflow.kit.errors import LeadSailError, TrackDriveError
from leadflow.kit.single_flight import ExpiringCache

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a company, through one of its key pairs."""

    company_id: int
    key_id: int
    permissions: Mapping[str, list[str]]
    ip_allowlist: tuple[str, ...] = ()
    default_region: str = "US"

    def may(self, resource: str, action: str) -> bool:
        granted = set(self.permissions.get(resource, [])) | set(self.permissions.get("*", []))
        return action in granted

    def allows_ip(self, host: str | None) -> bool:
        if not self.ip_allowlist:
            return True
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in self.ip_allowlist)


class KeyCache(ExpiringCache[str, Principal]):
    """Verified key pairs by the fingerprint of their header (see kit.single_flight)."""

    async def principal(
        self, request: Request, fingerprint: str, public_key: str, private_key: str
    ) -> Principal:
        """The cached principal, else the key pair read (one read for all the requests that
        miss together) and kept; TrackDrive's 401 when it names no live key."""
        return await self.get_or_read(
            fingerprint, lambda: _verify(request, public_key, private_key)
        )


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    public, sep, private = decoded.partition(":")
    return (public, private) if sep and public and private else None


async def authenticate(request: Request) -> Principal | None:
    """The caller's principal, or None when no Basic credentials were sent at all."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    credentials = _basic_credentials(header)
    if credentials is None:
        raise TrackDriveError.unauthorized(
            "Authorization must be Basic base64(public_key:private_key)"
        )
    cache: KeyCache = app_state(request).key_cache
    fingerprint = hashlib.sha256(header.encode()).hexdigest()
    principal = await cache.principal(request, fingerprint, *credentials)
    if not principal.allows_ip(request.client.host if request.client else None):
        raise TrackDriveError.forbidden("this key may not be used from your IP address")
    return principal


async def _verify(request: Request, public_key: str, private_key: str) -> Principal:
    """Read the key pair from the database: on a session of its own, opened only when the
    cache missed, so that a request whose key is cached (nearly all) opens none for it.

    A read session (on SQLite a deferred, ``query_only`` transaction on the reading
    connections): anyone on the internet can make the cache miss, with a key pair of their
    own making, and a write session would take the database's one write lock for each such
    guess, to be waited for by every company's intake."""
    async with app_state(request).read_sessionmaker() as session:
        return await _verify_with(CompanyRepository(session), public_key, private_key)


async def _verify_with(repo: CompanyRepository, public_key: str, private_key: str) -> Principal:
    key = await repo.key_by_public(public_key)
    if key is None or key.revoked_at is not None:
        raise TrackDriveError.unauthorized("unknown or revoked key pair")
    if not private_key_matches(private_key, key.private_key_hash):
        raise TrackDriveError.unauthorized("unknown or revoked key pair")
    company = await repo.get(key.company_id)
    return Principal(
        company_id=key.company_id,
        key_id=key.id,
        permissions=dict(key.permissions),
        ip_allowlist=tuple(key.ip_allowlist),
        default_region=company.default_region if company else "US",
    )


class PublishedBasic(HTTPBasic):
    """HTTP Basic as the OpenAPI document names it, so that ``/docs`` can send credentials.

    It reads nothing: FastAPI's own parser answers a malformed header with its own 401 body,
    while ``authenticate`` answers every credential problem in the TrackDrive envelope."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


BASIC_AUTH = PublishedBasic(
    scheme_name="basicAuth",
    description="A company key pair: Authorization: Basic base64(public_key:private_key).",
    auto_error=False,
)
BasicAuthDoc = Annotated[None, Security(BASIC_AUTH)]


def require(
    resource: str, action: str, also: tuple[str, ...] = ()
) -> Callable[[Request, None], Awaitable[Principal]]:
    """A dependency: the caller must hold ``action`` on ``resource`` and on each of ``also``
    (an operation that changes two resources needs the right on both)."""

    async def dependency(request: Request, _published: BasicAuthDoc = None) -> Principal:
        principal = await authenticate(request)
        if principal is None:
            raise TrackDriveError.unauthorized(
                "missing credentials: send Authorization: Basic base64(public_key:private_key)"
            )
        for needed in (resource, *also):
            if not principal.may(needed, action):
                raise TrackDriveError.forbidden(f"this key may not {action} {needed}")
        return principal

    return dependency


API_KEY_HEADER = "x-api-key"


class PublishedApiKey(APIKeyHeader):
    """``X-API-Key`` as the OpenAPI document names it; reads nothing, like :class:`PublishedBasic`,
    so every credential problem is answered by :func:`authenticate_api_key` in the LeadSail body."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return None


API_KEY_AUTH = PublishedApiKey(
    name="X-API-Key",
    scheme_name="apiKeyAuth",
    description="A company key pair joined by a dot: X-API-Key: <public_key>.<private_key>.",
    auto_error=False,
)
ApiKeyDoc = Annotated[None, Security(API_KEY_AUTH)]


async def authenticate_api_key(request: Request) -> Principal:
    """The caller's principal from ``X-API-Key``; 401 ``UNAUTHORIZED`` when it is missing, not
    ``public.private`` or unknown. Verified exactly as Basic credentials are (same cache)."""
    header = request.headers.get(API_KEY_HEADER)
    if not header:
        raise LeadSailError(401, "UNAUTHORIZED", "missing X-API-Key header")
    public, sep, private = header.strip().partition(".")
    if not (sep and public and private):
        raise LeadSailError(401, "UNAUTHORIZED", "X-API-Key must be <public_key>.<private_key>")
    cache: KeyCache = app_state(request).key_cache
    fingerprint = hashlib.sha256(b"x-api-key:" + header.encode()).hexdigest()
    try:
        principal = await cache.principal(request, fingerprint, public, private)
    except TrackDriveError as exc:
        raise LeadSailError(401, "UNAUTHORIZED", "unknown or revoked API key") from exc
    if not principal.allows_ip(request.client.host if request.client else None):
        raise LeadSailError(403, "FORBIDDEN", "this key may not be used from your IP address")
    return principal


def require_api_key(resource: str, action: str) -> Callable[[Request, None], Awaitable[Principal]]:
    """A dependency for LeadSail routes: a valid ``X-API-Key`` holding ``action`` on
    ``resource`` (403 ``FORBIDDEN`` otherwise)."""

    async def dependency(request: Request, _published: ApiKeyDoc = None) -> Principal:
        principal = await authenticate_api_key(request)
        if not principal.may(resource, action):
            raise LeadSailError(403, "FORBIDDEN", f"this key may not {action} {resource}")
        return principal

    return dependency
