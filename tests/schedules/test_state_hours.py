"""The stricter states' windows, through the lead's own number and clock."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.schedules.calling_hours import calling_rules, is_within_calling_hours
from leadflow.schedules.config import CallingHours
from leadflow.schedules.state_hours import FEDERAL_WEEK, legal_week

PITTSBURGH = "+14125550100"  # Pennsylvania, America/New_York
LOUISVILLE = "+15025550100"  # Kentucky, America/New_York
DETROIT = "+13135550100"  # Michigan, America/Detroit
LAS_VEGAS = "+17025550100"  # Nevada, America/Los_Angeles
DENVER = "+17193132645"  # Colorado: the federal window only


def open_at(caller_id: str, moment: datetime) -> bool:
    rules = calling_rules(caller_id, None, None, "America/New_York", CallingHours())
    return is_within_calling_hours(rules, moment)


def test_pennsylvania_is_not_called_on_sunday_before_half_past_one() -> None:
    sunday_noon = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # 12:00 in Pittsburgh
    sunday_1330 = datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    monday_noon = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert not open_at(PITTSBURGH, sunday_noon)
    assert open_at(PITTSBURGH, sunday_1330)
    assert open_at(PITTSBURGH, monday_noon)
    assert open_at(DENVER, datetime(2026, 11, 22, 19, 0, tzinfo=UTC)), "Sunday noon in Denver"


def test_kentucky_opens_at_ten_michigan_at_nine_nevada_closes_at_eight() -> None:
    at_0930_eastern = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    at_0830_eastern = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert not open_at(LOUISVILLE, at_0930_eastern)
    assert open_at(LOUISVILLE, datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    assert not open_at(DETROIT, at_0830_eastern)
    assert open_at(DETROIT, at_0930_eastern)
    at_2030_pacific = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    assert not open_at(LAS_VEGAS, at_2030_pacific)
    assert open_at(LAS_VEGAS, datetime(2026, 11, 24, 3, 30, tzinfo=UTC))


def test_a_lead_that_may_be_in_two_states_gets_the_narrower_of_both() -> None:
    week = legal_week(("KY", "PA"))
    assert week[0] == (10 * 60, 21 * 60)
    assert week[6] == (13 * 60 + 30, 21 * 60)
    assert legal_week(()) == FEDERAL_WEEK
