"""The jobs the worker runs, in order, built fresh for each worker (they keep caches)."""

from __future__ import annotations

from leadflow.cadence.job import CadenceJob
from leadflow.cadence.sweep import sweep_unanswered
from leadflow.calls.dialing.jobs import PruneDialingLocks
from leadflow.imports.job import LeadImportJob
from leadflow.ops.heartbeat import Heartbeat
from leadflow.ops.retention import PruneHistory
from leadflow.reports.pending import FoldPendingLeads
from leadflow.submissions.pipeline.housekeeping import PruneDuplicateLocks
from leadflow.submissions.pipeline.job import SubmissionJob
from leadflow.webhooks.delivery import WebhookJob
from leadflow.worker.runner import Job


def default_jobs() -> list[Job]:
    return [
        CadenceJob(),
        sweep_unanswered,
        SubmissionJob(),
        WebhookJob(),
        PruneDialingLocks(),
        PruneDuplicateLocks(),
        LeadImportJob(),
        FoldPendingLeads(),
        Heartbeat(),
        PruneHistory(),
    ]
