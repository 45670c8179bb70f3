"""The worker's claim shares its leads out among the companies with leads due, and each
company's share among its running schedules: a company that imported a backlog of leads due at
once does not hold up a lead another company posted since, nor a lead of its own other
schedule. ``fair_claim`` and ``claimed`` are plain logic; the claim is checked on both
engines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from leadflow.cadence.repository import claim_due_leads, claimed, fair_claim
from leadflow.db.engine import create_engine
from leadflow.db.group_commit import GroupCommitter
from leadflow.models import Lead
from leadflow.models.base import new_uuid
from leadflow.settings import Settings
from tests.factories import Factory, Tenant


def _queues(**due: int) -> dict[int, list[tuple[int, int]]]:
    """Each company's due leads as (due order, company), oldest first."""
    return {
        company: [(n * 10 + company, company) for n in range(count)]
        for company, count in ((int(name[1:]), count) for name, count in due.items())
    }


def _claimed(queues: dict[int, list[tuple[int, int]]], limit: int) -> list[tuple[int, int]]:
    def take(company: int, count: int, already: list[tuple[int, int]]) -> list[tuple[int, int]]:
        rest = [lead for lead in queues[company] if lead not in already]
        return rest[:count]

    return fair_claim(list(queues), take, limit, lambda lead: lead[0])


def _per_company(claimed: list[tuple[int, int]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for _due, company in claimed:
        counts[company] = counts.get(company, 0) + 1
    return counts


def test_a_backlog_leaves_room_for_every_other_company() -> None:
    claimed = _claimed(_queues(c1=1_000_000 // 1000, c2=3, c3=0), 10)
    assert _per_company(claimed) == {1: 7, 2: 3}


def test_what_one_company_leaves_goes_to_the_others() -> None:
    claimed = _claimed(_queues(c1=50, c2=50, c3=1), 20)
    assert _per_company(claimed) == {1: 10, 2: 9, 3: 1}
    assert len(claimed) == 20


def test_the_claim_comes_back_oldest_due_first_and_never_twice() -> None:
    claimed = _claimed(_queues(c1=40, c2=5, c3=2), 30)
    assert claimed == sorted(claimed)
    assert len(set(claimed)) == len(claimed) == 30


def test_fewer_leads_due_than_the_limit_are_all_claimed() -> None:
    claimed = _claimed(_queues(c1=4, c2=2), 200)
    assert _per_company(claimed) == {1: 4, 2: 2}


def test_a_company_s_share_is_shared_among_its_schedules() -> None:
    """Company 1's schedule 11 holds a backlog; its schedule 12 and company 2's schedule 21
    have a lead or two each. Leads are (due order, schedule)."""
    queues = {11: [(n, 11) for n in range(100)], 12: [(500, 12)], 21: [(600, 21), (601, 21)]}

    def take(schedule: int, count: int, already: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [lead for lead in queues[schedule] if lead not in already][:count]

    heads = [(1, 11), (1, 12), (2, 21)]  # oldest due first
    leads = claimed(heads, take, 10, lambda lead: lead[0])

    by_schedule = {s: sum(1 for _d, where in leads if where == s) for s in queues}
    assert by_schedule == {11: 7, 12: 1, 21: 2}
    assert leads == sorted(leads)


async def _due_leads(
    factory: Factory, tenant: Tenant, count: int, minutes_ago: int, **fields: Any
) -> None:
    schedule = await factory.schedule(tenant, **fields)
    now = factory.clock.now()
    rows: list[dict[str, Any]] = [
        {
            "company_id": tenant.company.id,
            "offer_id": schedule.offer_id,
            "schedule_id": schedule.id,
            "caller_id": f"+1719555{n:04d}",
            "status": "scheduled",
            "tokens": {},
            "uuid": new_uuid(),
            "next_action_at": now - timedelta(minutes=minutes_ago, seconds=n),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    async with factory.sessionmaker() as session:
        await session.run_sync(lambda sync: sync.bulk_insert_mappings(Lead, rows))  # type: ignore[arg-type]
        await session.commit()


async def test_a_lead_posted_after_another_company_s_backlog_is_claimed_at_once(
    factory: Factory, settings: Settings
) -> None:
    backlog, newcomer = await factory.tenant(), await factory.tenant()
    await _due_leads(factory, backlog, 30, minutes_ago=60)  # due for an hour
    await _due_leads(factory, backlog, 30, minutes_ago=120, paused=True)  # never claimed
    await _due_leads(factory, newcomer, 2, minutes_ago=0)
    engine = create_engine(settings.database_url)
    committer = GroupCommitter(engine)
    try:
        now = factory.clock.now()
        claimed = await committer.run(lambda sql: claim_due_leads(sql, now, 10, 60))
    finally:
        await committer.close()
        await engine.dispose()

    companies = [lead["company_id"] for lead in claimed]
    assert companies.count(newcomer.company.id) == 2
    assert companies.count(backlog.company.id) == 8
    due = [lead["next_action_at"] for lead in claimed]
    assert due == sorted(due)
