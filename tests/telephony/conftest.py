"""The telephony tests run with a provider auth token configured, as a Twilio deployment is."""

from __future__ import annotations

import httpx
import pytest

from leadflow.settings import Settings
from tests.factories import Factory
from tests.telephony.builders import AUTH_TOKEN, Builder, Provider


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        twilio_auth_token=AUTH_TOKEN,
    )


@pytest.fixture
def build(factory: Factory) -> Builder:
    return Builder(factory)


@pytest.fixture
def provider(client: httpx.AsyncClient) -> Provider:
    return Provider(client)
