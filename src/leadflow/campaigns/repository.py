"""Queries behind the campaigns and field library APIs; every one is scoped to the company."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, or_, select

from leadflow.db.repository import CompanyRepository
from leadflow.models import Campaign, FieldLabel, Submission


class CampaignRepository(CompanyRepository[Campaign]):
    model = Campaign

    async def by_ref(self, ref: str) -> Campaign | None:
        """The company's campaign whose ``id`` (uuid) or ``code`` is ``ref``."""
        stmt = self.scoped().where(or_(Campaign.uuid == ref, Campaign.code == ref)).limit(1)
        return (await self.session.scalars(stmt)).first()

    async def by_refs(self, refs: Sequence[str]) -> dict[str, Campaign]:
        """Each of ``refs`` that names a campaign of the company, keyed by the ref."""
        if not refs:
            return {}
        stmt = self.scoped().where(or_(Campaign.uuid.in_(refs), Campaign.code.in_(refs)))
        found: dict[str, Campaign] = {}
        for campaign in (await self.session.scalars(stmt)).all():
            for ref in (campaign.uuid, campaign.code):
                if ref in refs:
                    found[ref] = campaign
        return found

    async def code_taken(self, code: str, other_than: int | None) -> bool:
        stmt = select(
            exists().where(
                Campaign.company_id == self.company_id,
                Campaign.code == code,
                Campaign.id != (other_than or 0),
            )
        )
        return bool(await self.session.scalar(stmt))

    async def has_submissions(self, campaign_id: int) -> bool:
        stmt = select(exists().where(Submission.campaign_id == campaign_id))
        return bool(await self.session.scalar(stmt))

    async def all(self) -> Sequence[Campaign]:
        return (await self.session.scalars(self.scoped().order_by(Campaign.id))).all()


class FieldLabelRepository(CompanyRepository[FieldLabel]):
    model = FieldLabel

    async def labels(self) -> dict[str, str]:
        stmt = select(FieldLabel.key, FieldLabel.label).where(
            FieldLabel.company_id == self.company_id
        )
        return {key: label for key, label in (await self.session.execute(stmt)).all()}

    async def clear(self) -> None:
        await self.session.execute(
            delete(FieldLabel).where(FieldLabel.company_id == self.company_id)
        )
