"""Rows as the planner sees them, and schedules parsed once per version, not once per lead."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from leadflow.db.statements import Row
from leadflow.dnc.policy import DEFAULT_SCHEDULE_DNC, ScheduleDnc, schedule_dnc
from leadflow.schedules.actions import Action, parse_actions
from leadflow.schedules.calling_hours import lead_whereabouts
from leadflow.schedules.config import ScheduleConfig
from leadflow.schedules.planner import ContactState, LeadState, ScheduleState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkedSchedule:
    id: int
    company_id: int
    offer_id: int
    state: ScheduleState
    config: ScheduleConfig
    end_actions: tuple[Action, ...]
    valid: bool = True
    dnc: ScheduleDnc = DEFAULT_SCHEDULE_DNC


class ScheduleCache:
    """Parsed schedules keyed by id and ``updated_at``: an edit is seen on the next batch."""

    def __init__(self) -> None:
        self._parsed: dict[int, tuple[datetime, WorkedSchedule]] = {}

    def get(self, row: Row) -> WorkedSchedule:
        cached = self._parsed.get(row["id"])
        if cached is not None and cached[0] == row["updated_at"]:
            return cached[1]
        worked = _parse(row)
        self._parsed[row["id"]] = (row["updated_at"], worked)
        return worked


def _parse(row: Row) -> WorkedSchedule:
    """A schedule saved through the API always parses; one that does not (edited by hand, or
    written by an older version) works no action and ends its leads visibly, never crashes."""
    try:
        config = ScheduleConfig.model_validate(
            {
                "calling_hours": row["calling_hours"] or {},
                "end_actions": row["end_actions"] or [],
                "dial_order": row["dial_order"] or "fifo",
                "real_time_priority": row["real_time_priority"],
            }
        )
        actions = parse_actions(row["actions"] or [])
        valid = True
    except ValidationError:
        log.exception("schedule %s has invalid actions or settings", row["id"])
        config, actions, valid = ScheduleConfig(), (), False
    state = ScheduleState(
        actions=actions,
        time_zone=row["time_zone"] or "America/New_York",
        calling_hours=config.calling_hours,
    )
    return WorkedSchedule(
        id=row["id"],
        company_id=row["company_id"],
        offer_id=row["offer_id"],
        state=state,
        config=config,
        end_actions=tuple(config.end_actions),
        valid=valid,
        dnc=schedule_dnc(row.get("dnc_settings")),
    )


def lead_state(lead: Row) -> LeadState:
    tokens = lead["tokens"] or {}
    zone, state = lead_whereabouts(tokens)
    return LeadState(
        action_index=lead["action_index"],
        status=lead["status"],
        caller_id=lead["caller_id"],
        email=lead["email"],
        tokens=tokens,
        time_zone=zone,
        state_province=state,
        contact_attempts=lead["contact_attempts"],
        connected_calls=lead["calls_connected"],
        max_contact_attempts=lead["max_contact_attempts"],
        expires_at=lead["expires_at"],
        schedule_callback_at=lead["schedule_callback_at"],
        lead_priority=lead["lead_priority"],
        sub_id=lead["sub_id"],
        traffic_source_id=lead["traffic_source_id"],
    )


def contact_state(flags: Row | None) -> ContactState:
    if flags is None:
        return ContactState()
    return ContactState(
        blocked=bool(flags["blocked"]), opt_out=bool(flags["opt_out"]), dnc=bool(flags["dnc"])
    )
