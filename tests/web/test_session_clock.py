"""The session cookie expires on the app's one clock, not the wall clock."""

from __future__ import annotations

import httpx

from leadflow.clock import FrozenClock
from leadflow.settings import Settings
from leadflow.web.session import COOKIE_NAME


async def test_a_visitors_session_expires_when_the_app_clock_passes_its_age(
    browser: httpx.AsyncClient, clock: FrozenClock, settings: Settings
) -> None:
    first = await browser.get("/login")
    assert first.status_code == 200
    cookie = browser.cookies.get(COOKIE_NAME)
    assert cookie
    again = await browser.get("/login")
    assert again.cookies.get(COOKIE_NAME) is None  # still valid: not issued again
    clock.advance(seconds=settings.session_max_age_seconds + 1)
    expired = await browser.get("/login")
    renewed = expired.cookies.get(COOKIE_NAME)
    assert renewed is not None
    assert renewed != cookie
