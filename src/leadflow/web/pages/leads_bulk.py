"""The leads list's bulk actions: opt out, remove, move to end, and enrol in a schedule, on the
ticked leads or on every lead the list's filters match, each behind a confirmation page that
says how many leads it touches.

Each lead runs as its own group-committed unit, through the same service code the API runs:
the caller operations of the lead page, and for enrolment the intake of ``PUT /api/v1/leads``
posted with the chosen schedule's lead token (its owner resolved by the API's own cache, so a
router routes), never a second implementation of either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.companies.repository import CompanyRepository
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.statements import Sql
from leadflow.dnc.screening import intake_hits
from leadflow.kit import listing
from leadflow.kit.errors import TrackDriveError
from leadflow.leads import repository as lead_rows
from leadflow.leads.owner import LeadOwner, OwnerCache
from leadflow.leads.params import IntakeParams
from leadflow.leads.records.listing import LEAD_LISTING
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.leads.rules import IntakeContext, IntakeMode, lock_key
from leadflow.leads.service import intake, take_duplicate_lock
from leadflow.models import Lead, LeadStatus, Schedule
from leadflow.schedules.repository import ScheduleRepository
from leadflow.web import lead_actions
from leadflow.web.auth import CsrfDep, UserDep, WebUser
from leadflow.web.pages.leads import BULK, ENROL, SKIPPED, LeadFilters, lead_query
from leadflow.web.rendering import page, redirect, zone_of

router = APIRouter(include_in_schema=False)
BULK_LIMIT = 5_000
BULK_WARNINGS = {
    "opt_out": "Their numbers are opted out company-wide: no call, text or e-mail reaches them "
    "again until the consumer opts back in.",
    "remove": "They end at once: no further action of their schedules runs.",
    "move_to_end": "They skip the rest of their schedules' actions (leads in no schedule are "
    "left alone).",
}
# A lead intake would store but never work is not enrolled: these statuses say why.
SUPPRESSED = (LeadStatus.OPT_OUT, LeadStatus.DNC, LeadStatus.BLOCKED)


def _filters_of(form: Any) -> LeadFilters:
    names = LeadFilters.__dataclass_fields__
    return LeadFilters(**{name: str(form.get(name) or "") for name in names})


def _plural(count: int) -> str:
    return f"{count} lead{'' if count == 1 else 's'}"


async def _bulk_targets(db: Any, user: WebUser, form: Any, filters: LeadFilters) -> list[Lead]:
    """The ticked leads, or (scope ``filtered``) every lead the list's filters match."""
    repo = LeadRecordRepository(db, user.company_id)
    if form.get("scope") != "filtered":
        refs = [str(ref) for ref in form.getlist("lead_id")][:500]
        ticked = [await repo.get(ref) for ref in refs if ref.isdigit()]
        return [lead for lead in ticked if lead is not None]
    targets: list[Lead] = []
    for number in range(1, BULK_LIMIT // listing.MAX_PER_PAGE + 1):
        query, errors = lead_query(filters, zone_of(user), number, listing.MAX_PER_PAGE)
        if errors:
            return []
        found = await listing.fetch(db, LEAD_LISTING, query, repo.scoped())
        for item in found.items:
            lead = await repo.get(int(item.model_dump()["id"]))
            if lead is not None:
                targets.append(lead)
        if len(found.items) < listing.MAX_PER_PAGE:
            break
    return targets


@router.post("/leads/bulk")
async def bulk_operation(request: Request, user: UserDep, form: CsrfDep) -> Response:
    """A bulk action asks first, on a page saying how many leads it touches; the confirmed
    form runs the lead page's own operation (or the API's intake) on each lead, one unit per
    lead."""
    operation = str(form.get("operation") or "")
    filters = _filters_of(form)
    back = "/leads?" + filters.link()
    if operation not in BULK:
        return redirect(request, back)
    async with app_state(request).sessionmaker() as db:
        targets = await _bulk_targets(db, user, form, filters)
        company = await CompanyRepository(db).get(user.company_id)
        schedules = await ScheduleRepository(db, user.company_id).list()
    region = company.default_region if company else "US"
    # The list's form sends its schedule select with every action: only enrolment reads it.
    chosen = str(form.get("enrol_schedule_id") or "") if operation == ENROL else ""
    schedule = next((s for s in schedules if str(s.id) == chosen), None)
    if operation == "move_to_end":
        targets = [lead for lead in targets if lead.schedule_id is not None]
    if operation != ENROL:
        targets = [lead for lead in targets if lead.caller_id is not None]
    hidden = [(name, value) for name, value in form.multi_items() if name != "csrf_token"]
    count = len(targets)
    if operation == ENROL and schedule is None:
        return page(
            request,
            "leads/bulk_enrol.html",
            status_code=422,
            user=user,
            count=count,
            hidden=[(name, value) for name, value in hidden if name != "enrol_schedule_id"],
            schedule_choices=[("", "Choose…"), *((s.id, s.name) for s in schedules)],
            errors={"enrol_schedule_id": ["Choose the schedule to enrol them in."]},
            back=back,
        )
    label = BULK[operation] if schedule is None else f"Enrol in {schedule.name}"
    if form.get("confirm") != "yes":
        warning = BULK_WARNINGS[operation] if schedule is None else _enrol_warning(schedule.name)
        return page(
            request,
            "confirm.html",
            user=user,
            heading=f"{label}: {_plural(count)}",
            message=f"{label} touches {_plural(count)}. {warning}",
            action="/leads/bulk",
            hidden=hidden,
            button=(
                f"{label} {_plural(count)}"
                if schedule is None
                else f"Enrol {_plural(count)} in {schedule.name}"
            ),
            back=back,
        )
    result = {"bulk_operation": operation}
    if schedule is not None:
        skipped = await enrol_leads(request, targets, schedule)
        done = skipped.pop("enrolled", 0)
        result["bulk_schedule"] = str(schedule.id)
        result["bulk_skipped"] = ",".join(f"{why}.{n}" for why, n in sorted(skipped.items()))
    else:
        done = 0
        for lead in targets:
            try:
                await lead_actions.run_caller_operation(request, lead, region, operation)
                done += 1
            except TrackDriveError:
                continue  # an ended lead: nothing to do for it
    result["bulk_done"] = str(done)
    return redirect(request, f"{back}&{urlencode(result)}")


def _enrol_warning(name: str) -> str:
    return (
        f"Each joins {name} as if posted to its lead token: its first action is due at once. "
        f"Leads whose numbers are {', '.join(SKIPPED[s].lower() for s in SUPPRESSED)}, "
        f"and callers already live in {name}, are skipped."
    )


async def enrol_leads(request: Request, leads: list[Lead], schedule: Schedule) -> Counter[str]:
    """Post each lead's caller, e-mail, tokens, traffic source and sub ID to ``schedule`` the
    way ``PUT /api/v1/leads`` does (its owner resolved from its lead token, a router's
    distributions choosing the target, the do-not-call lists read before the unit). A Counter
    of ``enrolled`` and of each reason a lead was skipped."""
    state = app_state(request)
    owners: OwnerCache = state.owner_cache
    committer: GroupCommitter = state.committer
    outcomes: Counter[str] = Counter()
    try:
        owner = await owners.resolve(schedule.leads_api_key)
    except TrackDriveError:  # the token changed since the page was read
        outcomes["no_schedule"] += len(leads)
        return outcomes
    for lead in leads:
        if not lead.caller_id:
            outcomes["no_phone"] += 1
            continue
        params = IntakeParams(
            caller_id=lead.caller_id,
            email=lead.email,
            tokens=dict(lead.tokens or {}),
            traffic_source_ref=str(lead.traffic_source_id) if lead.traffic_source_id else None,
            sub_id=lead.sub_id,
        )
        try:
            target, routing = await owners.target_of(owner, params)
        except TrackDriveError:
            outcomes["no_route"] += 1
            continue
        ctx = IntakeContext(
            now=state.clock.now(),
            remote_ip=None,
            mode=IntakeMode.ENROL,
            routing=routing,
            dnc_hits=await intake_hits(
                state.worker_context.dnc, target.schedule_id, params.caller_id
            ),
        )
        unit = _enrol_unit(target, params, ctx)
        outcomes[await committer.run(unit, lock_key(target, params.caller_id))] += 1
    return outcomes


def _enrol_unit(owner: LeadOwner, params: IntakeParams, ctx: IntakeContext) -> Callable[[Sql], str]:
    """One lead's enrolment, under the target's duplicate lock: a caller already live in the
    schedule is left as it is (not doubled, its tokens untouched); a post intake would store
    but never work (opted out, do not call, blocked) or refuses is rolled back, so nothing is
    enrolled."""

    def unit(sql: Sql) -> str:
        assert params.caller_id is not None
        take_duplicate_lock(sql, owner, params.caller_id)
        scope = (owner.company_id, owner.offer_id, owner.schedule_id, params.caller_id)
        if lead_rows.leads_in_scope(sql, *scope):
            return "already"
        sql.run("SAVEPOINT bulk_enrol")
        try:
            status = str(intake(sql, owner, params, ctx).lead["status"])
        except TrackDriveError:
            status = "refused"
        if status in (*SUPPRESSED, "refused"):
            sql.run("ROLLBACK TO SAVEPOINT bulk_enrol")
            sql.run("RELEASE SAVEPOINT bulk_enrol")
            return status
        sql.run("RELEASE SAVEPOINT bulk_enrol")
        return "enrolled"

    return unit
