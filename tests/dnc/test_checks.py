"""The shared lists where a user meets them: make_call's guard, the check API, the internal
list, and the stale-federal warning on /healthz."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from leadflow.app_state import state_of
from leadflow.channels.simulated import SimulatedVoice
from leadflow.clock import FrozenClock
from leadflow.dnc import service
from leadflow.models import LeadStatus
from tests.cadence.conftest import Cadence
from tests.calls.dialing.conftest import make_call
from tests.factories import Factory
from tests.telephony.builders import Builder

LISTED = "+17193132645"
NEW_YORK = "+12125550123"


async def import_list(
    app: FastAPI, clock: FrozenClock, directory: Path, name: str, *numbers: str
) -> None:
    source = directory.parent / f"{name.replace(':', '-')}.txt"
    source.write_text("".join(n[-10:] + "\n" for n in numbers))
    await service.run_import(state_of(app).sessionmaker, directory, clock, source, name, "full")


async def test_make_call_refuses_a_federally_listed_number_naming_the_list(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    build: Builder,
    voice: SimulatedVoice,
    clock: FrozenClock,
    dnc_dir: Path,
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    tenant = await factory.tenant()
    schedule = await factory.schedule(tenant)
    lead = await build.lead(tenant, schedule, LISTED)
    answer = await make_call(client, tenant, {"lead_id": lead.id})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error_code"] == "suppressed"
    assert answer.json()["errors"] == {"to": ["is on the federal (version 1) do-not-call list"]}
    assert list(voice.sent) == []
    other = await make_call(client, tenant, {"schedule_id": schedule.id, "to": "+17193132646"})
    assert other.status_code == 200, other.text


async def test_check_names_each_list_and_version_and_the_internal_list(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    await import_list(app, clock, dnc_dir, "litigator", LISTED)
    await import_list(app, clock, dnc_dir, "litigator", LISTED, "+13105550000")
    tenant = await factory.tenant()
    answer = await client.get(
        "/api/v1/dnc/check", params={"number": "719-313-2645"}, headers=tenant.auth
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["dnc_check"]["lists"] == [
        {"name": "federal", "version": 1, "unavailable": False},
        {"name": "litigator", "version": 2, "unavailable": False},
    ]
    number = "+13125550199"
    added = await client.post(f"/api/v1/dnc/internal/{number}", headers=tenant.auth)
    assert added.status_code == 200, added.text
    check = await client.get("/api/v1/dnc/check", params={"number": number}, headers=tenant.auth)
    assert check.json()["dnc_check"]["lists"] == [
        {"name": "internal", "version": None, "unavailable": False}
    ]
    removed = await client.delete(f"/api/v1/dnc/internal/{number}", headers=tenant.auth)
    assert removed.status_code == 200
    check = await client.get("/api/v1/dnc/check", params={"number": number}, headers=tenant.auth)
    assert check.json()["dnc_check"] == {"number": number, "listed": False, "lists": []}


async def test_lists_and_healthz_warn_when_federal_is_older_than_31_days(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    tenant = await factory.tenant()
    assert "warnings" not in (await client.get("/healthz")).json()
    clock.advance(days=32)
    lists = (await client.get("/api/v1/dnc/lists", headers=tenant.auth)).json()["dnc"]
    assert [(item["name"], item["age_days"]) for item in lists["lists"]] == [("federal", 32)]
    assert lists["warning"] == "the federal do-not-call list is 32 days old (over 31)"
    assert (await client.get("/healthz")).json()["warnings"] == [lists["warning"]]


async def test_a_node_missing_the_file_refuses_the_number_and_says_why(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", LISTED)
    remove_files(dnc_dir, "federal-*.dnc")
    tenant = await factory.tenant()
    check = await client.get(
        "/api/v1/dnc/check", params={"number": "+13105550000"}, headers=tenant.auth
    )
    assert check.json()["dnc_check"]["lists"] == [
        {"name": "federal", "version": 1, "unavailable": True}
    ]
    warnings = (await client.get("/healthz")).json()["warnings"]
    assert len(warnings) == 1
    assert warnings[0].startswith("federal version 1: federal-")


def remove_files(directory: Path, pattern: str) -> None:
    """As on a node the file was never copied to."""
    for path in directory.glob(pattern):
        path.unlink()


async def test_a_list_updated_mid_cadence_stops_the_next_call(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    schedule = await cadence.schedule(
        [{"type": "sms", "body": "hi"}, {"type": "wait", "hours": 1}, {"type": "call"}]
    )
    lead = await cadence.post_lead(schedule, caller_id=NEW_YORK)
    await cadence.work()
    assert [m.to for m in cadence.sms.sent] == [NEW_YORK]
    await import_list(app, clock, dnc_dir, "state:NY", NEW_YORK)
    clock.advance(hours=2)
    await cadence.work()
    assert await cadence.calls(lead["id"]) == []
    assert list(cadence.voice.sent) == []
    assert (await cadence.lead(lead["id"])).status == LeadStatus.DNC


async def test_a_listed_number_gets_no_text_from_the_cadence(
    app: FastAPI, cadence: Cadence, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "litigator", NEW_YORK)
    schedule = await cadence.schedule([{"type": "sms", "body": "hi"}])
    lead = await cadence.post_lead(schedule, caller_id=NEW_YORK)
    await cadence.work()
    assert list(cadence.sms.sent) == []
    assert (await cadence.lead(lead["id"])).status == LeadStatus.DNC
