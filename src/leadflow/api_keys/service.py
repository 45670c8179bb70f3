"""Issuing and revoking a company's key pairs."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.api_keys.permissions import powers_beyond
from leadflow.api_keys.schemas import ApiKeyCreate
from leadflow.app_state import app_state
from leadflow.clock import Clock
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import IssuedKey, issue_api_key
from leadflow.kit.auth import Principal
from leadflow.kit.errors import TrackDriveError
from leadflow.models import ApiKey


async def create_key(
    session: AsyncSession, clock: Clock, principal: Principal, body: ApiKeyCreate
) -> IssuedKey:
    """A new key pair of the caller's company, granted no more than the caller's own key
    (permissions, and addresses when the caller's key has an IP allowlist)."""
    requested: dict[str, list[str]] = {str(r): list(a) for r, a in body.permissions.items()}
    beyond = powers_beyond(
        principal.permissions, principal.ip_allowlist, requested, body.ip_allowlist
    )
    if beyond:
        raise TrackDriveError.forbidden(
            f"this key may not grant what it does not hold: {', '.join(beyond)}"
        )
    return await issue_api_key(
        CompanyRepository(session),
        clock,
        principal.company_id,
        body.name,
        requested,
        body.ip_allowlist,
    )


def revoke(principal: Principal, row: ApiKey, now: datetime) -> None:
    """Revoke ``row`` if the caller's key is at least as powerful (403 naming what the target
    holds beyond it otherwise): a key allowed to manage keys must not be able to cut off the
    company's full-access key. Revoking twice keeps the first time: that is when the key
    stopped working."""
    beyond = powers_beyond(
        principal.permissions, principal.ip_allowlist, row.permissions, row.ip_allowlist
    )
    if beyond:
        raise TrackDriveError.forbidden(
            f"this key may not revoke a key holding more than it does: {', '.join(beyond)}"
        )
    if row.revoked_at is None:
        row.revoked_at = now
        row.updated_at = now


def forget_verified_keys_after_commit(request: Request, session: AsyncSession) -> None:
    """Drop this process's cache of verified keys once the revocation is committed, so the key
    fails from the next request on. Cleared before the commit, a request in between could cache
    the key as valid again. Other API processes keep trusting a key they verified for up to
    ``auth_cache_seconds`` (30 s by default): that is the delay a revocation takes everywhere."""
    cache = app_state(request).key_cache
    event.listen(session.sync_session, "after_commit", lambda _session: cache.clear(), once=True)
