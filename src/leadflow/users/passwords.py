"""Password hashing with argon2id (argon2-cffi, the project's dependency for slow hashes).

API private keys are random 256-bit secrets and use SHA-256 (see ``companies.keys``); people's
passwords are guessable, so they get a deliberately slow, salted, memory-hard hash.
"""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# Verified when the e-mail is unknown, so that an unknown address costs what a wrong
# password does and the timing does not tell which part was wrong.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored_hash: str | None) -> bool:
    """True when ``password`` matches; with no stored hash, burn the same time and say no."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# One argon2 hash at a time per process, on a thread of its own. Each hash is memory-hard and
# takes tens of milliseconds of every core it is given: twenty sign-ins at once took both cores
# of a small machine from the event loop (bench.abuse: another company's lead posts went from
# a p99 of 6 ms to 820 ms). Queued here, hashing has at most one thread, and the loop the rest.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")


async def hash_password_queued(password: str) -> str:
    """``hash_password`` on the process's one hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)


async def password_matches_queued(password: str, stored_hash: str | None) -> bool:
    """``password_matches`` on the process's one hashing thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_HASHING, password_matches, password, stored_hash)


def generate_password() -> str:
    """A random password to print once (about 100 bits, URL-safe, no look-alike worries)."""
    return secrets.token_urlsafe(15)
