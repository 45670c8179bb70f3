from __future__ import annotations

import pytest

from tests.factories import Factory
from tests.telephony.builders import Builder


@pytest.fixture
def build(factory: Factory) -> Builder:
    return Builder(factory)
