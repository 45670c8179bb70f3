"""Calling hours follow the lead's clock and the law of where the lead may be."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.schedules.calling_hours import (
    calling_rules,
    is_within_calling_hours,
    next_open_time,
    state_of_number,
    zone_named,
    zones_of_number,
)
from leadflow.schedules.config import CallingHours, DayHours
from leadflow.schedules.state_hours import state_code

NEW_YORK = "+12125550100"
MIAMI = "+13055550100"
OKLAHOMA_CITY = "+14055550100"
DENVER = "+17193132645"
TOLL_FREE = "+18004506787"
HOURS = CallingHours()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def rules(
    caller_id: str | None,
    time_zone: str | None = None,
    state: str | None = None,
    schedule_zone: str = "America/New_York",
    hours: CallingHours = HOURS,
):  # type: ignore[no-untyped-def]
    return calling_rules(caller_id, time_zone, state, schedule_zone, hours)


def test_zone_comes_from_the_area_code() -> None:
    assert zones_of_number(DENVER) == ("America/Denver",)


def test_toll_free_number_says_nothing_about_zone() -> None:
    assert zones_of_number(TOLL_FREE) == ()


def test_uk_mobile_number_is_on_london_time() -> None:
    assert "Europe/London" in zones_of_number("+447911123456")
    assert rules("+447911123456").zones == zones_of_number("+447911123456")


def test_country_that_keeps_one_clock_reveals_it_for_any_number() -> None:
    # UK freephone: only the country is known, and the UK keeps one clock.
    assert "Europe/London" in zones_of_number("+448081570000")


def test_mobile_prefix_names_the_zone_in_a_country_of_many() -> None:
    assert zones_of_number("+79161234567") == ("Europe/Moscow",)


def test_state_comes_from_the_area_code() -> None:
    assert (state_of_number(MIAMI), state_of_number(NEW_YORK)) == ("FL", "NY")


def test_common_zone_names_are_understood() -> None:
    assert zone_named("Eastern Time (US & Canada)") == zone_named("America/New_York")
    assert zone_named("Not/AZone") is None


def test_number_without_zone_uses_time_zone_token() -> None:
    assert rules(TOLL_FREE, time_zone="America/Los_Angeles").zones == ("America/Los_Angeles",)


def test_lead_without_any_evidence_uses_schedule_zone() -> None:
    assert rules(None, schedule_zone="America/Chicago").zones == ("America/Chicago",)


def test_invalid_time_zone_token_is_ignored() -> None:
    assert rules(DENVER, time_zone="Mars/Olympus").zones == ("America/Denver",)


def test_open_at_ten_local() -> None:
    # 2026-01-05 is a Monday; 15:00 UTC is 10:00 in New York.
    assert is_within_calling_hours(rules(NEW_YORK), utc(2026, 1, 5, 15))


def test_closed_at_seven_local() -> None:
    assert not is_within_calling_hours(rules(NEW_YORK), utc(2026, 1, 5, 12))


def test_same_instant_differs_by_lead_zone() -> None:
    # 14:30 UTC is 09:30 in New York but 07:30 in Denver.
    instant = utc(2026, 1, 5, 14, 30)
    assert is_within_calling_hours(rules(NEW_YORK), instant)
    assert not is_within_calling_hours(rules(DENVER), instant)


def test_close_is_exclusive() -> None:
    assert not is_within_calling_hours(rules(NEW_YORK), utc(2026, 1, 6, 2))  # 21:00 EST


def test_florida_closes_at_eight() -> None:
    # 01:30 UTC Tuesday is 20:30 Monday in Miami and New York.
    instant = utc(2026, 1, 6, 1, 30)
    assert is_within_calling_hours(rules(NEW_YORK), instant)
    assert not is_within_calling_hours(rules(MIAMI), instant)


def test_oklahoma_closes_at_eight() -> None:
    assert not is_within_calling_hours(rules(OKLAHOMA_CITY), utc(2026, 1, 6, 2, 30))  # 20:30 CST


def test_state_token_adds_its_law() -> None:
    instant = utc(2026, 1, 6, 1, 30)  # 20:30 in New York
    assert not is_within_calling_hours(rules(NEW_YORK, state="Florida"), instant)


def test_schedule_cannot_open_before_the_law() -> None:
    early = CallingHours(monday=DayHours(open="0600", close="2300"))
    assert not is_within_calling_hours(rules(NEW_YORK, hours=early), utc(2026, 1, 5, 12))


def test_lead_in_two_zones_needs_both_open() -> None:
    # A Denver number whose token says New York: 09:30 in New York is 07:30 in Denver.
    both = rules(DENVER, time_zone="America/New_York")
    assert not is_within_calling_hours(both, utc(2026, 1, 5, 14, 30))
    assert next_open_time(both, utc(2026, 1, 5, 14, 30)) == utc(2026, 1, 5, 15)


def test_next_open_is_now_when_open() -> None:
    now = utc(2026, 1, 5, 15)
    assert next_open_time(rules(NEW_YORK), now) == now


def test_next_open_is_eight_local_the_same_morning() -> None:
    assert next_open_time(rules(NEW_YORK), utc(2026, 1, 5, 11)) == utc(2026, 1, 5, 13)


def test_next_open_after_close_is_tomorrow_morning() -> None:
    assert next_open_time(rules(DENVER), utc(2026, 1, 6, 5)) == utc(2026, 1, 6, 15)


def test_next_open_skips_closed_weekend() -> None:
    weekdays = CallingHours(saturday=DayHours(closed=True), sunday=DayHours(closed=True))
    friday_night = utc(2026, 1, 10, 3)  # Friday 22:00 in New York
    assert next_open_time(rules(NEW_YORK, hours=weekdays), friday_night) == utc(2026, 1, 12, 13)


def test_next_open_across_spring_forward_is_eight_daylight_time() -> None:
    # 2026-03-08: New York moves to EDT (UTC-4) at 02:00; 08:00 EDT is 12:00 UTC.
    assert next_open_time(rules(NEW_YORK), utc(2026, 3, 8, 5)) == utc(2026, 3, 8, 12)


def test_next_open_across_fall_back_is_eight_standard_time() -> None:
    # 2026-11-01: back to EST (UTC-5); 08:00 EST is 13:00 UTC.
    assert next_open_time(rules(NEW_YORK), utc(2026, 11, 1, 4)) == utc(2026, 11, 1, 13)


def test_never_open_hours_have_no_next_open_time() -> None:
    # Open only on Sundays, in Alabama, where Sunday calls are unlawful.
    closed = {"closed": True}
    sundays = CallingHours.model_validate(
        {day: closed for day in CallingHours.model_fields if day != "sunday"}
    )
    assert next_open_time(rules("+12055550100", hours=sundays), utc(2026, 1, 5, 15)) is None


def test_state_token_is_read_in_any_common_form() -> None:
    assert [
        state_code(t) for t in ("fl", "Florida", "Miami, FL", "Washington State", "Narnia")
    ] == [
        "FL",
        "FL",
        "FL",
        "WA",
        None,
    ]
