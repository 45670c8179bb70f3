"""Key material. Private keys are 256-bit random secrets, so a SHA-256 digest is as strong at
rest as a slow password hash (there is no dictionary to try) and costs microseconds, not the
~50 ms per request that argon2 would add to every authenticated call."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPair:
    public_key: str
    private_key: str


def new_key_pair() -> KeyPair:
    return KeyPair(
        public_key="lfpub_" + secrets.token_hex(16),
        private_key="lfprv_" + secrets.token_urlsafe(32),
    )


def hash_private_key(private_key: str) -> str:
    return hashlib.sha256(private_key.encode()).hexdigest()


def private_key_matches(private_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_private_key(private_key), stored_hash)


def new_lead_token() -> str:
    """A schedule's or offer's ``leads_api_key``: unguessable, URL-safe, shown in the UI."""
    return secrets.token_hex(16)
