"""Queries of lead imports: the record through the ORM, and the two statements each batch
runs in its own group-commit unit (progress and rejected rows), in plain SQL beside the
intake statements of the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.db.statements import Sql
from leadflow.models import LeadImport, LeadImportError, LeadImportStatus

DRAFT = "draft"
"""A web upload whose columns are being mapped: not an import yet, until it is started."""


class ImportConflictError(RuntimeError):
    """Another runner moved the import on first: this one stops rather than double a row."""


class LeadImportRepository:
    def __init__(self, session: AsyncSession, company_id: int | None = None) -> None:
        self.session = session
        self.company_id = company_id

    def _scoped(self) -> Any:
        stmt = select(LeadImport)
        if self.company_id is not None:
            stmt = stmt.where(LeadImport.company_id == self.company_id)
        return stmt

    async def get(self, import_id: int) -> LeadImport | None:
        stmt = self._scoped().where(LeadImport.id == import_id)
        found: LeadImport | None = (await self.session.scalars(stmt)).first()
        return found

    async def by_uuid(self, uuid: str) -> LeadImport | None:
        found: LeadImport | None = (
            await self.session.scalars(self._scoped().where(LeadImport.uuid == uuid))
        ).first()
        return found

    async def unfinished(self, fingerprint: str) -> LeadImport | None:
        """The same import (same file, token and mapping), started and not finished."""
        stmt = (
            self._scoped()
            .where(
                LeadImport.fingerprint == fingerprint,
                LeadImport.status.in_(LeadImportStatus.UNFINISHED),
            )
            .order_by(LeadImport.id.desc())
        )
        found: LeadImport | None = (await self.session.scalars(stmt)).first()
        return found

    async def recent(self, limit: int = 20) -> Sequence[LeadImport]:
        stmt = self._scoped().order_by(LeadImport.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()

    def add(self, lead_import: LeadImport) -> None:
        self.session.add(lead_import)

    async def errors(self, import_id: int, after_row: int, limit: int) -> Sequence[LeadImportError]:
        """Rejected rows after ``after_row``, in file order (read in pages: constant memory)."""
        stmt = (
            select(LeadImportError)
            .where(LeadImportError.import_id == import_id, LeadImportError.row_number > after_row)
            .order_by(LeadImportError.row_number)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def abandoned_drafts(self, before: datetime, limit: int) -> Sequence[LeadImport]:
        """Uploads created before ``before`` and never started."""
        stmt = (
            self._scoped()
            .where(LeadImport.status == DRAFT, LeadImport.created_at < before)
            .order_by(LeadImport.id)
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def delete(self, lead_import: LeadImport) -> None:
        await self.session.delete(lead_import)

    async def claim_queued(
        self, now: datetime, stale_after: timedelta, uploads: str
    ) -> LeadImport | None:
        """Take the oldest queued import, or an upload (its path starts with ``uploads``) whose
        runner stopped sending progress for ``stale_after`` (a worker killed mid-import), for
        this worker. A stopped ``leadflow leads import`` is not taken: its command, run again,
        resumes it, and would start it afresh (every row again) had a worker finished it."""
        stale = now - stale_after
        waiting = (
            select(LeadImport.id)
            .where(
                or_(
                    LeadImport.status == LeadImportStatus.QUEUED,
                    (LeadImport.status == LeadImportStatus.RUNNING)
                    & (LeadImport.updated_at < stale)
                    & LeadImport.path.startswith(uploads, autoescape=True),
                )
            )
            .order_by(LeadImport.id)
            .limit(1)
        )
        import_id = await self.session.scalar(waiting)
        if import_id is None:
            return None
        claimed = await self.session.execute(
            update(LeadImport)
            .where(
                LeadImport.id == import_id,
                or_(
                    LeadImport.status == LeadImportStatus.QUEUED,
                    LeadImport.updated_at < stale,
                ),
            )
            .values(status=LeadImportStatus.RUNNING, updated_at=now)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            return None
        return await self.get(import_id)


def record_batch(
    sql: Sql,
    import_id: int,
    before: int,
    done: int,
    accepted: int,
    rejected: list[tuple[int, str, list[str]]],
    now: datetime,
) -> None:
    """The batch's progress and rejected rows, in the transaction of its leads. The progress
    moves only from where this runner read it (``before``): a second runner of the same
    import fails here instead of importing its rows twice."""
    moved = sql.run(
        "UPDATE lead_imports SET rows_done = :done, accepted = accepted + :accepted, "
        "rejected = rejected + :rejected, updated_at = :now "
        "WHERE id = :id AND rows_done = :before",
        done=done,
        accepted=accepted,
        rejected=len(rejected),
        now=now,
        id=import_id,
        before=before,
    )
    if moved != 1:
        raise ImportConflictError(f"import {import_id} moved past row {before} elsewhere")
    for row_number, message, values in rejected:
        sql.run(
            "INSERT INTO lead_import_errors (import_id, row_number, message, row_values) "
            "VALUES (:import_id, :row_number, :message, :row_values)",
            import_id=import_id,
            row_number=row_number,
            message=message,
            row_values=values,
        )
