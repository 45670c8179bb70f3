"""The documented parameters that shape one lead: timing, expiry, priority, field types."""

from __future__ import annotations

import pytest

from tests.leads.conftest import CALLER, Publisher

NOW = "2026-01-05T15:00:00Z"


async def test_new_schedule_lead_is_due_now(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER)
    assert lead["next_action_at"] == NOW
    assert lead["has_next_action"] is True


async def test_contact_field_type_is_stored(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, contact_field_type="auto-insurance-script")
    assert lead["contact_field_type"] == "auto-insurance-script"
    assert lead["data"] == {}


async def test_schedule_callback_at_in_trackdrive_format(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, schedule_callback_at="2026-01-06 14:26:43 -0500")
    assert lead["schedule_callback_at"] == "2026-01-06T19:26:43Z"
    assert lead["next_action_at"] == "2026-01-06T19:26:43Z"


async def test_schedule_callback_in_seconds_counts_from_now(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, schedule_callback_in_seconds="3600")
    assert lead["schedule_callback_at"] == "2026-01-05T16:00:00Z"
    assert lead["next_action_at"] == "2026-01-05T16:00:00Z"


async def test_unreadable_callback_time_is_422(publisher: Publisher) -> None:
    response = await publisher.post(caller_id=CALLER, schedule_callback_at="tomorrow at noon")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["schedule_callback_at"]


async def test_next_action_at_sets_when_the_lead_is_worked(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, next_action_at="2026-01-05 15:00:01 +0000")
    assert lead["next_action_at"] == "2026-01-05T15:00:01Z"


async def test_next_action_at_moves_an_existing_lead(publisher: Publisher) -> None:
    """The documented use: leads scheduled a week out are pulled back to run now."""
    first = await publisher.lead(caller_id=CALLER, schedule_callback_in_seconds="604800")
    again = await publisher.lead(
        caller_id=CALLER, update_only="true", next_action_at="2026-01-05 15:00:01 +0000"
    )
    assert again["id"] == first["id"]
    assert again["next_action_at"] == "2026-01-05T15:00:01Z"


async def test_hours_to_expire_sets_the_expiry(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, hours_to_expire="48")
    assert lead["expires_at"] == "2026-01-07T15:00:00Z"


async def test_expires_in_is_minutes(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, expires_in="90")
    assert lead["expires_at"] == "2026-01-05T16:30:00Z"


async def test_the_earlier_of_two_expiries_wins(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, expires_in="30", hours_to_expire="1")
    assert lead["expires_at"] == "2026-01-05T15:30:00Z"


async def test_max_contact_attempts_is_stored(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, max_contact_attempts="5")
    assert lead["max_contact_attempts"] == 5


async def test_lead_priority_is_stored(publisher: Publisher) -> None:
    lead = await publisher.lead(caller_id=CALLER, lead_priority="1")
    assert lead["lead_priority"] == 1


async def test_integer_parameters_accept_json_numbers(publisher: Publisher) -> None:
    response = await publisher.post_json(
        {"caller_id": CALLER, "expires_in": 60, "lead_priority": 2}
    )
    lead = response.json()["lead"]
    assert (lead["expires_at"], lead["lead_priority"]) == ("2026-01-05T16:00:00Z", 2)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hours_to_expire", "soon"),
        ("hours_to_expire", "-1"),
        ("expires_in", "1.5"),
        ("max_contact_attempts", "99999999999"),
        ("lead_priority", "99999999999"),
        ("schedule_callback_in_seconds", "999999999999999999999"),
    ],
)
async def test_bad_integers_are_422(publisher: Publisher, name: str, value: str) -> None:
    response = await publisher.post(caller_id=CALLER, **{name: value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [name]


@pytest.mark.parametrize("word", ["1", "true", "yes", "on", "TRUE", "On"])
async def test_booleans_accept_the_documented_true_words(publisher: Publisher, word: str) -> None:
    lead = await publisher.lead(caller_id=CALLER, blocked=word)
    assert lead["blocked"] is True


@pytest.mark.parametrize("word", ["0", "false", "no", "off"])
async def test_booleans_accept_the_documented_false_words(publisher: Publisher, word: str) -> None:
    lead = await publisher.lead(caller_id=CALLER, blocked=word)
    assert lead["blocked"] is False
    assert lead["status"] == "scheduled"


@pytest.mark.parametrize("word", ["maybe", "2", "y", "enabled"])
async def test_any_other_boolean_word_is_422(publisher: Publisher, word: str) -> None:
    response = await publisher.post(caller_id=CALLER, update_only=word)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "update_only": ["must be a boolean value: 1, true, yes, on, 0, false, no, off"]
    }


async def test_json_booleans_are_accepted(publisher: Publisher) -> None:
    response = await publisher.post_json({"caller_id": CALLER, "blocked": True})
    assert response.json()["lead"]["blocked"] is True


async def test_apply_to_accepts_only_calls(publisher: Publisher) -> None:
    response = await publisher.post(caller_id=CALLER, apply_to="sms")
    assert response.status_code == 422
    assert response.json()["errors"] == {"apply_to": ["must be one of: calls"]}


async def test_auto_format_finds_contact_fields_in_json_inside_a_field(
    publisher: Publisher,
) -> None:
    """A form builder's post: the whole form as a JSON string in one field."""
    response = await publisher.post_json(
        {
            "auto_format_nested_fields": "true",
            "payload": '{"Phone Number": "(719) 313-2645", "Email": "A@B.com", "Zip": "80903"}',
        }
    )
    assert response.status_code == 200, response.text
    lead = response.json()["lead"]
    assert (lead["caller_id"], lead["email"]) == (CALLER, "a@b.com")
    assert lead["data"]["zip"] == "80903"


async def test_auto_format_finds_contact_fields_in_nested_objects(publisher: Publisher) -> None:
    response = await publisher.post_json(
        {
            "auto_format_nested_fields": True,
            "form": {"contact": {"mobile_phone": "719-313-2645", "email_address": "a@b.com"}},
        }
    )
    lead = response.json()["lead"]
    assert (lead["caller_id"], lead["email"]) == (CALLER, "a@b.com")


async def test_without_auto_format_nested_fields_stay_tokens(publisher: Publisher) -> None:
    payload = '{"Phone Number": "(719) 313-2645"}'
    response = await publisher.post_json({"payload": payload})
    lead = response.json()["lead"]
    assert lead["caller_id"] is None
    assert lead["data"] == {"payload": payload}
