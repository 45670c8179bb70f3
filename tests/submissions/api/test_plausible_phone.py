"""The LeadSail submission API's phone rule is the seed's, "minimum 10 digits", with a plausible
E.164 form: its own example ``+15559876543`` (an unassigned 555 number) is stored, while
dialing such a number is still refused by make_call's own, strict check."""

from __future__ import annotations

import httpx
import pytest

from leadflow.kit import phone
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from tests.calls.dialing.conftest import make_call
from tests.factories import Factory
from tests.submissions.api.conftest import Rows, Seller, lead

SEED_EXAMPLE = "+15559876543"


@pytest.fixture(autouse=True)
def empty_caches() -> None:
    """Each answer is phonenumbers' own, not one an earlier test left in the caches."""
    to_e164.cache_clear()
    phone._REFUSALS.clear()
    phone._POSSIBLE_REFUSALS.clear()


@pytest.mark.parametrize(
    "written", [SEED_EXAMPLE, "5559876543", "(555) 987-6543", "1-555-987-6543"]
)
async def test_the_seeds_example_number_is_submitted_and_stored_as_e164(
    seller: Seller, rows: Rows, written: str
) -> None:
    answer = await seller.submit(phone=written)
    stored = await rows.lead(answer["leadId"])
    assert stored.phone == SEED_EXAMPLE


async def test_the_store_only_post_accepts_the_seeds_example(seller: Seller) -> None:
    answer = await seller.post("", lead(phone=SEED_EXAMPLE))
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["phone"] == SEED_EXAMPLE


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("555987654", "must have at least 10 digits"),
        ("+1 555 987 65432", "is not a plausible phone number for its country"),
        ("+1 000 000 0000", "is not a plausible phone number for its country"),
        ("+999 555 987 6543", "is not a phone number"),
    ],
)
async def test_a_number_without_a_plausible_e164_form_is_refused(
    seller: Seller, written: str, message: str
) -> None:
    answer = await seller.post("/submit", lead(phone=written))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == [{"field": "phone", "message": message}]


async def test_dialing_the_seeds_example_is_still_invalid_number(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, "+18005550100", ["voice"])  # the caller ID
    schedule = await factory.schedule(tenant)
    answer = await make_call(client, tenant, {"schedule_id": schedule.id, "to": SEED_EXAMPLE})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error_code"] == "invalid_number"


def test_plausible_mode_answers_from_its_own_prefix_cache() -> None:
    """A valid number's verdict is not borrowed by the plausible mode, nor the other way."""
    assert to_e164("+15559876543", plausible=True) == SEED_EXAMPLE
    with pytest.raises(InvalidPhoneNumberError):
        to_e164("+15559876544")
    assert to_e164("+15559876545", plausible=True) == "+15559876545"
