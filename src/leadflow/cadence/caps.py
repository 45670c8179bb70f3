"""Per-contact SMS caps: how many texts one number may get per day and per calendar month.

Days and months are the company's (its ``time_zone``), and every outbound text row to the
number counts, whichever schedule or lead wrote it. A text over a cap is **skipped**, not held:
the lead's schedule goes on (its calls and e-mails are not blocked by a text it may not get),
and the lead's timeline shows ``sms_capped`` with the period and the cap. Holding instead could
park a lead for up to a month behind one text.

The counts are read once per company per batch, for all of the batch's numbers at once
(through ``ix_messages_recipient``), and only when a cap is set; texts the batch itself decides
count too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from leadflow.cadence import repository
from leadflow.db.statements import Sql
from leadflow.schedules.calling_hours import zone_named


@dataclass
class SmsCaps:
    sql: Sql
    now: datetime
    daily: int
    monthly: int
    numbers: dict[int, set[str]]
    """The batch's numbers by company: one query covers them all."""
    _counts: dict[int, dict[str, list[int]]] = field(default_factory=dict)

    def reached(self, company_id: int, number: str) -> tuple[str, int] | None:
        """``("day", cap)`` or ``("month", cap)`` when one more text would go over a cap."""
        today, month = self._of(company_id, number)
        if self.daily and today >= self.daily:
            return "day", self.daily
        if self.monthly and month >= self.monthly:
            return "month", self.monthly
        return None

    def count(self, company_id: int, number: str) -> None:
        """One more text to ``number`` decided in this batch."""
        counts = self._of(company_id, number)
        counts[0] += 1
        counts[1] += 1

    def _of(self, company_id: int, number: str) -> list[int]:
        if company_id not in self._counts:
            self._counts[company_id] = self._load(company_id)
        return self._counts[company_id].setdefault(number, [0, 0])

    def _load(self, company_id: int) -> dict[str, list[int]]:
        zone = zone_named(repository.company_time_zone(self.sql, company_id)) or UTC
        local = self.now.astimezone(zone)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        found = repository.sms_counts(
            self.sql, company_id, sorted(self.numbers.get(company_id, ())), day, month
        )
        return {number: [today, total] for number, (today, total) in found.items()}
