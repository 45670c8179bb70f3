"""An import stores what posting its rows one by one would: the batch intake (``leads.batch``)
against ``POST /api/v1/leads``, row for row.

The same rows go to two owners of one company that start alike: once through an import, once
as posts. The rows hold what intake decides on: duplicates within the file, a caller whose
earlier lead is inside the duplicate window and one whose lead is outside it, an opted-out and
a blocked number, a number on a shared do-not-call list, bad rows, attribution, tokens, a
callback, and rows that ask for more than a plain post (``update_only``), which the batch hands
to intake itself. Both owners must end with the same leads, the same timeline and the same
rejections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.imports import flow
from leadflow.imports.parsing import message, row_fields
from leadflow.imports.service import LeadImporter
from leadflow.kit.csv_reader import inspect
from leadflow.kit.errors import TrackDriveError
from leadflow.models import Lead, LeadEvent
from leadflow.settings import Settings
from tests.dnc.test_checks import import_list
from tests.factories import Factory, Tenant

WINDOW = 600
OLD = "2025550101"  # its earlier lead is outside the window by the time of the import
RECENT = "2025550102"  # its earlier lead is inside the window
OPTED_OUT = "2025550103"
BLOCKED = "2025550104"
LISTED = "2125550123"
HEADER = (
    "caller_id,first_name,zip,email,traffic_source_id,sub_id,update_only,"
    "schedule_callback_in_seconds"
)
ROWS = [
    f"{OLD},Olga,10001,,pub-7,s1,,",
    f"{RECENT},Rita,,,,,,",
    "(202) 555-0111,Ann,10002,ANN@Example.com,pub-7,s2,,",
    "202-555-0111,,10003,,,,,",  # the row above again: the same lead, updated
    f"{OPTED_OUT},Otto,,,,,,",
    f"{BLOCKED},Bea,,,,,,",
    f"{LISTED},Lis,,,,,,",
    "not a phone,Bob,,,,,,",
    "2025550112,Cy,,not-an-email,,,,",
    ",NoPhone,,nophone@example.com,,,,",
    "2025550113,Una,,,,,true,",  # update_only, no lead to update: refused as the API does
    f"{RECENT},,99999,,,,true,",  # update_only on a lead that exists
    f"{RECENT},Rita2,,,,,,",  # and a plain row after it sees what it changed
    "2025550115,Cal,,,,,,3600",
    "2025550114,Cal,,,123,,,3600",  # a traffic source the company does not have
    "2025550111,Ann3,,,,,,",
]


@pytest.fixture
def dnc_dir(tmp_path: Path) -> Path:
    return tmp_path / "dnc"


@pytest.fixture
def settings(database_url: str, dnc_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        dnc_dir=dnc_dir,
        dnc_refresh_seconds=0,
    )


async def _owner_token(factory: Factory, tenant: Tenant, kind: str) -> str:
    if kind == "offer":
        return (await factory.offer(tenant)).leads_api_key
    schedule = await factory.schedule(tenant, lead_duplicate_timeframe=WINDOW)
    return schedule.leads_api_key


async def _post(client: httpx.AsyncClient, fields: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/leads", json=fields)


async def _leads(app: FastAPI, owner: dict[str, Any]) -> list[Lead]:
    async with state_of(app).sessionmaker() as session:
        stmt = select(Lead).filter_by(**owner).order_by(Lead.id)
        return list((await session.scalars(stmt)).all())


async def _timeline(app: FastAPI, leads: list[Lead]) -> list[tuple[int, str, dict[str, Any]]]:
    index = {lead.id: n for n, lead in enumerate(leads)}
    async with state_of(app).sessionmaker() as session:
        stmt = select(LeadEvent).where(LeadEvent.lead_id.in_(index)).order_by(LeadEvent.id)
        events = (await session.scalars(stmt)).all()
    return [(index[event.lead_id], event.kind, event.data) for event in events]


def _seen(lead: Lead) -> dict[str, Any]:
    """What a person sees of a lead (its ids and owner aside)."""
    return {
        name: getattr(lead, name)
        for name in (
            "caller_id",
            "email",
            "status",
            "tokens",
            "next_action_at",
            "schedule_callback_at",
            "traffic_source_id",
            "sub_id",
            "ended_at",
            "created_at",
            "updated_at",
            "action_index",
        )
    }


@pytest.mark.parametrize(
    ("kind", "batch_rows"), [("schedule", 1000), ("schedule", 4), ("offer", 1000)]
)
async def test_an_import_stores_what_posting_each_row_would(
    app: FastAPI,
    client: httpx.AsyncClient,
    clock: FrozenClock,
    factory: Factory,
    tmp_path: Path,
    dnc_dir: Path,
    kind: str,
    batch_rows: int,
) -> None:
    tenant = await factory.tenant()
    await import_list(app, clock, dnc_dir, "federal", "+1" + LISTED)
    await factory.traffic_source(tenant, user_traffic_source_id="pub-7")
    await factory.contact(tenant, "+1" + OPTED_OUT, opt_out=True)
    await factory.contact(tenant, "+1" + BLOCKED, blocked=True)
    posted, imported = (
        await _owner_token(factory, tenant, kind),
        await _owner_token(factory, tenant, kind),
    )
    # The owners' earlier leads: one that will be outside the window, one inside.
    for token in (posted, imported):
        answer = await _post(client, {"lead_token": token, "caller_id": OLD, "n": "1"})
        assert answer.status_code == 200, answer.text
    clock.advance(seconds=WINDOW - 100)
    for token in (posted, imported):
        answer = await _post(client, {"lead_token": token, "caller_id": RECENT, "n": "2"})
        assert answer.status_code == 200, answer.text
    clock.advance(seconds=200)

    path = tmp_path / "leads.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    layout = inspect(path)
    api_rejected: list[tuple[int, str]] = []
    for number, row in enumerate(ROWS, start=2):
        fields = row_fields(layout.header, row.split(","), {})
        answer = await _post(client, {"lead_token": posted, **fields})
        if answer.status_code != 200:
            error = TrackDriveError(answer.status_code, answer.json()["errors"])
            api_rejected.append((number, message(error)))

    record, layout, _ = await flow.open_import(
        state_of(app).sessionmaker, state_of(app).owner_cache, clock, path, imported, {}
    )
    importer = LeadImporter(
        state_of(app).committer,
        state_of(app).owner_cache,
        clock,
        max_json_depth=32,
        batch_rows=batch_rows,
        dnc=state_of(app).worker_context.dnc,
    )
    done = await flow.run_import(state_of(app).sessionmaker, importer, record, layout)
    rejected = [row async for row in flow.rejected_rows(state_of(app).sessionmaker, record.id)]

    assert [(row[0], row[1]) for row in rejected] == api_rejected
    assert done.rejected == len(api_rejected) == 4  # phone, e-mail, update_only, source
    assert done.accepted == len(ROWS) - len(api_rejected)

    async def stored(token: str) -> list[Lead]:
        found = await state_of(app).owner_cache.resolve(token)
        if kind == "schedule":
            return await _leads(app, {"schedule_id": found.schedule_id})
        return await _leads(app, {"offer_id": found.offer_id, "schedule_id": None})

    api_leads, import_leads = await stored(posted), await stored(imported)
    assert [_seen(lead) for lead in import_leads] == [_seen(lead) for lead in api_leads]
    assert await _timeline(app, import_leads) == await _timeline(app, api_leads)

    statuses = {lead.caller_id: lead.status for lead in import_leads}
    expected = {"+1" + OPTED_OUT: "opt_out", "+1" + BLOCKED: "blocked"}
    if kind == "schedule":
        expected["+1" + LISTED] = "dnc"
    assert expected.items() <= statuses.items()
    # The repeated caller is one lead on a schedule (inside the window) and on an offer.
    assert [lead.caller_id for lead in import_leads].count("+12025550111") == 1
    # The old lead, outside the window, was not updated on a schedule: a second lead.
    olds = [lead for lead in import_leads if lead.caller_id == "+1" + OLD]
    assert len(olds) == (2 if kind == "schedule" else 1)
    source = {lead.traffic_source_id for lead in import_leads if lead.sub_id == "s2"}
    assert source != {None}
