"""Migration 0020 counts a submission in the state of its address, and a ping/post sale's
price as revenue: the submissions a database already counted move to that state, with their
price, when it upgrades, and back when it downgrades, so the triggers that later take them
away find them where they were added."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.db.migrate import alembic_config, upgrade
from leadflow.models import Company, Submission, SubmittedLead
from tests.support.cli import empty_database

NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)


async def _counted(url: str) -> dict[str, tuple[int, ...]]:
    """Submissions, delivered, rejected and revenue (cents) per counted state (states counted
    nothing left out), and the same four summed over the hourly roll-up under ``"*"``."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT state, sum(submissions), sum(submissions_delivered), "
                    "sum(submissions_rejected), sum(revenue_cents) FROM report_counters "
                    "GROUP BY state"
                )
            )
            counted = {r[0]: tuple(int(v) for v in r[1:]) for r in rows if any(r[1:])}
            total = (
                await conn.execute(
                    text(
                        "SELECT sum(submissions), sum(submissions_delivered), "
                        "sum(submissions_rejected), sum(revenue_cents) FROM report_totals"
                    )
                )
            ).one()
            counted["*"] = tuple(int(v) for v in total)
            return counted
    finally:
        await engine.dispose()


async def _submit(url: str) -> int:
    """A submission made through the LeadSail API (its state in ``address``), sold at an
    auction for $7.25, and one whose data has the state at its top; the id of the first."""
    engine = create_engine(url, pool_size=1)
    stamps = {"created_at": NOW, "updated_at": NOW}
    try:
        async with make_sessionmaker(engine)() as session:
            company = Company(name="Shop", **stamps)
            session.add(company)
            await session.flush()
            lead = SubmittedLead(company_id=company.id, **stamps)
            session.add(lead)
            await session.flush()
            api = Submission(company_id=company.id, lead_id=lead.id, number=1,
                             status="delivered", data={"address": {"state": "CO"}},
                             delivery={"revenue": 7.25}, **stamps)  # fmt: skip
            other = Submission(company_id=company.id, lead_id=lead.id, number=2,
                               status="new", data={"state": "Texas"}, **stamps)  # fmt: skip
            session.add_all([api, other])
            await session.commit()
            return api.id
    finally:
        await engine.dispose()


async def _reject(url: str, submission_id: int) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            row = await session.get(Submission, submission_id)
            assert row is not None
            row.status = "rejected"
            await session.commit()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_counted_submissions_move_to_the_state_of_their_address(
    engine: str, tmp_path: Path, postgres_server: str | None
) -> None:
    url = await empty_database(engine, tmp_path, postgres_server)
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0019")
    api = await _submit(url)
    assert await _counted(url) == {"": (1, 1, 0, 0), "TEXAS": (1, 0, 0, 0), "*": (2, 1, 0, 0)}

    upgrade(url)
    moved = {"CO": (1, 1, 0, 725), "TEXAS": (1, 0, 0, 0), "*": (2, 1, 0, 725)}
    assert await _counted(url) == moved

    await _reject(url, api)  # the update trigger takes it from CO's delivered
    moved = {"CO": (1, 0, 1, 725), "TEXAS": (1, 0, 0, 0), "*": (2, 0, 1, 725)}
    assert await _counted(url) == moved

    await asyncio.to_thread(command.downgrade, alembic_config(url), "0019")
    back = {"": (1, 0, 1, 0), "TEXAS": (1, 0, 0, 0), "*": (2, 0, 1, 0)}
    assert await _counted(url) == back
