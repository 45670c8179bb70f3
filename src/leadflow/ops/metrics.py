"""Prometheus metrics, shared by every process ``leadflow serve`` starts.

**Processes.** ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before it
starts anything (:func:`prepare_multiprocess_directory`), so each API process and the worker
beside them write their samples to files there, and ``/metrics`` in whichever API process is
asked merges them all (prometheus-client's multiprocess mode). Without that variable (tests
in one process, a bare ``uvicorn leadflow.asgi:app``) the samples stay in the process.

**Cost on the hot path.** A sample written straight to the shared files costs 3 to 10 µs (a
lock and an mmap write per value), which on a lead post that takes ~150 µs of CPU would be
several per cent. The request and lead counts, the cadence's sends and the group-commit batch
sizes are therefore tallied in plain dicts (well under a microsecond) and added to the shared
files once a second by :func:`flush_every_second`, and at once before a scrape: a process's
last second shows up at most a second late.

**Scrape-time gauges.** The worker's lag, the live workers and the backlogs of webhook
deliveries and submissions are read from the database when ``/metrics`` is asked
(:mod:`leadflow.ops.scrape`), so they are right whichever process or machine works them.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)

REQUESTS = Histogram(
    "leadflow_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status; _count is the "
    "request count.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
LEADS = Counter(
    "leadflow_leads",
    "Lead posts by API (trackdrive: POST /api/v1/leads, /capture and /create_or_update; "
    "leadsail: /api/v1/leads/submit), "
    "outcome (accepted, refused) and the reason a post was refused.",
    ["api", "outcome", "reason"],
)
CADENCE_ACTIONS = Counter(
    "leadflow_cadence_actions",
    "Calls, texts, e-mails and webhook actions the cadence sent, by channel and by what the "
    "provider answered (accepted, refused, failed).",
    ["channel", "outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "leadflow_webhook_deliveries",
    "Tries of webhook deliveries to subscriptions, by outcome (delivered, failed, refused).",
    ["outcome"],
)
BUYER_DELIVERIES = Counter(
    "leadflow_buyer_deliveries",
    "Submissions sent to buyers' endpoints, by the verdict read from the answer.",
    ["outcome"],
)
BATCH_SIZES = Histogram(
    "leadflow_group_commit_batch_size",
    "Units (lead posts, claims, records) committed together in one group-commit transaction.",
    buckets=BATCH_BUCKETS,
)
POOL_IN_USE = Gauge(
    "leadflow_db_pool_connections_in_use",
    "Database connections checked out of the pools of all live processes.",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "leadflow_db_pool_connections_max",
    "Connections the pools of all live processes may open (pool size plus overflow).",
    multiprocess_mode="livesum",
)

KNOWN_LABELS: tuple[tuple[Counter, tuple[tuple[str, ...], ...]], ...] = (
    (LEADS, (("trackdrive", "accepted", ""), ("leadsail", "accepted", ""))),
    (
        CADENCE_ACTIONS,
        tuple(
            (channel, outcome)
            for channel in ("call", "sms", "email", "webhook")
            for outcome in ("accepted", "refused", "failed")
        ),
    ),
    (WEBHOOK_DELIVERIES, (("delivered",), ("failed",), ("refused",))),
    (BUYER_DELIVERIES, (("accepted",), ("rejected",), ("duplicate",), ("error",))),
)
"""Label values every process shows from its start, at 0: a counter first seen mid-run has
no earlier sample, so ``rate()`` and ``increase()`` miss its first increments, and a family a
quiet installation has not used yet would be missing from the scrape and from the dashboard."""
for _counter, _values in KNOWN_LABELS:
    for _labels in _values:
        _counter.labels(*_labels)

REFUSALS = {
    400: "bad_request",
    401: "unknown_token",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}
LEAD_ROUTES = {
    "/api/v1/leads": "trackdrive",
    "/api/v1/leads/capture": "trackdrive",
    "/api/v1/leads/create_or_update": "trackdrive",
    "/api/v1/leads/submit": "leadsail",
}
"""The routes that take leads: TrackDrive's three intake modes, and the submission API."""


def refusal_reason(status: int) -> str:
    """The reason label of a refused lead post, from its status (bounded: never the body)."""
    return REFUSALS.get(status, "error" if status >= 500 else "other")


class Tally:
    """Counts and observations kept in plain dicts until :meth:`flush` adds them to the
    prometheus-client values (see the module docstring for why)."""

    def __init__(self) -> None:
        self._counts: dict[Any, float] = {}
        self._histograms: dict[Any, list[float]] = {}
        self.requests: dict[tuple[str, str, int], list[float]] = {}
        """(route, method, status) → bucket counts and sum, kept by :func:`record_request`."""

    def count(self, counter: Counter, labels: tuple[str, ...], amount: float = 1.0) -> None:
        key = (counter, labels)
        self._counts[key] = self._counts.get(key, 0.0) + amount

    def observe(self, histogram: Histogram, labels: tuple[str, ...], value: float) -> None:
        """One observation: its bucket's count and the sum, as ``Histogram.observe`` does."""
        key = (histogram, labels)
        bounds = _bounds(histogram)
        pending = self._histograms.get(key)
        if pending is None:
            pending = self._histograms[key] = [0.0] * (len(bounds) + 1)
        bucket = bisect.bisect_left(bounds, value)
        pending[bucket] += 1
        pending[-1] += value

    def flush(self) -> None:
        """Add what was tallied since the last flush to the shared values."""
        counts, self._counts = self._counts, {}
        histograms, self._histograms = self._histograms, {}
        requests, self.requests = self.requests, {}
        _flush_requests(requests)
        for (counter, labels), amount in counts.items():
            (counter.labels(*labels) if labels else counter).inc(amount)
        for (histogram, labels), pending in histograms.items():
            child = histogram.labels(*labels) if labels else histogram
            # prometheus-client 0.26 (pinned): a histogram child's bucket and sum values.
            buckets, total = child._buckets, child._sum
            for index, amount in enumerate(pending[:-1]):
                if amount:
                    buckets[index].inc(amount)
            total.inc(pending[-1])


_BOUNDS: dict[int, list[float]] = {}


def _bounds(histogram: Histogram) -> list[float]:
    """The histogram's upper bounds, +Inf last (read once: the list is private)."""
    found = _BOUNDS.get(id(histogram))
    if found is None:
        found = _BOUNDS[id(histogram)] = list(histogram._upper_bounds)
    return found


TALLY = Tally()
"""The process's tally: metrics are process-wide by nature (prometheus-client's registry is),
so this is too; nothing needs to replace it in tests."""


_REQUEST_BOUNDS = [*LATENCY_BUCKETS, float("inf")]


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """One answered request (called by ``LeadflowApp`` for every HTTP request): one dict
    look-up and two additions; the lead counts are derived from these at the flush."""
    key = (route, method, status)
    cell = TALLY.requests.get(key)
    if cell is None:
        cell = TALLY.requests[key] = [0.0] * (len(_REQUEST_BOUNDS) + 1)
    cell[bisect.bisect_left(_REQUEST_BOUNDS, seconds)] += 1
    cell[-1] += seconds


def _flush_requests(requests: dict[tuple[str, str, int], list[float]]) -> None:
    for (route, method, status), cell in requests.items():
        child = REQUESTS.labels(route, method, str(status))
        _add_to_histogram(child, cell)
        api = LEAD_ROUTES.get(route)
        if api is not None and method in ("POST", "PUT"):
            posts = sum(cell[:-1])
            if status < 300:
                LEADS.labels(api, "accepted", "").inc(posts)
            else:
                LEADS.labels(api, "refused", refusal_reason(status)).inc(posts)


def _add_to_histogram(child: Any, pending: list[float]) -> None:
    """Add tallied bucket counts (and the sum, last) to a histogram child: prometheus-client
    0.26 (pinned) keeps them as ``_buckets`` and ``_sum`` values, and has no public way to
    add more than one observation at a time."""
    buckets, total = child._buckets, child._sum
    for index, amount in enumerate(pending[:-1]):
        if amount:
            buckets[index].inc(amount)
    total.inc(pending[-1])


def record_cadence_sends(sends: Iterable[tuple[str, str]]) -> None:
    """(channel, outcome) of each send of a cadence batch."""
    for labels in sends:
        TALLY.count(CADENCE_ACTIONS, labels)


def record_webhook_outcomes(outcomes: Iterable[Any]) -> None:
    """Each try of a round of webhook deliveries: ``delivered``, ``refused`` (the URL policy
    said no) or ``failed`` (retried later, or given up)."""
    for outcome in outcomes:
        label = "delivered" if outcome.succeeded else "refused" if outcome.refused else "failed"
        TALLY.count(WEBHOOK_DELIVERIES, (label,))


def record_buyer_delivery(outcome: str) -> None:
    TALLY.count(BUYER_DELIVERIES, (outcome,))


def record_batch(size: int) -> None:
    TALLY.observe(BATCH_SIZES, (), float(size))


async def flush_every_second() -> None:
    """Run for the life of a process (the API's lifespan, the worker)."""
    try:
        while True:
            await asyncio.sleep(1.0)
            TALLY.flush()
    finally:
        TALLY.flush()


def watch_pool(engine: Any) -> None:
    """Keep the pool gauges for ``engine``: its capacity once, its checkouts as they happen
    (a checkout per transaction, not per statement; group commit takes one per batch)."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        POOL_CAPACITY.set(size() + max(0, overflow))

    @event.listens_for(pool, "checkout")
    def _checkout(*_: Any) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(pool, "checkin")
    def _checkin(*_: Any) -> None:
        POOL_IN_USE.dec()
