"""Loaded only by ``bench.reports``' server "without" the report counters (it puts this folder
on that server's ``PYTHONPATH``): intake as it would be with no reports at all.

The database side is done by dropping the report triggers; this takes out the other half, the
statements with which a batch of new leads counts itself on SQLite (migration 0019), and keeps
the per-company lead count that listings had before reports existed.
"""

from leadflow.leads import repository

_counting = repository._batch_count_statements


def _without_reports(opted_out: bool) -> tuple[str, ...]:
    return tuple(s for s in _counting(opted_out) if "report_counters" not in s)


repository._batch_count_statements = _without_reports  # type: ignore[assignment]
