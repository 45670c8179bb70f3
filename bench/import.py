# ruff: noqa: N999 (the issue names the file bench/import.py)
"""CSV import and export speed at a million leads, on SQLite.

Writes a CSV file of ``--rows`` leads (caller ID, first and last name, zip, a publisher's sub
ID), then, each phase in a process of its own so that its peak RSS is its own:

- **import**: the file into a schedule through ``leadflow leads import``'s own code
  (``imports.flow``: sniffing, counting, fingerprint, every row through intake's parse in a
  second process when the machine has a second core, the shared do-not-call lists and the
  batch intake ``leads.batch``, batches of 1,000 committed with their progress); rows/s, rows
  per CPU-second of both processes, and the peak RSS of each;
- **export**: every lead of the company through ``format=csv``'s own streaming
  (``kit.listing.export``: keyset steps, tokens spread into columns), bytes counted and thrown
  away; seconds and peak RSS.

    .venv/bin/python -m bench.import [--rows 1000000] [--database PATH]

The figures and what they mean: docs/import-export.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.migrate import upgrade
from leadflow.demo import create_company_now
from leadflow.dnc.registry import DncRegistry
from leadflow.imports import flow
from leadflow.imports.pipeline import spare_core
from leadflow.imports.service import LeadImporter
from leadflow.kit.listing import ListQuery, plan
from leadflow.kit.listing.export import BATCH, _chunks
from leadflow.leads.owner import OwnerCache
from leadflow.leads.records.listing import LEAD_LISTING
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import Offer, Schedule
from leadflow.models.base import new_uuid


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class HelperMemory:
    """The peak RSS of this process's children (the import's parsing process), read from
    ``/proc`` twice a second while the import runs. ``RUSAGE_CHILDREN`` would report the
    parent's size instead: a child starts as a copy of it, until it runs Python anew."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> HelperMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for task in Path(f"/proc/{os.getpid()}/task").iterdir():
                for pid in (task / "children").read_text().split():
                    self.peak_kb = max(self.peak_kb, _high_water_kb(pid))


def _high_water_kb(pid: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _cpu_seconds() -> float:
    """This process's CPU time and its finished children's: the import's parsing process."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("phone,first_name,last_name,zip,sub\n")
        for n in range(rows):
            out.write(f"+1202{2000000 + n:07d},Ann{n},Smith,{10000 + n % 90000},s{n % 50}\n")


async def make_schedule(database_url: str) -> str:
    created = await create_company_now(database_url, "Import bench")
    engine = create_engine(database_url)
    now = SystemClock().now()
    try:
        async with make_sessionmaker(engine)() as session:
            stamps: dict[str, Any] = {"created_at": now, "updated_at": now}
            offer = Offer(
                company_id=created.company.id,
                name="Bench",
                leads_api_key=new_uuid().replace("-", ""),
                **stamps,
            )
            session.add(offer)
            await session.flush()
            token = new_uuid().replace("-", "")
            session.add(
                Schedule(
                    company_id=created.company.id,
                    offer_id=offer.id,
                    name="Bench",
                    actions=[],
                    leads_api_key=token,
                    **stamps,
                )
            )
            await session.commit()
            return token
    finally:
        await engine.dispose()


async def import_phase(database_url: str, path: Path, token: str) -> dict[str, float]:
    engine = create_engine(database_url)
    committer = GroupCommitter(engine)
    sessionmaker = make_sessionmaker(engine)
    clock = SystemClock()
    owners = OwnerCache(engine)
    dnc = DncRegistry(engine, path.parent / "dnc", 60)
    try:
        started = time.perf_counter()
        record, layout, _ = await flow.open_import(
            sessionmaker, owners, clock, path, token, {"phone": "caller_id", "sub": "sub_id"}
        )
        prepared = time.perf_counter()
        cpu = _cpu_seconds()
        # As the CLI: every number screened against the shared lists (none loaded here).
        importer = LeadImporter(
            committer, owners, clock, max_json_depth=32, dnc=dnc, helper_process=spare_core()
        )
        gc.collect()  # as the command does before it starts (imports.command)
        gc.freeze()
        with HelperMemory() as helper:
            done = await flow.run_import(sessionmaker, importer, record, layout)
        ended = time.perf_counter()
        cpu = _cpu_seconds() - cpu
    finally:
        dnc.close()
        await committer.close()
        await engine.dispose()
    return {
        "rows": done.rows_done,
        "accepted": done.accepted,
        "seconds": ended - started,
        "read_seconds": prepared - started,
        "rows_per_second": done.rows_done / (ended - prepared),
        "rows_per_second_overall": done.rows_done / (ended - started),
        # On a machine other work shares, rows per second of CPU time (both processes')
        # says what the code costs; the wall-clock rate says what was had.
        "rows_per_cpu_second": done.rows_done / cpu,
        "peak_rss_mb": _peak_rss_mb(),
        "helper_peak_rss_mb": helper.peak_kb / 1024,
    }


async def export_phase(database_url: str) -> dict[str, float]:
    engine = create_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            company_id = await session.scalar(select(Schedule.company_id).limit(1))
        assert company_id is not None
        async with sessionmaker() as session:
            base = LeadRecordRepository(session, company_id).scoped()
        listing = plan(LEAD_LISTING, ListQuery(cursor=-1, per_page=BATCH))
        started = time.perf_counter()
        size = 0
        async for chunk in _chunks(sessionmaker, LEAD_LISTING, listing, base, "US"):
            size += len(chunk)
        ended = time.perf_counter()
    finally:
        await engine.dispose()
    return {"seconds": ended - started, "megabytes": size / 1e6, "peak_rss_mb": _peak_rss_mb()}


def _phase(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.import", *args], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--phase", choices=("import", "export"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "import":
        url = f"sqlite:///{args.database}"
        print(json.dumps(asyncio.run(import_phase(url, args.file, args.token))))
        return
    if args.phase == "export":
        print(json.dumps(asyncio.run(export_phase(f"sqlite:///{args.database}"))))
        return
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database or Path(scratch) / "bench.db"
        url = f"sqlite:///{database}"
        upgrade(url)
        token = asyncio.run(make_schedule(url))
        path = Path(scratch) / "leads.csv"
        write_csv(path, args.rows)
        print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB of CSV", flush=True)
        base = ["--database", str(database)]
        imported = _phase(["--phase", "import", "--file", str(path), "--token", token, *base])
        overall, read = imported["rows_per_second_overall"], imported["read_seconds"]
        print(
            f"import: {imported['rows_per_second']:,.0f} rows/s importing ({overall:,.0f} rows/s "
            f"with the {read:.1f} s of sniffing, counting and fingerprinting), "
            f"{imported['seconds']:.1f} s, peak RSS {imported['peak_rss_mb']:.0f} MB "
            f"(parsing process {imported['helper_peak_rss_mb']:.0f} MB); "
            f"{imported['rows_per_cpu_second']:,.0f} rows per CPU-second of both processes",
            flush=True,
        )
        exported = _phase(["--phase", "export", *base])
        print(
            f"export: {args.rows:,} leads in {exported['seconds']:.1f} s "
            f"({exported['megabytes']:.0f} MB), peak RSS {exported['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
