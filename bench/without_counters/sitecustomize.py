"""Loaded only by ``bench.reports``' server "without" the report counters (it puts this folder
on that server's ``PYTHONPATH``): intake as it would be with no reports at all.

The database side is done by dropping the report triggers; this takes out the other half, the
statement with which a batch of new leads on SQLite queues its ids for the counters' fold
(migration 0022), and keeps the per-company lead count that listings had before reports
existed.
"""

from leadflow.leads import repository

repository.BATCH_COUNT_STATEMENTS = tuple(  # type: ignore[misc]
    s for s in repository.BATCH_COUNT_STATEMENTS if "report_pending_leads" not in s
)
