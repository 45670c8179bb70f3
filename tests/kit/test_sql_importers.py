"""Which modules may use the plain-SQL layer (``leadflow.db.statements``, its ``Sql``).

The rule (issue #23): ``Sql`` is for the measured hot paths, where SQLAlchemy's ~100 µs of
Python per statement would cost more than the rest of the request, and for what must run inside
their transactions: a unit of the group-commit batch (``db.group_commit``) or of the cadence's
claim is handed a ``Sql``, so the queries it runs, and the helpers it calls, take one too.
Everything else uses the ORM through its domain's one repository.

This test walks ``src/leadflow`` and fails when a module outside :data:`ALLOWED` imports the
layer, or when an allowed module no longer does (strike it off, so the list only shrinks).
"To convert" marks a module that is not on a hot path and should move to the ORM; it stays
here until someone does, rather than being hidden.
"""

from __future__ import annotations

import ast
from pathlib import Path

import leadflow

PACKAGE = Path(leadflow.__file__).parent
LAYER = "leadflow.db.statements"

GROUP_UNIT = "runs as (or builds) a group-commit unit, which is handed a Sql"

ALLOWED: dict[str, str] = {
    # The layer's own engine-level machinery.
    "db/group_commit.py": "group commit: runs every unit of a batch on one connection",
    "db/pg_batch.py": "group commit on PostgreSQL: the Sql of a batch's driver connection",
    "db/snapshot.py": "the cadence's read snapshot on the raw sqlite3 connection",
    "db/search_index.py": "indexes a transaction's new leads inside intake's batch",
    "db/time_locks.py": "duplicate/redial locks and CPS slots taken inside intake and dialing",
    # Intake: the fast path and batch import (measured by bench/intake*, bench/imports).
    "leads/endpoints.py": f"intake routes: {GROUP_UNIT}",
    "leads/service.py": "intake, the hottest path: four or five statements per lead",
    "leads/repository.py": "intake's queries",
    "leads/rules.py": "intake's decisions over the rows it read (Row only)",
    "leads/batch.py": "intake of many leads in one unit (batch posts, imports)",
    "leads/owner.py": "lead_token resolution on every post",
    "leads/caller_operations.py": f"per-caller opt-out/remove/move: {GROUP_UNIT}",
    "leads/records/repository.py": "lead update re-enrols through intake's functions",
    "contacts/repository.py": "the suppression check and upsert of every post and every dial",
    "distributions/repository.py": "routing of every posted lead to a distribution",
    "imports/service.py": "batch import: each chunk of rows is an intake unit",
    "imports/repository.py": "batch import's progress and rejected rows, in the chunk's unit",
    "webhooks/outbox.py": "webhook events written in the transaction of the change they report",
    "webhooks/lead_events.py": "the lead event payloads of the outbox, in intake's unit",
    # The cadence: claim, decisions and bulk writes (bench/cadence).
    "cadence/answers.py": "bulk writes of the simulated channels' outcomes",
    "cadence/batch.py": "the cadence's batch of claimed leads",
    "cadence/bulk.py": "bulk inserts of calls, messages and events",
    "cadence/caps.py": "cap counters read and taken per claimed lead",
    "cadence/dispatch.py": "the cadence's steps, run inside the claim's transaction",
    "cadence/job.py": "the claim transaction itself",
    "cadence/messages.py": "a claimed lead's texts and e-mails (Row only)",
    "cadence/repository.py": "the claim and the cadence's queries",
    "cadence/state.py": "decisions over claimed rows (Row only)",
    "cadence/steps.py": "decisions over claimed rows (Row only)",
    "cadence/webhook_sends.py": "records a webhook action's answer (the Sql it is handed)",
    "cadence/sweep.py": "the sweep of leads past their end, in bulk",
    # Dialing and the provider's callbacks: one per call leg, at the cadence's rate.
    "calls/dialing/flow.py": "make_call's decide → commit → dial",
    "calls/dialing/jobs.py": "the cadence's dials",
    "calls/dialing/repository.py": "make_call's queries",
    "calls/dialing/service.py": "make_call's guards over the lead's rows",
    "calls/status.py": "call/message status callbacks, recorded once and in order",
    "telephony/endpoints.py": "provider callbacks, one transaction with their webhooks",
    "telephony/repository.py": "provider callbacks' queries",
    "telephony/service.py": "inbound texts (STOP) update contacts and schedules in one go",
    "telephony/voice.py": "inbound calls find the caller's lead",
    # Web sign-in: each guess joins other companies' lead posts in a batch instead of taking
    # SQLite's write lock twice on its own (bench.abuse's sign-in burst).
    "users/throttle.py": f"the sign-in throttle's decision: {GROUP_UNIT}",
    "users/throttle_sql.py": "the sign-in throttle's rows, inside that unit",
    "web/pages/login.py": f"sign-in: {GROUP_UNIT}",
    # The submission pipeline (LeadSail): claim, decide, deliver, record (bench/submit).
    "submissions/endpoints.py": f"submit/approve/deliver/repost: {GROUP_UNIT}",
    "submissions/service.py": "submit, in the group-commit unit",
    "submissions/repository.py": "the submit path's queries",
    "submissions/pipeline/auction_record.py": "the auction's record, in the pipeline's batch",
    "submissions/pipeline/auction_repository.py": "auction bids, one multi-row insert",
    "submissions/pipeline/auction_seating.py": "the auction's reads in the pipeline's batch",
    "submissions/pipeline/campaigns.py": "the batch's campaigns (Row only)",
    "submissions/pipeline/decide.py": "the pipeline's decisions over claimed rows",
    "submissions/pipeline/enrolment.py": "enrols delivered leads through intake's functions",
    "submissions/pipeline/job.py": "the pipeline's claim and record transactions",
    "submissions/pipeline/notifications.py": "the pipeline's webhooks, in its record unit",
    "submissions/pipeline/plan.py": "a claimed submission's plan (Row only)",
    "submissions/pipeline/record.py": "the pipeline's record unit",
    "submissions/pipeline/repository.py": "the pipeline's claim and record queries",
    "webhooks/delivery.py": "webhook delivery claim and record, as group-commit units",
    "webhooks/repository.py": "webhook delivery queries",
    # The web app's actions reuse the API's units rather than copying them.
    "web/lead_actions.py": f"the lead page's buttons: {GROUP_UNIT}",
    "web/pages/leads_bulk.py": f"bulk opt-out/remove/enrol: {GROUP_UNIT}",
    "web/pages/submissions.py": f"approve/deliver/repost/test lead: {GROUP_UNIT}",
    # Not a hot path. Its deletes go through db/time_locks.forget_locks, the one home of the
    # time_locks rules, which the dialing locks' pruning (calls/dialing/jobs.py) shares: convert
    # the three together, or the rule is written twice.
    "submissions/pipeline/housekeeping.py": "to convert: deletes of passed duplicate windows",
}


def _imports_layer(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == LAYER or node.module.startswith(LAYER + "."):
                return True
            if node.module == "leadflow.db" and any(a.name == "statements" for a in node.names):
                return True
        if isinstance(node, ast.Import) and any(
            a.name == LAYER or a.name.startswith(LAYER + ".") for a in node.names
        ):
            return True
    return False


def _importers() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "db/statements.py":
            continue
        if _imports_layer(ast.parse(path.read_text(), filename=str(path))):
            found.add(relative)
    return found


def test_only_allowed_modules_import_the_plain_sql_layer() -> None:
    unexpected = sorted(_importers() - set(ALLOWED))
    assert not unexpected, (
        f"{unexpected} import {LAYER}: use the ORM through the domain's repository, or, for a"
        " measured hot path, add the module to ALLOWED with the reason"
    )


def test_every_allowed_module_still_imports_it() -> None:
    stale = sorted(set(ALLOWED) - _importers())
    assert not stale, f"{stale} no longer import {LAYER}: strike them off ALLOWED"
