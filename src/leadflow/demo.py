"""`leadflow demo` and `leadflow companies create`: a ready company for a first run."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.clock import SystemClock
from leadflow.companies.keys import new_lead_token
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import NewCompany, create_company, issue_key_pair
from leadflow.db.engine import create_engine
from leadflow.db.session import make_sessionmaker
from leadflow.models import Company, Offer, Schedule, TrafficSource
from leadflow.users.repository import UserRepository
from leadflow.users.service import NewUser, create_user, reset_password

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


async def _demo_login(session: AsyncSession, clock: SystemClock, company_id: int) -> str:
    """The demo user's password: created on the first run, replaced on later ones (a hash
    cannot be shown again, and the demo must always print a way in)."""
    users = UserRepository(session)
    user = await users.by_email(DEMO_EMAIL)
    if user is None:
        made = await create_user(users, CompanyRepository(session), clock, company_id, DEMO_EMAIL)
        return made.password
    return await reset_password(users, clock, user)


async def ensure_demo(database_url: str, port: int) -> str:
    """Create the demo company with an offer, a schedule and a traffic source, once; then print
    how to use it. Later runs print the lead token again but cannot show the private key."""
    engine = create_engine(database_url)
    clock = SystemClock()
    try:
        async with make_sessionmaker(engine)() as session:
            company = (
                await session.scalars(select(Company).where(Company.name == DEMO_NAME))
            ).first()
            keys_line: str
            if company is None:
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
                        leads_api_key=new_lead_token(),
                        actions=[],
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
                await session.flush()
                password = await _demo_login(session, clock, company.id)
                await session.commit()
                keys_line = (
                    f"public key:  {created.keys.public_key}\n"
                    f"private key: {created.keys.private_key}   (shown only once)"
                )
                auth = f"{created.keys.public_key}:{created.keys.private_key}"
            else:
                # The first pair's private key cannot be shown again: issue a fresh one.
                keys = await issue_key_pair(CompanyRepository(session), clock, company.id, "demo")
                password = await _demo_login(session, clock, company.id)
                await session.commit()
                keys_line = (
                    f"public key:  {keys.public_key}\n"
                    f"private key: {keys.private_key}   (shown only once)"
                )
                auth = f"{keys.public_key}:{keys.private_key}"
            schedule = (
                await session.scalars(
                    select(Schedule).where(Schedule.company_id == company.id).order_by(Schedule.id)
                )
            ).first()
            token = schedule.leads_api_key if schedule else "(no schedule)"
    finally:
        await engine.dispose()
    base = f"http://127.0.0.1:{port}"
    return f"""
Leadflow demo company #{company.id}
{keys_line}

Web app: {base}/login
  e-mail:   {DEMO_EMAIL}
  password: {password}
schedule lead token: {token}

Submit a lead (query string):
  curl -X POST "{base}/api/v1/leads?lead_token={token}&caller_id=+18004506787&email=john@example.com&interest=kittens"

Submit a lead (JSON):
  curl -H "Content-Type: application/json" -X POST \\
    -d '{{"lead_token":"{token}","caller_id":"+18004506787","data":{{"first_name":"John"}}}}' \\
    {base}/api/v1/leads

List your schedules:
  curl -u "{auth}" {base}/api/v1/schedules
"""
