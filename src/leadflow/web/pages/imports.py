"""Importing leads from a CSV file in the web app, and exporting the lead list as CSV.

Upload the file (it is stored and read for its encoding, separator and header, nothing more),
see its first rows and map each column to the caller ID, the e-mail, the traffic source, the
sub ID or a token of that name, choose the schedule or offer, and start: the page answers at
once and the worker imports (``imports.job``), a few thousand rows per round. The import's page
refreshes itself while it runs and then shows the result, with the rejected rows as CSV.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import IO

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.companies.repository import CompanyRepository
from leadflow.db.session import SessionDep
from leadflow.imports import flow
from leadflow.imports.job import STALE_AFTER
from leadflow.imports.repository import DRAFT, LeadImportRepository
from leadflow.kit.csv_reader import CsvFileError, CsvLayout, count_rows, inspect, read_rows
from leadflow.kit.csv_writer import csv_chunks, csv_response
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import csv_export
from leadflow.leads.records.listing import LEAD_LISTING
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import LeadImport, LeadImportStatus
from leadflow.models.base import new_uuid
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.repository import ScheduleRepository
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.pages.leads import LeadFilters, lead_query
from leadflow.web.rendering import page, redirect, zone_of

router = APIRouter(include_in_schema=False)
PREVIEW_ROWS = 5
FIELDS = (
    ("caller_id", "Caller ID"),
    ("email", "E-mail"),
    ("traffic_source_id", "Traffic source"),
    ("sub_id", "Sub ID"),
)
TOKEN, SKIP = "token", "skip"
EXACT = {
    "caller_id": ("caller id", "phone", "phone number", "mobile", "mobile number"),
    "email": ("email", "e mail", "email address", "e mail address"),
    "traffic_source_id": ("traffic source id", "traffic source", "publisher"),
    "sub_id": ("sub id", "subid"),
}
LIKELY = {
    "caller_id": re.compile(r"phone|tele?fon|\b(mobile|cell|tel)\b"),
    "email": re.compile("mail"),
}
"""What in a header says what it holds, when no header is the field's exact name."""


def guesses(header: Sequence[str]) -> list[str]:
    """The field each column most likely fills, from the headers: a column named as the field
    first (``caller_id`` before ``Phone``), else the first whose header says it (``Mobile
    Phone``, ``Email Address``); each field for one column, every other a token of its name."""
    names = [" ".join(re.split(r"[\s_-]+", column.strip().lower())) for column in header]
    chosen = [SKIP if name == "lead token" else TOKEN for name in names]
    for field, exact in EXACT.items():
        named = [
            (exact.index(n), i) for i, n in enumerate(names) if n in exact and chosen[i] == TOKEN
        ]
        fits = [i for _, i in sorted(named)]
        likely = LIKELY.get(field)
        fits = fits or [
            i
            for i, name in enumerate(names)
            if chosen[i] == TOKEN and likely is not None and likely.search(name)
        ]
        if fits:
            chosen[fits[0]] = field
    return chosen


def _store(source: IO[bytes], destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def _preview(path: Path, layout: CsvLayout) -> list[list[str]]:
    return [values for _, values in islice(read_rows(path, layout), PREVIEW_ROWS)]


async def _targets(db: SessionDep, user: WebUser) -> list[tuple[str, str]]:
    """Schedules and offers a file may be imported into, as ``schedule:ID``/``offer:ID``."""
    schedules = await ScheduleRepository(db, user.company_id).list()
    offers = await OfferRepository(db, user.company_id).list()
    return [(f"schedule:{s.id}", f"Schedule: {s.name}") for s in schedules] + [
        (f"offer:{o.id}", f"Offer: {o.name} (store the data only)") for o in offers
    ]


async def _index(
    request: Request, user: WebUser, db: SessionDep, error: str | None = None
) -> Response:
    imports = await LeadImportRepository(db, user.company_id).recent()
    return page(
        request,
        "imports/index.html",
        status_code=422 if error else 200,
        user=user,
        imports=[i for i in imports if i.status != DRAFT],
        errors={"file": [error]} if error else {},
    )


@router.get("/imports")
async def imports(request: Request, user: UserDep, db: SessionDep) -> Response:
    return await _index(request, user, db)


@router.post("/imports")
async def upload(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    """Store the file and read its layout; the mapping comes next."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _index(request, user, db, "Choose a CSV file to upload.")
    uuid = new_uuid()
    path = (Path(app_state(request).settings.import_dir) / f"{uuid}.csv").resolve()
    await asyncio.to_thread(_store, upload.file, path)
    try:
        layout = await asyncio.to_thread(inspect, path)
        # Every row read once now: a broken row anywhere is this page's error, not a failed
        # preview or import later, and the count is the progress bar's total.
        total = await asyncio.to_thread(count_rows, path, layout)
    except CsvFileError as exc:
        path.unlink(missing_ok=True)
        return await _index(request, user, db, f"{upload.filename}: {exc}.")
    now = clock.now()
    record = LeadImport(
        uuid=uuid,
        company_id=user.company_id,
        lead_token="",
        filename=Path(upload.filename).name[:255],
        path=str(path),
        fingerprint="",
        mapping={},
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        status=DRAFT,
        total_rows=total,
        rows_done=0,
        accepted=0,
        rejected=0,
        created_at=now,
        updated_at=now,
    )
    LeadImportRepository(db, user.company_id).add(record)
    return redirect(request, f"/imports/{uuid}")


async def _record(db: SessionDep, user: WebUser, uuid: str) -> LeadImport:
    record = await LeadImportRepository(db, user.company_id).by_uuid(uuid)
    if record is None:
        raise PageNotFoundError
    return record


_GONE = "{}: the uploaded file is no longer there; upload it again."


async def _draft_layout(db: SessionDep, record: LeadImport) -> CsvLayout | None:
    """The upload's layout, read again from its file; None when the file is gone (a folder
    emptied by a restart), and the upload with it."""
    try:
        return await asyncio.to_thread(inspect, Path(record.path))
    except CsvFileError:
        await LeadImportRepository(db).delete(record)
        await db.flush()
        return None


async def _mapping_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    record: LeadImport,
    errors: dict[str, list[str]] | None = None,
    chosen: dict[str, str] | None = None,
) -> Response:
    path = Path(record.path)
    layout = await _draft_layout(db, record)
    if layout is None:
        return await _index(request, user, db, _GONE.format(record.filename))
    choices: list[tuple[str, str]] = [*FIELDS, (TOKEN, "A token of this name"), (SKIP, "Skip")]
    guessed = guesses(layout.header)
    columns = [
        (index, name, (chosen or {}).get(f"map_{index}", guessed[index]))
        for index, name in enumerate(layout.header)
    ]
    return page(
        request,
        "imports/map.html",
        status_code=422 if errors else 200,
        user=user,
        record=record,
        layout=layout,
        rows=await asyncio.to_thread(_preview, path, layout),
        columns=columns,
        choices=choices,
        targets=await _targets(db, user),
        target=(chosen or {}).get("target", ""),
        errors=errors or {},
    )


@router.get("/imports/{ref}")
async def show(
    request: Request, ref: str, user: UserDep, db: SessionDep, clock: ClockDep
) -> Response:
    record = await _record(db, user, ref)
    if record.status == DRAFT:
        return await _mapping_page(request, user, db, record)
    percent = 100 * record.rows_done // record.total_rows if record.total_rows else 100
    running = record.status in LeadImportStatus.UNFINISHED
    uploads = await asyncio.to_thread(Path(app_state(request).settings.import_dir).resolve)
    # A stopped command-line import is no worker's to finish (imports.job): say whose it is.
    stalled = (
        running
        and Path(record.path).parent != uploads
        and record.updated_at < clock.now() - STALE_AFTER
    )
    return page(
        request,
        "imports/show.html",
        user=user,
        record=record,
        percent=percent,
        running=running,
        stalled=stalled,
    )


async def _token(db: SessionDep, user: WebUser, target: str) -> tuple[str, str] | None:
    """The chosen schedule's or offer's lead token, and where its leads are listed."""
    kind, _, ref = target.partition(":")
    if kind == "schedule" and ref.isdigit():
        schedule = await ScheduleRepository(db, user.company_id).get(ref)
        if schedule is not None:
            return schedule.leads_api_key, f"/leads?schedule_id={schedule.id}"
    if kind == "offer" and ref.isdigit():
        offer = await OfferRepository(db, user.company_id).get(ref)
        if offer is not None:
            return offer.leads_api_key, "/leads"
    return None


def _mapping_errors(header: Sequence[str], choices: Sequence[str]) -> dict[str, list[str]]:
    """A choice the form does not offer, or a field chosen for a second column (its values
    would overwrite the first column's), by the form's field name."""
    labels = dict(FIELDS)
    first: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for index, (column, choice) in enumerate(zip(header, choices, strict=True)):
        if choice not in labels and choice not in (TOKEN, SKIP):
            errors[f"map_{index}"] = ["Choose one of the options."]
        elif choice in labels and choice in first:
            text = f"{labels[choice]} is already column “{first[choice]}”: choose one column."
            errors[f"map_{index}"] = [text]
        else:
            first.setdefault(choice, column)
    return errors


@router.post("/imports/{ref}/start")
async def start(
    request: Request, ref: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    """Queue the import for the worker, with its mapping and its schedule or offer."""
    record = await _record(db, user, ref)
    if record.status != DRAFT:
        return redirect(request, f"/imports/{ref}")
    chosen = {name: str(value) for name, value in form.items() if isinstance(value, str)}
    found = await _token(db, user, chosen.get("target", ""))
    if found is None:
        errors = {"target": ["Choose the schedule or offer the leads go to."]}
        return await _mapping_page(request, user, db, record, errors, chosen)
    layout = await _draft_layout(db, record)
    if layout is None:
        return await _index(request, user, db, _GONE.format(record.filename))
    mapping: dict[str, str] = {}
    guessed = guesses(layout.header)
    choices = [chosen.get(f"map_{index}", guessed[index]) for index in range(len(layout.header))]
    errors = _mapping_errors(layout.header, choices)
    if errors:
        return await _mapping_page(request, user, db, record, errors, chosen)
    for column, choice in zip(layout.header, choices, strict=True):
        if choice == SKIP:
            mapping[column] = ""
        else:
            # Every column is named, a token under its own name, so the mapping also keeps
            # the file's header (for the errors CSV, once the file is gone).
            mapping[column] = column if choice == TOKEN else choice
    if "lead_token" in layout.header:
        mapping["lead_token"] = ""
    record.lead_token = found[0]
    record.mapping = flow.check_mapping(layout.header, mapping)
    record.fingerprint = await asyncio.to_thread(
        flow.import_fingerprint, Path(record.path), record.lead_token, record.mapping
    )
    if record.total_rows is None:
        record.total_rows = await asyncio.to_thread(count_rows, Path(record.path), layout)
    record.status, record.updated_at = LeadImportStatus.QUEUED, clock.now()
    return redirect(request, f"/imports/{ref}")


@router.get("/imports/{ref}/errors.csv")
async def rejected(request: Request, ref: str, user: UserDep, db: SessionDep) -> Response:
    """The rejected rows: row number, the API's message, then the file's own columns."""
    record = await _record(db, user, ref)
    header = tuple(record.mapping)
    rows = flow.rejected_rows(app_state(request).sessionmaker, record.id)
    name = f"{Path(record.filename).stem}.errors.csv"
    return csv_response(csv_chunks(flow.rejected_header(header), rows), name)


@router.get("/leads/export.csv")
async def export_leads(
    request: Request,
    user: UserDep,
    db: SessionDep,
    q: str = "",
    status: str = "",
    schedule_id: str = "",
    traffic_source_id: str = "",
    sub_id: str = "",
    created_from: str = "",
    created_to: str = "",
    dir: str = "desc",
) -> Response:
    """Every lead the leads list's current filters match (not just the page shown), as CSV."""
    filters = LeadFilters(
        q, status, schedule_id, traffic_source_id, sub_id, created_from, created_to, "id", dir
    )
    query, errors = lead_query(filters, zone_of(user))
    if errors:
        raise TrackDriveError(422, errors)
    company = await CompanyRepository(db).get(user.company_id)
    return csv_export(
        app_state(request).sessionmaker,
        LEAD_LISTING,
        replace(query, serializer=None),
        LeadRecordRepository(db, user.company_id).scoped(),
        filename="leads.csv",
        region=company.default_region if company else "US",
    )
