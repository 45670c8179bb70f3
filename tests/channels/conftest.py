"""Fixtures for channel tests; the lead wires the two servers in for the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from leadflow.channels.twilio import TwilioAccount
from tests.support.smtp import smtp_server
from tests.support.telephony import TelephonyServer, telephony_server

__all__ = ["account", "http", "smtp_server", "telephony_server"]

PUBLIC_URL = "https://leadflow.example/"
CALLER_ID = "+12025550100"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:
        yield client


@pytest.fixture
def account(telephony_server: TelephonyServer) -> TwilioAccount:
    return TwilioAccount(
        api_url=telephony_server.url,
        account_sid=telephony_server.account_sid,
        auth_token=telephony_server.auth_token,
        public_url=PUBLIC_URL,
        default_from=CALLER_ID,
        timeout=0.5,
    )
