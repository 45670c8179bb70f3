"""build_channels sends through the providers the settings name, and simulates otherwise."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leadflow.channels.factory import build_channels
from leadflow.channels.simulated import SimulatedEmail, SimulatedSms, SimulatedVoice
from leadflow.channels.smtp import SmtpEmail
from leadflow.channels.twilio import TwilioSms, TwilioVoice
from leadflow.settings import Settings

TWILIO: dict[str, Any] = {
    "twilio_account_sid": "AC" + "0" * 32,
    "twilio_auth_token": "secret",
    "public_url": "https://leadflow.example",
}


async def test_default_settings_simulate_every_channel(http: httpx.AsyncClient) -> None:
    channels = build_channels(Settings(), http)

    assert isinstance(channels.voice, SimulatedVoice)
    assert isinstance(channels.sms, SimulatedSms)
    assert isinstance(channels.email, SimulatedEmail)


async def test_twilio_and_smtp_are_picked_when_named(http: httpx.AsyncClient) -> None:
    settings = Settings(
        voice_provider="twilio", sms_provider="twilio", email_provider="smtp", **TWILIO
    )
    channels = build_channels(settings, http)

    assert isinstance(channels.voice, TwilioVoice)
    assert isinstance(channels.sms, TwilioSms)
    assert isinstance(channels.email, SmtpEmail)
    assert channels.voice.http is http
    assert channels.voice.account.auth_token == "secret"


async def test_twilio_voice_alone_keeps_simulated_sms(http: httpx.AsyncClient) -> None:
    channels = build_channels(Settings(voice_provider="twilio", **TWILIO), http)

    assert isinstance(channels.voice, TwilioVoice)
    assert isinstance(channels.sms, SimulatedSms)


@pytest.mark.parametrize("missing", sorted(TWILIO))
async def test_twilio_without_its_account_fails_at_startup_naming_the_setting(
    http: httpx.AsyncClient, missing: str
) -> None:
    settings = Settings(sms_provider="twilio", **{**TWILIO, missing: ""})

    with pytest.raises(ValueError, match=f"LEADFLOW_{missing.upper()}"):
        build_channels(settings, http)
