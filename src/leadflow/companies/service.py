"""Creating tenants and their first key pair (used by the CLI and `leadflow demo`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from leadflow.clock import Clock
from leadflow.companies.keys import KeyPair, hash_private_key, new_key_pair
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.schemas import CompanySettingsUpdate
from leadflow.models import ApiKey, Company

FULL_ACCESS = {"*": ["read", "write"]}


@dataclass(frozen=True)
class NewCompany:
    company: Company
    keys: KeyPair


async def create_company(
    repo: CompanyRepository, clock: Clock, name: str, region: str = "US"
) -> NewCompany:
    now = clock.now()
    company = Company(name=name, default_region=region, created_at=now, updated_at=now)
    repo.add(company)
    await repo.session.flush()
    keys = await issue_key_pair(repo, clock, company.id, "default")
    return NewCompany(company=company, keys=keys)


async def issue_key_pair(
    repo: CompanyRepository, clock: Clock, company_id: int, name: str
) -> KeyPair:
    """A new full-access key pair; the caller shows the private key once and forgets it."""
    issued = await issue_api_key(repo, clock, company_id, name, FULL_ACCESS)
    return issued.keys


@dataclass(frozen=True)
class IssuedKey:
    row: ApiKey
    keys: KeyPair


async def issue_api_key(
    repo: CompanyRepository,
    clock: Clock,
    company_id: int,
    name: str,
    permissions: Mapping[str, list[str]],
    ip_allowlist: Sequence[str] = (),
) -> IssuedKey:
    """A new key pair with the given permissions; only the private key's hash is stored."""
    now = clock.now()
    keys = new_key_pair()
    row = ApiKey(
        company_id=company_id,
        name=name,
        public_key=keys.public_key,
        private_key_hash=hash_private_key(keys.private_key),
        permissions={resource: list(actions) for resource, actions in permissions.items()},
        ip_allowlist=list(ip_allowlist),
        created_at=now,
        updated_at=now,
    )
    repo.add(row)
    await repo.session.flush()
    return IssuedKey(row=row, keys=keys)


def update_settings(company: Company, body: CompanySettingsUpdate, now: datetime) -> None:
    """Apply the company's own settings; the caller commits. Pages read the zone on every
    request and the dialer reads the budget on every call, so both hold from the next one."""
    company.time_zone = body.time_zone
    company.calls_per_second = body.calls_per_second
    company.updated_at = now
