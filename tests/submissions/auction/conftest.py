"""Auction tests run on the pipeline's fixtures: a tenant, a frozen clock, and real buyers
on loopback (one server plays every buyer, each on its own paths)."""

from __future__ import annotations

from typing import Any

from tests.submissions.pipeline.conftest import (  # noqa: F401  (fixtures)
    buyer,
    pipeline,
    settings,
)


def ping(url: str, **overrides: Any) -> dict[str, Any]:
    """A JSON ping reading ``bid`` and ``pingId`` (the defaults), answered within 500 ms."""
    request: dict[str, Any] = {"url": url, "timeoutMs": 500}
    request.update(overrides)
    return request


def bid(amount: Any, ping_id: str = "P-1") -> str:
    return f'{{"bid": {amount}, "pingId": "{ping_id}"}}'
