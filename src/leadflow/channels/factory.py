"""The channels a process sends through, chosen by the settings."""

from __future__ import annotations

import httpx

from leadflow.channels.protocol import Channels, EmailChannel, SmsChannel, VoiceChannel
from leadflow.channels.simulated import SimulatedEmail, SimulatedSms, SimulatedVoice
from leadflow.channels.smtp import SmtpEmail, SmtpServer
from leadflow.channels.twilio import TwilioAccount, TwilioSms, TwilioVoice
from leadflow.settings import Settings


def build_channels(settings: Settings, http: httpx.AsyncClient) -> Channels:
    """Simulated unless the settings name a provider (``LEADFLOW_VOICE_PROVIDER=twilio`` ...).

    A provider named without what it needs fails here, when the process starts, rather than
    on the first lead it would have called.
    """
    voice: VoiceChannel
    sms: SmsChannel
    email: EmailChannel
    uses_twilio = "twilio" in (settings.voice_provider, settings.sms_provider)
    twilio = twilio_account(settings) if uses_twilio else None
    voice = (
        TwilioVoice(http, twilio)
        if twilio is not None and settings.voice_provider == "twilio"
        else SimulatedVoice(settings.simulated_call_outcome, settings.simulated_call_seconds)
    )
    sms = (
        TwilioSms(http, twilio)
        if twilio is not None and settings.sms_provider == "twilio"
        else SimulatedSms(settings.simulated_sms_outcome)
    )
    if settings.email_provider == "smtp":
        email = SmtpEmail(SmtpServer.from_settings(settings))
    else:
        email = SimulatedEmail()
    return Channels(voice=voice, sms=sms, email=email)


def twilio_account(settings: Settings) -> TwilioAccount:
    """The Twilio account from the settings, or a ``ValueError`` naming what is missing."""
    missing = [
        f"LEADFLOW_{name.upper()}"
        for name, value in (
            ("twilio_account_sid", settings.twilio_account_sid),
            ("twilio_auth_token", settings.twilio_auth_token.get_secret_value()),
            ("public_url", settings.public_url),
        )
        if not value
    ]
    if missing:
        raise ValueError(
            "the twilio provider needs "
            + ", ".join(missing)
            + " (public_url is where the provider sends status callbacks)"
        )
    return TwilioAccount.from_settings(settings)
