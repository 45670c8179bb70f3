"""``leadflow leads import`` as an operator runs it: a real process, killed with SIGKILL
midway and started again, neither loses nor doubles a row."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from asyncio.subprocess import PIPE
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from leadflow.app_state import state_of
from leadflow.imports.pipeline import HELPER_ROWS
from leadflow.models import Lead, LeadImport
from tests.factories import Factory
from tests.support.cli import LEADFLOW, leadflow_env, run_leadflow
from tests.support.processes import child_pids, gone

ROWS = 6_000


def _numbers(count: int) -> list[str]:
    return [f"+1202{n:07d}" for n in range(5550000, 5550000 + count)]


async def _import_state(app: FastAPI) -> tuple[int, int, int, int]:
    """Leads, distinct callers, and the import's rows done and records."""
    async with state_of(app).sessionmaker() as session:
        leads = await session.scalar(select(func.count()).select_from(Lead))
        callers = await session.scalar(select(func.count(func.distinct(Lead.caller_id))))
        done = await session.scalar(select(func.max(LeadImport.rows_done)))
        records = await session.scalar(select(func.count()).select_from(LeadImport))
    return int(leads or 0), int(callers or 0), int(done or 0), int(records or 0)


async def _kill_after(app: FastAPI, database_url: str, args: list[str], rows: int) -> list[int]:
    """Run ``args``, and SIGKILL it once ``rows`` rows are committed; its child processes
    as they were just before the kill."""
    process = await asyncio.create_subprocess_exec(
        *args, env=leadflow_env(database_url), stdout=PIPE, stderr=PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while (await _import_state(app))[2] < rows:
            assert process.returncode is None, await process.communicate()
            assert time.monotonic() < deadline, "the import never got going"
            await asyncio.sleep(0.01)
        children = child_pids(process.pid)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        await asyncio.wait_for(process.wait(), 30)
    return children


async def test_an_import_killed_midway_resumes_without_losing_or_doubling_a_row(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    # No duplicate window: a row imported twice would be a second lead.
    token = (await factory.schedule(tenant, lead_duplicate_timeframe=0)).leads_api_key
    path = tmp_path / "big.csv"
    path.write_text("phone,n\n" + "".join(f"{p},{i}\n" for i, p in enumerate(_numbers(ROWS))))
    args = [str(LEADFLOW), "leads", "import", str(path), "--lead-token", token]
    args += ["--map", "phone=caller_id", "--batch-rows", "50"]
    await _kill_after(app, database_url, args, 300)
    leads, callers, done, _ = await _import_state(app)
    assert 0 < done < ROWS, "the kill did not land midway"
    assert leads == callers == done

    result = run_leadflow(database_url, *args[1:])
    assert f"resuming after row {done}" in result.stderr
    assert "6000 accepted, 0 rejected" in result.stdout
    assert await _import_state(app) == (ROWS, ROWS, ROWS, 1)


async def test_a_large_import_killed_midway_takes_its_parsing_process_with_it(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    """Past ``HELPER_ROWS`` a second process parses the rows (imports.pipeline); a SIGKILL of
    the import must neither leave that process behind nor lose or double a row."""
    rows = HELPER_ROWS + 5_000
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant, lead_duplicate_timeframe=0)).leads_api_key
    path = tmp_path / "large.csv"
    path.write_text("phone\n" + "".join(f"{p}\n" for p in _numbers(rows)))
    args = [str(LEADFLOW), "leads", "import", str(path), "--lead-token", token]
    args += ["--map", "phone=caller_id", "--batch-rows", "200"]
    helpers = await _kill_after(app, database_url, args, 1_000)
    assert len(helpers) == 1, "the import ran no parsing process"
    deadline = time.monotonic() + 30
    while not gone(helpers[0]):
        assert time.monotonic() < deadline, "the parsing process outlived its import"
        await asyncio.sleep(0.05)
    leads, callers, done, _ = await _import_state(app)
    assert 0 < done < rows, "the kill did not land midway"
    assert leads == callers == done

    result = run_leadflow(database_url, *args[1:])
    assert f"resuming after row {done}" in result.stderr
    assert f"{rows} accepted, 0 rejected" in result.stdout
    assert await _import_state(app) == (rows, rows, rows, 1)


async def test_dry_run_reports_rejections_and_writes_no_lead(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = tmp_path / "few.csv"
    path.write_bytes("caller_id;name\n2025550101;Zoë\nnope;Bob\n".encode("latin-1", "replace"))
    result = run_leadflow(
        database_url, "leads", "import", str(path), "--lead-token", token, "--dry-run"
    )
    assert "Latin-1" in result.stderr
    assert "1 would be accepted, 1 rejected" in result.stdout
    errors = (tmp_path / "few.errors.csv").read_text(encoding="utf-8").splitlines()
    assert errors[0] == "row,error,caller_id,name"
    assert errors[1].startswith("3,caller_id: ")
    assert await _import_state(app) == (0, 0, 0, 0)


async def test_a_bad_file_or_token_is_a_clear_error_not_a_traceback(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = run_leadflow(
        database_url, "leads", "import", str(binary), "--lead-token", token, expect_success=False
    )
    assert (result.returncode, "Traceback" in result.stderr) == (2, False)
    assert "not a CSV file" in result.stderr
    good = tmp_path / "ok.csv"
    good.write_text("caller_id\n2025550101\n")
    result = run_leadflow(
        database_url, "leads", "import", str(good), "--lead-token", "nope", expect_success=False
    )
    assert result.returncode == 2
    assert "--lead-token: lead_token: is not a valid lead token" in result.stderr


async def test_the_progress_bar_shows_rows_per_second_even_for_a_small_file(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = tmp_path / "small.csv"
    path.write_text("caller_id\n2025550101\nnope\n")
    result = run_leadflow(database_url, "leads", "import", str(path), "--lead-token", token)
    bar = [line for line in result.stderr.splitlines() if line.startswith("importing")][-1]
    assert re.search(r" 2/2 [\d,]+ rows/s .* accepted 1 rejected 1$", bar), bar


async def test_a_dry_run_with_a_wrong_token_says_so_before_reading_the_file(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("caller_id\n2025550101\n")
    result = run_leadflow(
        database_url, "leads", "import", str(path), "--lead-token", "nope", "--dry-run",
        expect_success=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --lead-token: lead_token: is not a valid lead token"


async def test_an_errors_path_that_cannot_be_written_is_refused_before_any_row(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant)).leads_api_key
    path = tmp_path / "ok.csv"
    path.write_text("caller_id\n2025550101\nnope\n")
    out = tmp_path / "missing" / "errors.csv"
    result = run_leadflow(
        database_url, "leads", "import", str(path), "--lead-token", token, "--errors", str(out),
        expect_success=False,
    )  # fmt: skip
    assert (result.returncode, "Traceback" in result.stderr) == (2, False)
    assert f"--errors: cannot write {out}" in result.stderr
    assert await _import_state(app) == (0, 0, 0, 0)


async def test_a_second_run_of_a_running_import_stops_with_a_message_and_doubles_nothing(
    app: FastAPI, factory: Factory, database_url: str, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    token = (await factory.schedule(tenant, lead_duplicate_timeframe=0)).leads_api_key
    rows = 20_000
    path = tmp_path / "big.csv"
    path.write_text("phone\n" + "".join(f"{p}\n" for p in _numbers(rows)))
    args = [str(LEADFLOW), "leads", "import", str(path), "--lead-token", token]
    args += ["--map", "phone=caller_id", "--batch-rows", "5"]
    first = await asyncio.create_subprocess_exec(
        *args, env=leadflow_env(database_url), stdout=PIPE, stderr=PIPE
    )
    deadline = time.monotonic() + 60
    while (await _import_state(app))[2] < 50:
        assert first.returncode is None, await first.communicate()
        assert time.monotonic() < deadline, "the import never got going"
        await asyncio.sleep(0.01)
    second = run_leadflow(database_url, *args[1:], expect_success=False)
    _, first_err = await asyncio.wait_for(first.communicate(), 120)
    outcomes = {first.returncode: first_err.decode(), second.returncode: second.stderr}
    assert sorted(outcomes) == [0, 2], outcomes
    assert "error: another process is running this import" in outcomes[2]
    assert "Traceback" not in outcomes[2]
    assert await _import_state(app) == (rows, rows, rows, 1)
