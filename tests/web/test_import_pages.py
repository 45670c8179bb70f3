"""The web app's import pages over HTTP: a file that cannot be read is refused at upload with
its reason, and an import's rejected rows download under the file's own columns, whether the
import was started here or with ``leadflow leads import``."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.imports import flow
from leadflow.imports.job import LeadImportJob
from leadflow.imports.service import LeadImporter
from leadflow.models import Lead, LeadImport, LeadImportStatus
from leadflow.settings import Settings
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=0.3,
        import_dir=str(tmp_path / "uploads"),
    )


async def _upload(browser: httpx.AsyncClient, name: str, data: bytes) -> httpx.Response:
    form = await browser.get("/imports")
    return await browser.post(
        "/imports",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": (name, data, "text/csv")},
    )


@pytest.mark.parametrize(
    ("data", "row"),
    [
        (b'phone,notes\n2025550101,"never closed\n', 2),
        (b"phone,notes\n" + b"2025550101,ok\n" * 20 + b'2025550102,"oops"x\n', 22),
    ],
    ids=["in-the-preview", "past-the-preview"],
)
async def test_a_file_with_a_broken_row_is_refused_at_upload_with_its_row(
    browser: httpx.AsyncClient, signed_in: Person, data: bytes, row: int
) -> None:
    answer = await _upload(browser, "broken.csv", data)
    assert answer.status_code == 422
    assert f"broken.csv: row {row} cannot be read" in answer.text


async def test_rejected_rows_of_a_command_line_import_download_under_the_files_columns(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    factory: Factory,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    token = (await factory.schedule(signed_in.tenant)).leads_api_key
    path = tmp_path / "leads.csv"
    path.write_text("Phone,First Name,Notes\n2025550101,Ann,\nnot a phone,Bob,call back\n")
    state = state_of(app)
    record, layout, _ = await flow.open_import(
        state.sessionmaker, state.owner_cache, clock, path, token, {"Phone": "caller_id"}
    )
    importer = LeadImporter(state.committer, state.owner_cache, clock, max_json_depth=32)
    await flow.run_import(state.sessionmaker, importer, record, layout)
    answer = await browser.get(f"/imports/{record.uuid}/errors.csv")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["row", "error", "Phone", "First Name", "Notes"]
    assert rows[1][0] == "3"
    assert rows[1][2:] == ["not a phone", "Bob", "call back"]


async def test_an_upload_never_started_is_deleted_with_its_file_a_day_later(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    clock: FrozenClock,
    settings: Settings,
) -> None:
    answer = await _upload(browser, "later.csv", b"phone\n2025550101\n")
    assert answer.status_code == 303
    page = answer.headers["location"]
    stored = [*Path(settings.import_dir).iterdir()]  # noqa: ASYNC240
    assert len(stored) == 1
    job = LeadImportJob()
    context = state_of(app).worker_context
    clock.advance(hours=23)
    assert await job(context) == 0
    assert (await browser.get(page)).status_code == 200
    clock.advance(hours=2)
    assert await job(context) == 1
    assert not stored[0].exists()
    assert (await browser.get(page)).status_code == 404


async def test_the_mapping_page_guesses_each_field_once_from_headers_that_say_it(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    header = "Home Phone,Mobile Phone,Email Address,Cancellation,Sub ID,lead_token"
    answer = await _upload(browser, "crm.csv", f"{header}\n2025550101,,a@b.co,no,s1,x\n".encode())
    mapping = await browser.get(answer.headers["location"])
    chosen = re.findall(r'<option value="([a-z_]+)" selected>', mapping.text)
    assert chosen[:6] == ["caller_id", "token", "email", "token", "sub_id", "skip"]


async def test_a_stopped_command_line_import_is_left_to_its_command_a_stopped_upload_taken_up(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    factory: Factory,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    """A worker that finished a killed ``leadflow leads import`` made the command, run again,
    import every row a second time (the import was no longer unfinished)."""
    schedule = await factory.schedule(signed_in.tenant)
    state = state_of(app)
    path = tmp_path / "cli.csv"
    path.write_text("caller_id\n" + "".join(f"20255501{n:02d}\n" for n in range(5)))
    record, layout, _ = await flow.open_import(
        state.sessionmaker, state.owner_cache, clock, path, schedule.leads_api_key, {}
    )
    answer = await _upload(browser, "web.csv", b"caller_id\n2025550190\n")
    mapping = await browser.get(answer.headers["location"])
    await browser.post(
        answer.headers["location"] + "/start",
        data={"csrf_token": csrf_of(mapping.text), "target": f"schedule:{schedule.id}"},
    )
    async with state.sessionmaker() as session:
        upload = (await session.scalars(select(LeadImport).where(LeadImport.id != record.id))).one()
        upload.status = LeadImportStatus.RUNNING  # as a worker killed mid-import left it
        await session.commit()
    clock.advance(minutes=2)
    job = LeadImportJob()
    assert await job(state.worker_context) == 1  # the upload's one row
    assert await job(state.worker_context) == 0
    importer = LeadImporter(state.committer, state.owner_cache, clock, max_json_depth=32)
    again, layout, resumed = await flow.open_import(
        state.sessionmaker, state.owner_cache, clock, path, schedule.leads_api_key, {}
    )
    assert (again.id, resumed, again.rows_done) == (record.id, True, 0)
    done = await flow.run_import(state.sessionmaker, importer, again, layout)
    assert (done.accepted, done.rows_done) == (5, 5)
    async with state.sessionmaker() as session:
        leads = await session.scalar(select(func.count()).select_from(Lead))
    assert leads == 6


async def test_a_field_chosen_for_two_columns_or_an_unoffered_choice_is_refused(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    answer = await _upload(browser, "two.csv", b"Home,Mobile,Notes\n2025550101,2025550102,x\n")
    page = answer.headers["location"]
    mapping = await browser.get(page)
    refused = await browser.post(
        page + "/start",
        data={
            "csrf_token": csrf_of(mapping.text),
            "map_0": "caller_id",
            "map_1": "caller_id",
            "map_2": "lead_token",
            "target": f"schedule:{schedule.id}",
        },
    )
    assert refused.status_code == 422
    assert "Caller ID is already column “Home”: choose one column." in refused.text
    assert "Choose one of the options." in refused.text
    assert "Map the columns of two.csv" in (await browser.get(page)).text


async def test_a_stopped_command_line_import_says_to_run_its_command_again(
    app: FastAPI,
    browser: httpx.AsyncClient,
    signed_in: Person,
    factory: Factory,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    token = (await factory.schedule(signed_in.tenant)).leads_api_key
    path = tmp_path / "cli.csv"
    path.write_text("caller_id\n2025550101\n")
    state = state_of(app)
    record, _, _ = await flow.open_import(
        state.sessionmaker, state.owner_cache, clock, path, token, {}
    )
    shown = await browser.get(f"/imports/{record.uuid}")
    assert "Importing: 0 of 1 rows" in shown.text
    assert "Run the same command again" not in shown.text
    clock.advance(minutes=2)
    shown = await browser.get(f"/imports/{record.uuid}")
    assert "has not moved for a minute" in shown.text
    assert "Run the same command again: it resumes after row 0." in shown.text


async def test_an_upload_whose_file_is_gone_asks_for_it_again(
    browser: httpx.AsyncClient, signed_in: Person, settings: Settings
) -> None:
    answer = await _upload(browser, "gone.csv", b"phone\n2025550101\n")
    for stored in [*Path(settings.import_dir).iterdir()]:  # noqa: ASYNC240
        stored.unlink()
    shown = await browser.get(answer.headers["location"])
    assert shown.status_code == 422
    assert "gone.csv: the uploaded file is no longer there; upload it again." in shown.text
    assert (await browser.get(answer.headers["location"])).status_code == 404
