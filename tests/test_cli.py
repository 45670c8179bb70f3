"""The ``leadflow`` command, run as a real process against a real database on each engine."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, inspect, select

from leadflow.app import create_app
from leadflow.companies.keys import hash_private_key
from leadflow.db.engine import create_engine
from leadflow.models import ApiKey, Base, Company, Schedule
from leadflow.settings import Settings
from tests.support.cli import empty_database, run_leadflow


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> str:
    """A database with no tables yet: the state a first `make run` finds."""
    return await empty_database(request.param, tmp_path, postgres_server)


async def _scalar(database_url: str, statement: object) -> object:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(statement)  # type: ignore[call-overload]
    finally:
        await engine.dispose()


async def _table_names(database_url: str) -> set[str]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _served(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=database_url, embedded_worker=False, db_pool_size=2))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://leadflow.test") as c:
            yield c


async def test_db_upgrade_creates_every_table_and_can_run_again(empty_url: str) -> None:
    result = run_leadflow(empty_url, "db", "upgrade")
    assert "latest revision" in result.stdout
    assert set(Base.metadata.tables) <= await _table_names(empty_url)
    run_leadflow(empty_url, "db", "upgrade")


async def test_companies_create_prints_the_new_key_pair_as_json(empty_url: str) -> None:
    result = run_leadflow(empty_url, "companies", "create", "--name", "Acme Leads", "--json")
    created = json.loads(result.stdout)
    assert set(created) == {"id", "name", "public_key", "private_key"}
    assert created["name"] == "Acme Leads"
    assert await _scalar(empty_url, select(Company.name).where(Company.id == created["id"])) == (
        "Acme Leads"
    )


async def test_private_keys_are_stored_only_as_hashes(empty_url: str) -> None:
    made = [
        json.loads(run_leadflow(empty_url, "companies", "create", "--name", n, "--json").stdout)
        for n in ("A", "B")
    ]
    assert made[0]["private_key"] != made[1]["private_key"]
    for created in made:
        stored = await _scalar(
            empty_url,
            select(ApiKey.private_key_hash).where(ApiKey.public_key == created["public_key"]),
        )
        assert stored == hash_private_key(created["private_key"])
        assert created["private_key"] not in str(stored)


async def test_created_key_pair_opens_the_company_api(empty_url: str) -> None:
    created = json.loads(
        run_leadflow(empty_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    auth = (created["public_key"], created["private_key"])
    async for client in _served(empty_url):
        response = await client.post("/api/v1/offers", json={"name": "Auto"}, auth=auth)
        assert response.status_code == 200, response.text
        wrong = await client.get("/api/v1/offers", auth=(created["public_key"], "nope"))
        assert wrong.status_code == 401


async def test_companies_create_without_json_prints_readable_lines(empty_url: str) -> None:
    result = run_leadflow(empty_url, "companies", "create", "--name", "Acme")
    assert re.search(r"^public_key: lfpub_\w+$", result.stdout, re.MULTILINE)
    assert re.search(r"^private_key: \S+$", result.stdout, re.MULTILINE)


def _demo_token(output: str) -> str:
    match = re.search(r"schedule lead token: (\w+)", output)
    assert match, output
    return match.group(1)


async def test_demo_prints_keys_a_lead_token_and_curl_examples(
    empty_url: str, tmp_path: Path
) -> None:
    result = run_leadflow(
        empty_url, "demo", "--credentials", str(tmp_path / "demo.json"), "--port", "8123"
    )
    out = result.stdout
    token = _demo_token(out)
    assert re.search(r"public key: +lfpub_\w+", out)
    assert re.search(r"private key: +lfprv_\S+", out)
    assert f'curl -X POST "http://127.0.0.1:8123/api/v1/leads?lead_token={token}' in out
    assert 'curl -H "Content-Type: application/json"' in out
    assert (
        await _scalar(empty_url, select(Schedule.id).where(Schedule.leads_api_key == token))
        is not None
    )


async def test_demo_env_points_at_the_port_the_demo_was_served_on(
    empty_url: str, tmp_path: Path
) -> None:
    """`PORT=8765 make run` in one terminal, `eval "$(leadflow demo --env)"` in another (no
    $PORT there): the examples must reach the server on 8765, not 8000."""
    stored = str(tmp_path / "demo.json")
    run_leadflow(empty_url, "demo", "--credentials", stored, "--port", "8765")
    env = run_leadflow(empty_url, "demo", "--env", "--credentials", stored).stdout
    assert "export LEADFLOW_URL=http://127.0.0.1:8765\n" in env
    env = run_leadflow(empty_url, "demo", "--env", "--credentials", stored).stdout
    assert "export LEADFLOW_URL=http://127.0.0.1:8765\n" in env, "remembered once, not twice"
    again = run_leadflow(empty_url, "demo", "--env", "--credentials", stored, "--port", "9001")
    assert "export LEADFLOW_URL=http://127.0.0.1:9001\n" in again.stdout


async def test_demo_lead_token_enrols_a_lead(empty_url: str, tmp_path: Path) -> None:
    token = _demo_token(
        run_leadflow(empty_url, "demo", "--credentials", str(tmp_path / "demo.json")).stdout
    )
    async for client in _served(empty_url):
        response = await client.post(
            "/api/v1/leads", params={"lead_token": token, "caller_id": "+18004506787"}
        )
        assert response.status_code == 200, response.text


async def test_demo_runs_again_with_the_same_company_and_the_same_keys(
    empty_url: str, tmp_path: Path
) -> None:
    first = run_leadflow(empty_url, "demo", "--credentials", str(tmp_path / "demo.json")).stdout
    second = run_leadflow(empty_url, "demo", "--credentials", str(tmp_path / "demo.json")).stdout
    assert _demo_token(first) == _demo_token(second)
    assert await _scalar(empty_url, select(func.count(Company.id))) == 1
    keys = re.compile(r"public key: +(\S+)\nprivate key: +(\S+)")
    first_keys, second_keys = keys.search(first), keys.search(second)
    assert first_keys
    assert second_keys
    assert first_keys.groups() == second_keys.groups()
    assert await _scalar(empty_url, select(func.count(ApiKey.id))) == 1
    async for client in _served(empty_url):
        listed = await client.get("/api/v1/schedules", auth=first_keys.groups())
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["schedules"]) == 1


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--name", " ", "must not be blank"), ("--region", "USA", "two-letter region")],
)
async def test_companies_create_refuses_bad_options_and_creates_nothing(
    empty_url: str, option: str, value: str, message: str
) -> None:
    args = {"--name": "Acme", "--region": "US", option: value}
    result = run_leadflow(
        empty_url,
        "companies",
        "create",
        *[part for pair in args.items() for part in pair],
        expect_success=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    run_leadflow(empty_url, "db", "upgrade")
    assert await _scalar(empty_url, select(func.count(Company.id))) == 0


async def test_companies_create_takes_a_region_for_local_numbers(empty_url: str) -> None:
    created = json.loads(
        run_leadflow(
            empty_url, "companies", "create", "--name", "UK", "--region", "gb", "--json"
        ).stdout
    )
    region = await _scalar(
        empty_url, select(Company.default_region).where(Company.id == created["id"])
    )
    assert region == "GB"


async def _signs_in(database_url: str, email: str, password: str) -> bool:
    """Whether the web app's login form accepts ``email`` and ``password``."""
    app = create_app(Settings(database_url=database_url, embedded_worker=False, db_pool_size=2))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as c:
            form = await c.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token, form.text
            answer = await c.post(
                "/login",
                data={"csrf_token": token.group(1), "email": email, "password": password},
            )
            return answer.status_code == 303


async def test_users_create_prints_a_generated_password_that_signs_in(empty_url: str) -> None:
    company = json.loads(
        run_leadflow(empty_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    created = json.loads(
        run_leadflow(
            empty_url,
            "users",
            "create",
            "--company",
            str(company["id"]),
            "--email",
            "Ann@Example.com",
            "--json",
        ).stdout
    )
    assert created["email"] == "ann@example.com"
    assert await _signs_in(empty_url, "ann@example.com", created["password"])
    assert not await _signs_in(empty_url, "ann@example.com", created["password"] + "x")


async def test_users_create_takes_a_password_and_refuses_a_second_user_with_the_email(
    empty_url: str,
) -> None:
    company = json.loads(
        run_leadflow(empty_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    args = ("users", "create", "--company", str(company["id"]), "--email", "bo@example.com")
    printed = run_leadflow(empty_url, *args, "--password", "a long passphrase").stdout
    assert "password" not in printed
    assert await _signs_in(empty_url, "bo@example.com", "a long passphrase")
    again = run_leadflow(empty_url, *args, expect_success=False)
    assert again.returncode == 2
    assert "already exists" in again.stderr


async def test_users_create_refuses_an_unknown_company(empty_url: str) -> None:
    result = run_leadflow(
        empty_url,
        "users",
        "create",
        "--company",
        "999",
        "--email",
        "x@example.com",
        expect_success=False,
    )
    assert result.returncode == 2
    assert "no company has id 999" in result.stderr


async def test_demo_prints_a_web_login_that_works_on_every_run(
    empty_url: str, tmp_path: Path
) -> None:
    login = re.compile(r"e-mail: +(\S+)\n +password: +(\S+)")
    for _ in range(2):
        found = login.search(
            run_leadflow(empty_url, "demo", "--credentials", str(tmp_path / "demo.json")).stdout
        )
        assert found
        assert await _signs_in(empty_url, *found.groups())


async def test_users_set_password_lets_the_new_one_in_and_keeps_the_old_one_out(
    empty_url: str,
) -> None:
    company = json.loads(
        run_leadflow(empty_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    args = ("--company", str(company["id"]), "--email", "cy@example.com")
    run_leadflow(empty_url, "users", "create", *args, "--password", "the first passphrase")

    changed = run_leadflow(
        empty_url, "users", "set-password", "--email", "CY@example.com",
        "--password", "the second passphrase",
    )  # fmt: skip

    assert "Password set for user" in changed.stdout
    assert await _signs_in(empty_url, "cy@example.com", "the second passphrase")
    assert not await _signs_in(empty_url, "cy@example.com", "the first passphrase")
    short = run_leadflow(
        empty_url, "users", "set-password", "--email", "cy@example.com", "--password", "short",
        expect_success=False,
    )  # fmt: skip
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr


async def test_users_remove_keeps_the_user_out_and_names_an_unknown_email(empty_url: str) -> None:
    company = json.loads(
        run_leadflow(empty_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    args = ("--company", str(company["id"]), "--email", "di@example.com")
    run_leadflow(empty_url, "users", "create", *args, "--password", "a long passphrase")

    assert (
        "removed" in run_leadflow(empty_url, "users", "remove", "--email", "di@example.com").stdout
    )

    assert not await _signs_in(empty_url, "di@example.com", "a long passphrase")
    again = run_leadflow(
        empty_url, "users", "remove", "--email", "di@example.com", expect_success=False
    )
    assert again.returncode == 2
    assert "no user signs in with this e-mail" in again.stderr


async def test_users_disable_keeps_the_user_out_until_enable_lets_them_back_in(
    empty_url: str,
) -> None:
    company = json.loads(
        run_leadflow(empty_url, "companies", "create", "--name", "Acme", "--json").stdout
    )
    args = ("--company", str(company["id"]), "--email", "ed@example.com")
    run_leadflow(empty_url, "users", "create", *args, "--password", "a long passphrase")

    disabled = run_leadflow(empty_url, "users", "disable", "--email", "ed@example.com")
    assert "disabled" in disabled.stdout
    assert not await _signs_in(empty_url, "ed@example.com", "a long passphrase")

    assert (
        "enabled" in run_leadflow(empty_url, "users", "enable", "--email", "ed@example.com").stdout
    )
    assert await _signs_in(empty_url, "ed@example.com", "a long passphrase")
    unknown = run_leadflow(
        empty_url, "users", "disable", "--email", "nobody@example.com", expect_success=False
    )
    assert unknown.returncode == 2
    assert "no user signs in with this e-mail" in unknown.stderr
