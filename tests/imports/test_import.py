"""Every imported row follows the rules of ``POST /api/v1/leads``: normalisation, the
duplicate window, suppression, attribution and tokens; a rejected row carries the API's
message into the errors CSV, and progress commits with the rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.imports import flow
from leadflow.imports.repository import ImportConflictError
from leadflow.imports.service import LeadImporter, Progress
from leadflow.models import Lead, LeadImport, LeadImportStatus
from tests.factories import Factory, Tenant


def _csv(tmp_path: Path, text: str, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _importer(app: FastAPI, clock: FrozenClock, batch_rows: int = 1000) -> LeadImporter:
    state = state_of(app)
    return LeadImporter(
        state.committer, state.owner_cache, clock, max_json_depth=32, batch_rows=batch_rows
    )


async def _import(
    app: FastAPI,
    clock: FrozenClock,
    path: Path,
    token: str,
    mapping: dict[str, str] | None = None,
    batch_rows: int = 1000,
) -> tuple[LeadImport, Progress]:
    record, layout, _ = await flow.open_import(
        state_of(app).sessionmaker, state_of(app).owner_cache, clock, path, token, mapping or {}
    )
    done = await flow.run_import(
        state_of(app).sessionmaker, _importer(app, clock, batch_rows), record, layout
    )
    return record, done


async def _leads(app: FastAPI, tenant: Tenant) -> list[Lead]:
    async with state_of(app).sessionmaker() as session:
        stmt = select(Lead).where(Lead.company_id == tenant.company.id).order_by(Lead.id)
        return list((await session.scalars(stmt)).all())


async def test_rows_become_leads_with_normalised_numbers_and_tokens(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    path = _csv(tmp_path, "Phone,First Name,email\n(202) 555-0101,Ann,ANN@Example.com\n")
    _, done = await _import(
        app, clock, path, schedule.leads_api_key, {"Phone": "caller_id", "First Name": "first_name"}
    )
    assert (done.accepted, done.rejected) == (1, 0)
    [lead] = await _leads(app, tenant)
    assert (lead.caller_id, lead.schedule_id, lead.status) == (
        "+12025550101",
        schedule.id,
        "scheduled",
    )
    assert lead.tokens == {"first_name": "Ann"}
    assert lead.email is not None
    assert lead.email.lower() == "ann@example.com"


async def test_an_imported_row_is_the_lead_the_api_would_store(
    app: FastAPI, clock: FrozenClock, client: httpx.AsyncClient, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    fields = {"caller_id": "202-555-0131", "zip": "10001", "email": "a@example.com"}
    posted = await client.post("/api/v1/leads", json={"lead_token": token, **fields})
    assert posted.status_code == 200
    other = (await factory.schedule(tenant)).leads_api_key
    await _import(
        app, clock, _csv(tmp_path, "caller_id,zip,email\n202-555-0131,10001,a@example.com\n"), other
    )
    api, imported = await _leads(app, tenant)
    keep = ("caller_id", "email", "tokens", "status", "next_action_at")
    assert {k: getattr(api, k) for k in keep} == {k: getattr(imported, k) for k in keep}


async def test_rejected_rows_carry_the_api_message_into_the_errors_csv(
    app: FastAPI, clock: FrozenClock, client: httpx.AsyncClient, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = _csv(tmp_path, "caller_id,name\n2025550141,Ann\nnot a phone,Bob\n2025550142,Cy,extra\n")
    record, done = await _import(app, clock, path, token)
    assert (done.accepted, done.rejected, done.rows_done) == (1, 2, 3)
    answer = await client.post(
        "/api/v1/leads", json={"lead_token": token, "caller_id": "not a phone"}
    )
    api_message = "caller_id: " + answer.json()["errors"]["caller_id"][0]
    out = tmp_path / "errors.csv"
    await flow.write_errors(state_of(app).sessionmaker, record.id, ("caller_id", "name"), out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["row", "error", "caller_id", "name"]
    assert rows[1] == ["3", api_message, "not a phone", "Bob"]
    assert rows[2][:2] == ["4", "the row has 3 values; the header names 2"]


async def test_a_repeated_caller_inside_the_duplicate_window_updates_one_lead(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant, lead_duplicate_timeframe=600)).leads_api_key
    path = _csv(tmp_path, "caller_id,a,b\n2025550151,1,\n2025550151,,2\n")
    _, done = await _import(app, clock, path, token)
    assert done.accepted == 2
    [lead] = await _leads(app, tenant)
    assert lead.tokens == {"a": "1", "b": "2"}


async def test_a_suppressed_number_is_stored_but_never_worked(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    await factory.contact(tenant, "+12025550161", blocked=True)
    await factory.contact(tenant, "+12025550162", dnc=True)
    await _import(app, clock, _csv(tmp_path, "caller_id\n2025550161\n2025550162\n"), token)
    assert [(lead.status, lead.next_action_at) for lead in await _leads(app, tenant)] == [
        ("blocked", None),
        ("dnc", None),
    ]


async def test_traffic_source_and_sub_id_attribute_the_lead(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    source = await factory.traffic_source(tenant, user_traffic_source_id="pub-7")
    path = _csv(tmp_path, "phone,publisher,sub\n2025550171,pub-7,s1\n")
    mapping = {"phone": "caller_id", "publisher": "traffic_source_id", "sub": "sub_id"}
    await _import(app, clock, path, token, mapping)
    [lead] = await _leads(app, tenant)
    assert (lead.traffic_source_id, lead.sub_id) == (source.id, "s1")


async def test_a_row_the_database_refuses_is_rejected_alone(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = _csv(
        tmp_path,
        "caller_id,assign_trackdrive_number\n2025550181,\n2025550182,true\n2025550183,\n",
    )
    _, done = await _import(app, clock, path, token)
    assert (done.accepted, done.rejected) == (2, 1)
    assert [lead.caller_id for lead in await _leads(app, tenant)] == [
        "+12025550181",
        "+12025550183",
    ]


async def test_progress_commits_with_each_batch_and_a_second_runner_cannot_double_rows(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = _csv(tmp_path, "caller_id\n" + "".join(f"20255502{n:02d}\n" for n in range(5)))
    record, layout, _ = await flow.open_import(
        state_of(app).sessionmaker, state_of(app).owner_cache, clock, path, token, {}
    )
    seen: list[int] = []
    importer = _importer(app, clock, batch_rows=2)
    start = Progress(5, 0, 0, 0)
    await importer.run(
        path,
        layout,
        token,
        {},
        import_id=record.id,
        start=start,
        on_batch=lambda progress, _: seen.append(progress.rows_done),
    )
    assert seen == [2, 4, 5]
    with pytest.raises(ImportConflictError):
        await importer.run(path, layout, token, {}, import_id=record.id, start=start)
    assert len(await _leads(app, tenant)) == 5


async def test_the_same_unfinished_import_is_resumed_not_started_again(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = _csv(tmp_path, "caller_id\n2025550191\n2025550192\n")
    first, _, resumed = await flow.open_import(
        state_of(app).sessionmaker, state_of(app).owner_cache, clock, path, token, {}
    )
    again, _, resumed = await flow.open_import(
        state_of(app).sessionmaker, state_of(app).owner_cache, clock, path, token, {}
    )
    assert (again.id, resumed, again.status) == (first.id, True, LeadImportStatus.RUNNING)
    other, _, resumed = await flow.open_import(
        state_of(app).sessionmaker,
        state_of(app).owner_cache,
        clock,
        path,
        token,
        {"caller_id": "phone"},
    )
    assert (other.id != first.id, resumed) == (True, False)


async def test_an_unknown_lead_token_or_column_is_refused_before_anything_is_written(
    app: FastAPI, clock: FrozenClock, factory: Factory, tmp_path: Path
) -> None:
    from leadflow.imports.service import MappingError
    from leadflow.kit.errors import TrackDriveError

    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = _csv(tmp_path, "caller_id\n2025550199\n")
    with pytest.raises(TrackDriveError):
        await flow.open_import(
            state_of(app).sessionmaker, state_of(app).owner_cache, clock, path, "nope", {}
        )
    with pytest.raises(MappingError, match="no column Phone"):
        await flow.open_import(
            state_of(app).sessionmaker,
            state_of(app).owner_cache,
            clock,
            path,
            token,
            {"Phone": "caller_id"},
        )
    _: Any = None
    assert await _leads(app, tenant) == []
