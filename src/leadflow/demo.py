"""`leadflow demo` and `leadflow companies create`: a ready company for a first run."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.clock import SystemClock
from leadflow.companies.keys import new_lead_token, private_key_matches
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import NewCompany, create_company, issue_key_pair
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import ApiKey, Company, Number, Offer, Schedule, TrafficSource
from leadflow.schedules.config import WEEKDAYS, CallingHours, DayHours
from leadflow.users.repository import UserRepository
from leadflow.users.service import NewUser, authenticate, create_user, reset_password

DEMO_NAME = "Demo Company"
DEMO_EMAIL = "demo@example.com"


async def create_company_now(database_url: str, name: str, region: str = "US") -> NewCompany:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            created = await create_company(CompanyRepository(session), SystemClock(), name, region)
            await session.commit()
            return created
    finally:
        await engine.dispose()


async def create_user_now(
    database_url: str, company_id: int, email: str, password: str | None
) -> NewUser:
    """``leadflow users create``: one user, committed (raises ``UserError`` on bad input)."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            created = await create_user(
                UserRepository(session),
                CompanyRepository(session),
                SystemClock(),
                company_id,
                email,
                password,
            )
            await session.commit()
            return created
    finally:
        await engine.dispose()


DEMO_NUMBER = "+18885550100"
"""The demo company's own number: the From of its simulated calls and texts (toll-free, so it
names no state)."""

DEMO_CREDENTIALS = Path("var") / "demo-credentials.json"

DEMO_ACTIONS: list[dict[str, Any]] = [
    {"type": "call"},
    {"type": "sms", "body": "Hi {{first_name}}, we just tried to call you about your quote."},
    {
        "type": "email",
        "subject": "Your quote",
        "body": "Hello {{first_name}}, thanks for your interest. Reply to this e-mail any time.",
    },
]
"""Call, text, e-mail: each step shows on the lead's timeline within a second (simulated)."""

OPEN_ALL_WEEK = CallingHours(
    **{day: DayHours(open="0000", close="2400") for day in WEEKDAYS}
).model_dump()
"""The schedule's own hours add nothing: only the legal floor (08:00-21:00 local) applies."""

MORNING_ZONES = (
    "Pacific/Kiritimati", "Pacific/Tongatapu", "Pacific/Auckland", "Pacific/Noumea",
    "Australia/Brisbane", "Asia/Tokyo", "Asia/Shanghai", "Asia/Bangkok", "Asia/Dhaka",
    "Asia/Karachi", "Asia/Dubai", "Europe/Moscow", "Africa/Cairo", "Africa/Lagos", "UTC",
    "Atlantic/Cape_Verde", "Atlantic/South_Georgia", "America/Sao_Paulo", "America/Halifax",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "Pacific/Pago_Pago",
)  # fmt: skip
"""One zone for (nearly) every whole-hour offset, so one of them is always in its morning."""


def morning_zone(now: datetime) -> str:
    """The zone whose local time is the earliest at or after 08:00 now: the demo schedule's
    zone, so that its toll-free sample numbers (which reveal no zone of their own, so the
    schedule's applies) are inside the legal 08:00-21:00 window for the next 12-13 hours."""

    def minutes_since_eight(zone: str) -> int:
        local = now.astimezone(ZoneInfo(zone))
        return (local.hour * 60 + local.minute - 8 * 60) % (24 * 60)

    return min(MORNING_ZONES, key=minutes_since_eight)


@dataclass(frozen=True)
class DemoCredentials:
    """What `leadflow demo` keeps in ``var/demo-credentials.json`` so that a re-run reuses
    them: a hashed key or password cannot be shown again, and re-issuing on every run left
    one more full-access key valid each time."""

    company_id: int
    public_key: str
    private_key: str
    email: str
    password: str

    @classmethod
    def read(cls, path: Path) -> DemoCredentials | None:
        try:
            stored = json.loads(path.read_text())
            return cls(**{name: stored[name] for name in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, path: Path) -> None:
        """Readable by its owner only: it holds a full-access private key."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


def remember_port(credentials_path: Path, port: int) -> None:
    """Keep the port `make run` serves on beside the demo's credentials, so that
    ``leadflow demo --env`` in a second terminal (where ``$PORT`` is not set) points the
    examples at that server and not at 8000."""
    try:
        stored = json.loads(credentials_path.read_text())
    except (OSError, ValueError):
        return
    if isinstance(stored, dict) and stored.get("port") != port:
        stored["port"] = port
        credentials_path.write_text(json.dumps(stored, indent=2) + "\n")


def remembered_port(credentials_path: Path) -> int | None:
    try:
        port = json.loads(credentials_path.read_text()).get("port")
    except (OSError, ValueError, AttributeError):
        return None
    return port if isinstance(port, int) else None


@dataclass(frozen=True)
class Demo:
    """The demo company as `leadflow demo` prints it."""

    credentials: DemoCredentials
    lead_token: str
    schedule_id: int
    offer_id: int
    time_zone: str
    reused: bool


async def _key_still_valid(
    session: AsyncSession, company_id: int, public_key: str, private_key: str
) -> bool:
    key = (
        await session.scalars(
            select(ApiKey).where(ApiKey.company_id == company_id, ApiKey.public_key == public_key)
        )
    ).first()
    return (
        key is not None
        and key.revoked_at is None
        and private_key_matches(private_key, key.private_key_hash)
    )


async def _demo_login(
    session: AsyncSession, clock: SystemClock, company_id: int, stored: DemoCredentials | None
) -> str:
    """The demo user's password: the stored one while it still signs in; otherwise a new one
    (created on the first run; a hash cannot be shown again)."""
    users = UserRepository(session)
    user = await users.by_email(DEMO_EMAIL)
    if user is None:
        made = await create_user(users, CompanyRepository(session), clock, company_id, DEMO_EMAIL)
        return made.password
    if stored is not None and await authenticate(users, DEMO_EMAIL, stored.password) is not None:
        return stored.password
    return await reset_password(users, clock, user)


async def _create_demo_company(session: AsyncSession, clock: SystemClock) -> NewCompany:
    created = await create_company(CompanyRepository(session), clock, DEMO_NAME)
    company = created.company
    now = clock.now()
    offer = Offer(
        company_id=company.id,
        name="Auto Insurance",
        leads_api_key=new_lead_token(),
        created_at=now,
        updated_at=now,
    )
    session.add(offer)
    await session.flush()
    session.add(
        Schedule(
            company_id=company.id,
            offer_id=offer.id,
            name="Call new leads",
            description="Demo: open around the clock (the legal hours still apply).",
            leads_api_key=new_lead_token(),
            actions=DEMO_ACTIONS,
            calling_hours=OPEN_ALL_WEEK,
            created_at=now,
            updated_at=now,
        )
    )
    session.add(
        TrafficSource(
            company_id=company.id,
            name="Demo Publisher",
            user_traffic_source_id="pub-1",
            created_at=now,
            updated_at=now,
        )
    )
    return created


async def _refresh_demo_schedule(session: AsyncSession, schedule: Schedule, now: datetime) -> None:
    """Every run: the zone where it is morning now, and the demo's actions on a schedule an
    older demo left empty (a schedule the user gave actions is kept as it is)."""
    schedule.time_zone = morning_zone(now)
    if not schedule.actions:
        schedule.actions = DEMO_ACTIONS
        schedule.calling_hours = OPEN_ALL_WEEK
    schedule.updated_at = now
    has_number = (
        await session.scalars(
            select(Number.id).where(
                Number.company_id == schedule.company_id, Number.number == DEMO_NUMBER
            )
        )
    ).first()
    if has_number is None:
        session.add(
            Number(
                company_id=schedule.company_id,
                number=DEMO_NUMBER,
                capabilities=["voice", "sms"],
                created_at=now,
                updated_at=now,
            )
        )


async def ensure_demo(database_url: str, credentials_path: Path = DEMO_CREDENTIALS) -> Demo:
    """Create the demo company with an offer, a schedule, a traffic source and a number, once;
    reuse the stored key pair and password while they still work, and issue new ones (and
    store them) only when they do not."""
    engine = create_engine(database_url)
    clock = SystemClock()
    stored = DemoCredentials.read(credentials_path)
    try:
        async with make_sessionmaker(engine)() as session:
            company = (
                await session.scalars(select(Company).where(Company.name == DEMO_NAME))
            ).first()
            reused = False
            if company is None:
                created = await _create_demo_company(session, clock)
                company, keys = created.company, created.keys
                await session.flush()
                public_key, private_key = keys.public_key, keys.private_key
            elif (
                stored is not None
                and stored.company_id == company.id
                and await _key_still_valid(
                    session, company.id, stored.public_key, stored.private_key
                )
            ):
                public_key, private_key, reused = stored.public_key, stored.private_key, True
            else:
                keys = await issue_key_pair(CompanyRepository(session), clock, company.id, "demo")
                public_key, private_key = keys.public_key, keys.private_key
            password = await _demo_login(session, clock, company.id, stored)
            schedule = (
                await session.scalars(
                    select(Schedule).where(Schedule.company_id == company.id).order_by(Schedule.id)
                )
            ).first()
            if schedule is None:
                raise RuntimeError("the demo company has no schedule: remove it and run again")
            await _refresh_demo_schedule(session, schedule, clock.now())
            await session.commit()
            credentials = DemoCredentials(company.id, public_key, private_key, DEMO_EMAIL, password)
            demo = Demo(
                credentials,
                schedule.leads_api_key,
                schedule.id,
                schedule.offer_id,
                schedule.time_zone,
                reused,
            )
    finally:
        await engine.dispose()
    credentials.write(credentials_path)
    return demo


def demo_env(demo: Demo, port: int) -> str:
    """``export`` lines for ``eval "$(leadflow demo --env)"``: the variables every example in
    the README and the docs uses."""
    c = demo.credentials
    values = {
        "LEADFLOW_URL": f"http://127.0.0.1:{port}",
        "LEADFLOW_AUTH": f"{c.public_key}:{c.private_key}",
        "LEADFLOW_API_KEY": f"{c.public_key}.{c.private_key}",
        "LEADFLOW_LEAD_TOKEN": demo.lead_token,
        "LEADFLOW_SCHEDULE_ID": str(demo.schedule_id),
        "LEADFLOW_OFFER_ID": str(demo.offer_id),
    }
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def demo_text(demo: Demo, port: int, credentials_path: Path = DEMO_CREDENTIALS) -> str:
    """What `leadflow demo` (and so `make run`) prints."""
    c = demo.credentials
    base = f"http://127.0.0.1:{port}"
    token = demo.lead_token
    kept = "reused from" if demo.reused else "kept in"
    return f"""
Leadflow demo company #{c.company_id}
public key:  {c.public_key}
private key: {c.private_key}   ({kept} {credentials_path})

Web app: {base}/login
  e-mail:   {c.email}
  password: {c.password}
schedule lead token: {token}
The demo schedule calls, texts and e-mails each lead (simulated: nothing leaves this machine).
Its zone is {demo.time_zone}, where it is morning now, so its toll-free sample numbers are
inside the legal calling hours (08:00-21:00) for the next 12 hours or more.

Use the demo in a shell (every example in the README and docs/ uses these variables):
  eval "$(.venv/bin/leadflow demo --env)"

Submit a lead (query string):
  curl -X POST "{base}/api/v1/leads?lead_token={token}&caller_id=+18004506787&email=john@example.com&first_name=John"

Submit a lead (JSON):
  curl -H "Content-Type: application/json" -X POST \\
    -d '{{"lead_token":"{token}","caller_id":"+18004506787","data":{{"first_name":"John"}}}}' \\
    {base}/api/v1/leads

List your schedules:
  curl -u "{c.public_key}:{c.private_key}" {base}/api/v1/schedules
"""
