"""The campaigns one batch works with, parsed once and found by id, uuid or code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from leadflow.campaigns.config import CampaignConfig
from leadflow.db.statements import Row
from leadflow.models.campaign import CampaignStatus


@dataclass(frozen=True)
class Campaign:
    id: int
    uuid: str
    code: str
    name: str
    company_id: int
    status: str
    time_zone: str
    duplicate_window_days: int
    config: CampaignConfig

    @property
    def active(self) -> bool:
        return self.status == CampaignStatus.ACTIVE


@dataclass
class ConfigCache:
    """Parsed configurations by (campaign id, updated_at): validating a campaign document costs
    far more than the rest of a lead's trip, and campaigns change rarely."""

    entries: dict[int, tuple[datetime | None, CampaignConfig]] = field(default_factory=dict)

    def config(self, row: Row) -> CampaignConfig:
        hit = self.entries.get(row["id"])
        if hit is not None and hit[0] == row["updated_at"]:
            return hit[1]
        parsed = CampaignConfig.model_validate(row["config"] or {})
        if len(self.entries) > 10_000:
            self.entries.clear()
        self.entries[row["id"]] = (row["updated_at"], parsed)
        return parsed


@dataclass
class CampaignBook:
    by_id: dict[int, Campaign] = field(default_factory=dict)
    _by_ref: dict[tuple[int, str], Campaign] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[Row], cache: ConfigCache) -> CampaignBook:
        book = cls()
        for row in rows:
            campaign = Campaign(
                id=row["id"],
                uuid=row["uuid"],
                code=row["code"],
                name=row["name"],
                company_id=row["company_id"],
                status=row["status"],
                time_zone=row["time_zone"],
                duplicate_window_days=int(row["duplicate_window_days"] or 0),
                config=cache.config(row),
            )
            book.add(campaign)
        return book

    @property
    def runs_templates(self) -> bool:
        """Whether planning with these campaigns runs a user's template (a dynamic key)."""
        return any(
            key.kind == "template"
            for campaign in self.by_id.values()
            for key in campaign.config.dynamic_keys
        )

    def add(self, campaign: Campaign) -> None:
        self.by_id[campaign.id] = campaign
        self._by_ref[(campaign.company_id, campaign.code)] = campaign
        self._by_ref[(campaign.company_id, campaign.uuid)] = campaign

    def resolve(self, company_id: int, ref: str | None) -> Campaign | None:
        """The company's campaign named by uuid (or code), whatever its status."""
        if not ref:
            return None
        return self._by_ref.get((company_id, ref))
