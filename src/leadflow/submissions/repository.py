"""Queries behind the LeadSail lead API; every one is scoped to the company (by its filter,
or by the lead or campaign row the caller already scoped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, true

from leadflow.db.repository import CompanyRepository
from leadflow.db.statements import Row, Sql
from leadflow.models import Campaign, Submission, SubmittedLead


@dataclass(frozen=True)
class LeadFilter:
    """``GET /leads``: every given filter must hold; ``before_id`` is the cursor's row id."""

    campaign_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    search: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    before_id: int | None = None


class SubmittedLeadRepository(CompanyRepository[SubmittedLead]):
    model = SubmittedLead

    async def by_uuid(self, lead_id: str, *, for_update: bool = False) -> SubmittedLead | None:
        """The lead; ``for_update`` locks its row (PostgreSQL) so that two submissions of one
        lead take numbers one after the other (SQLite's ``BEGIN IMMEDIATE`` already does)."""
        stmt = self.scoped().where(SubmittedLead.uuid == lead_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def next_number(self, lead_id: int) -> int:
        stmt = select(func.max(Submission.number)).where(Submission.lead_id == lead_id)
        return int((await self.session.scalar(stmt)) or 0) + 1

    async def latest_submission(self, lead_id: int) -> Submission | None:
        stmt = (
            select(Submission)
            .where(Submission.lead_id == lead_id)
            .order_by(Submission.number.desc())
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first()

    async def submissions(self, lead_id: int) -> Sequence[Submission]:
        """Newest first."""
        stmt = (
            select(Submission)
            .where(Submission.lead_id == lead_id)
            .order_by(Submission.number.desc())
        )
        return (await self.session.scalars(stmt)).all()

    def _matching(self, where: LeadFilter) -> Select[SubmittedLead]:
        """The company's leads that every given filter holds for, in no order."""
        stmt = self.scoped()
        if where.campaign_ids:
            stmt = stmt.where(SubmittedLead.campaign_id.in_(where.campaign_ids))
        if where.statuses:
            stmt = stmt.where(SubmittedLead.status.in_(where.statuses))
        if where.search:
            pattern = "%" + _escaped(where.search.lower()) + "%"
            stmt = stmt.where(
                or_(
                    *(
                        func.lower(column).like(pattern, escape="\\")
                        for column in (
                            SubmittedLead.first_name,
                            SubmittedLead.last_name,
                            SubmittedLead.email,
                            SubmittedLead.phone,
                            SubmittedLead.uuid,
                        )
                    )
                )
            )
        if where.start is not None:
            stmt = stmt.where(SubmittedLead.created_at >= where.start)
        if where.end is not None:
            stmt = stmt.where(SubmittedLead.created_at < where.end)
        if where.before_id is not None:
            stmt = stmt.where(SubmittedLead.id < where.before_id)
        return stmt

    async def page(self, where: LeadFilter, limit: int) -> Sequence[SubmittedLead]:
        """Newest first, at most ``limit`` rows."""
        stmt = self._matching(where).order_by(SubmittedLead.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def data_keys(self, where: LeadFilter, limit: int) -> list[str]:
        """The distinct top-level keys of the matching leads' ``data``, sorted, at most
        ``limit`` (a CSV export makes one column of each)."""
        dialect = self.session.get_bind().dialect.name
        matching = self._matching(where).with_only_columns(SubmittedLead.data).subquery()
        each_name = "jsonb_each" if dialect == "postgresql" else "json_each"
        each = getattr(func, each_name)(matching.c.data).table_valued("key", "value")
        stmt = (
            select(each.c.key)
            .select_from(matching.join(each, true()))
            .distinct()
            .order_by(each.c.key)
            .limit(limit)
        )
        return [str(key) for key in (await self.session.scalars(stmt)).all()]

    async def campaign_uuids(self, ids: Iterable[int | None]) -> dict[int, str]:
        """Campaign row id → uuid, for showing the campaigns rows refer to."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        stmt = select(Campaign.id, Campaign.uuid).where(
            Campaign.company_id == self.company_id, Campaign.id.in_(wanted)
        )
        return {row_id: uuid for row_id, uuid in (await self.session.execute(stmt)).all()}

    def add_submission(self, submission: Submission) -> None:
        self.session.add(submission)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The write path: plain SQL run inside a group-committed unit (see ``db.group_commit``), so
# concurrent submissions share one transaction and one commit. Rows are inserted by the
# pipeline's own ``insert_submitted_lead`` and ``insert_submission``: one insert per table.

_CAMPAIGN = (
    "SELECT id, uuid, code, status FROM campaigns "
    "WHERE company_id = :company_id AND (uuid = :ref OR code = :ref) LIMIT 1"
)
_LEAD = (
    "SELECT id, uuid, campaign_id, status, data FROM submitted_leads "
    "WHERE company_id = :company_id AND uuid = :uuid"
)
_LATEST_SUBMISSION = (
    "SELECT number, status, campaign_id FROM submissions "
    "WHERE lead_id = :lead_id ORDER BY number DESC LIMIT 1"
)


def campaign_row(sql: Sql, company_id: int, ref: str) -> Row | None:
    """The company's campaign whose uuid or code is ``ref``: ``id, uuid, code, status``."""
    return sql.one(_CAMPAIGN, company_id=company_id, ref=ref)


def field_labels(sql: Sql, company_id: int, keys: Sequence[str]) -> dict[str, str]:
    """The field library's labels of ``keys`` (those it has)."""
    if not keys:
        return {}
    params = {f"k{i}": key for i, key in enumerate(keys)}
    listed = ", ".join(f":{name}" for name in params)
    statement = (
        f"SELECT key, label FROM field_labels WHERE company_id = :company_id AND key IN ({listed})"
    )
    rows = sql.all(statement, company_id=company_id, **params)
    return {row["key"]: row["label"] for row in rows}


def lead_row(sql: Sql, company_id: int, lead_uuid: str) -> Row | None:
    """The lead, its row locked on PostgreSQL so that its submissions are numbered one after
    the other across processes (SQLite has one writer)."""
    suffix = " FOR UPDATE" if sql.dialect == "postgresql" else ""
    return sql.one(_LEAD + suffix, company_id=company_id, uuid=lead_uuid)


def latest_submission_row(sql: Sql, lead_id: int) -> Row | None:
    return sql.one(_LATEST_SUBMISSION, lead_id=lead_id)


def update_lead(sql: Sql, lead_id: int, values: Mapping[str, Any]) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    sql.run(
        f"UPDATE submitted_leads SET {assignments} WHERE id = :lead_id", lead_id=lead_id, **values
    )
