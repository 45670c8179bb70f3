"""Ping/post auctions: is the decision on time under load, and what does one cost?

Starts ten local buyers in a process of their own (each on its own port, as real buyers are
different hosts): they answer pings after 5, 20, 50, 120, 250, 500 and 900 ms, one never
answers, one answers garbage, one after 30 ms; every post is accepted at once. Then runs
``--rate`` auctions a second for ``--seconds`` through the pipeline's auction engine
(:func:`~leadflow.submissions.pipeline.auction.run_auction`: parallel pings, the deadline,
ranking, the post to the winner) on the worker's own delivery client (the guarded keep-alive
transport), open loop: each auction starts at its scheduled instant on a task of its own,
whatever the others are doing. Prints:

- decision time (first ping to ranking) p50/p99/max against the deadline + 20 ms target;
- lateness: how far past the deadline decisions came, and how late auctions started
  against their schedule (an auction delayed by another would show here);
- CPU per auction (this process: pings, ranking, posts; the buyers' CPU is not counted);
- host steal and the load average over the run.

``--transport wire,aiohttp,httpx`` runs the auctions over each delivery transport (and aiohttp's,
``bench/aiohttp_transport.py``) in turns,
against the same buyers, and prints a line per turn at the end.

    .venv/bin/python -m bench.auction [--rate 100] [--seconds 30] [--deadline-ms 750]

The database is not involved: seating (caps, hours) and recording are one short transaction
each, measured with the rest of the pipeline by ``bench.submit``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bench.aiohttp_transport import transport_named
from bench.machine import Steal
from leadflow.campaigns.config import CampaignConfig
from leadflow.heap import freeze_startup_objects
from leadflow.kit.pinned_http import OutboundPolicy
from leadflow.submissions.payload import build_payload, encode_payload
from leadflow.submissions.pipeline.auction import AuctionResult, run_auction
from leadflow.submissions.pipeline.auction_seating import Seat, Ticket
from leadflow.submissions.pipeline.campaigns import Campaign
from leadflow.submissions.pipeline.delivery import TokenCache, UrlPolicy
from leadflow.submissions.pipeline.steps import Evaluation

NEVER = -1.0
GARBAGE = -2.0
BUYER_DELAYS_MS = (5.0, 20.0, 50.0, 120.0, 250.0, 500.0, 900.0, NEVER, GARBAGE, 30.0)
LEAD: dict[str, Any] = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@example.com",
    "phone": "+12125550123",
    "address": {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"},
}


class _Buyer(asyncio.Protocol):
    """An HTTP/1.1 keep-alive buyer: a ping gets a bid after ``delay_ms`` (or never, or
    garbage), a post is accepted at once. A bare protocol on uvloop, so the buyers' own CPU
    stays small beside the auctions'."""

    def __init__(self, port: int, delay_ms: float) -> None:
        self.delay_ms = delay_ms
        self.bid = 1.0 + (port % 97) / 10
        self.port = port
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        if head.startswith(b"POST /post"):
            self._write(b'{"status": "success", "leadId": "B-1"}')
        elif self.delay_ms == NEVER:
            return
        elif self.delay_ms == GARBAGE:
            self._write(b"<html>bid: lots</html")
        else:
            body = b'{"bid": %.2f, "pingId": "P-%d"}' % (self.bid, self.port)
            asyncio.get_running_loop().call_later(self.delay_ms / 1000, self._write, body)

    def _write(self, body: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )


def _serve_buyers(ports: list[int], ready: Any) -> None:
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for port, delay in zip(ports, BUYER_DELAYS_MS, strict=True):
            await loop.create_server(
                lambda port=port, delay=delay: _Buyer(port, delay), "127.0.0.1", port, backlog=1024
            )
        ready.set()
        await asyncio.Event().wait()

    uvloop.run(main())


@contextmanager
def buyers_serving() -> Iterator[list[int]]:
    """The local buyers (one port each), in a process of their own, while the block runs: the
    process measured never spends CPU answering its own pings."""
    ports = _free_ports(len(BUYER_DELAYS_MS))
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    buyers = context.Process(target=_serve_buyers, args=(ports, ready), daemon=True)
    buyers.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the buyers did not start")
        yield ports
    finally:
        buyers.terminate()
        buyers.join(5)


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def ticket(ports: list[int], deadline_ms: int) -> Ticket:
    """An auction over the ten buyers, as the deciding transaction would seat it."""
    buyers = []
    seats = []
    for index, port in enumerate(ports):
        config = CampaignConfig.model_validate(
            {
                "endpoint": {
                    "url": f"http://127.0.0.1:{port}/post",
                    "payload": [
                        {"clientKey": "first_name", "sourceKey": "firstName"},
                        {"clientKey": "phone", "sourceKey": "phone"},
                    ],
                    "response": {"statusPath": "$.status", "leadIdPath": "$.leadId"},
                    "timeoutSeconds": 2,
                    "maxRetries": 0,
                }
            }
        )
        campaign = Campaign(
            index + 2, f"b{index}", f"b{index}", "buyer", 1, "active", "UTC", 0, config
        )
        endpoint = config.endpoint
        assert endpoint is not None
        payload = build_payload(endpoint.payload, LEAD)
        body = encode_payload(payload, "json")
        evaluation = Evaluation(campaign, True, None, {}, LEAD, [], payload, body)
        buyers.append(
            {
                "campaignId": f"b{index}",
                "priority": index,
                "ping": {"url": f"http://127.0.0.1:{port}/ping", "timeoutMs": 1000},
            }
        )
        seats.append((evaluation, index))
    auction_config = CampaignConfig.model_validate(
        {
            "distribution": "ping_post",
            "pingPost": {"deadlineMs": deadline_ms, "floor": 1.0, "buyers": buyers},
        }
    )
    auction = Campaign(1, "auction", "auction", "auction", 1, "active", "UTC", 0, auction_config)
    rules = auction_config.ping_post
    assert rules is not None
    return Ticket(
        auction,
        rules,
        [Seat(rules.buyers[i], evaluation, [], i) for evaluation, i in seats],
    )


async def drive(
    ports: list[int], rate: float, seconds: float, deadline_ms: int, transport: str
) -> str:
    """One turn over ``transport``; returns its summary line."""
    http = httpx.AsyncClient(
        transport=transport_named(transport, OutboundPolicy(False, True)),
        follow_redirects=False,
        trust_env=False,
    )
    policy = UrlPolicy(False, True)
    tokens = TokenCache()
    the_ticket = ticket(ports, deadline_ms)
    # Each auction is kept as its summary only. Kept whole (bids with their requests and
    # answers, and the finished tasks), 3,000 auctions were some 300,000 live objects that the
    # cycle collector walked again and again: 100+ ms pauses a worker, which records an auction
    # and lets it go, never has.
    results: list[Summary] = []
    start_lag: list[float] = []
    running: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        start_lag.append((time.perf_counter() - scheduled) * 1000)
        results.append(Summary.of(await run_auction(http, the_ticket, policy, tokens)))

    # warm the connections (a real worker's are kept alive)
    await asyncio.gather(*(run_auction(http, the_ticket, policy, tokens) for _ in range(20)))
    freeze_startup_objects()  # as the worker does when it is ready to work
    total = int(rate * seconds)
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    began = time.perf_counter()
    with Steal() as steal:
        for n in range(total):
            scheduled = began + n / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            task = asyncio.ensure_future(one(scheduled))
            running.add(task)
            task.add_done_callback(running.discard)
        while running:
            await asyncio.gather(*running)
    cpu = time.process_time() - cpu_before
    # decided per second: auctions over the time from the first start to the last decision
    # (at the target, the run's length plus one deadline)
    achieved = len(results) / (time.perf_counter() - began)
    await http.aclose()
    load = f"load {load_before:.2f}→{os.getloadavg()[0]:.2f}"
    print(f"\n[{transport}] {load}")
    _report(results, start_lag, cpu, deadline_ms, rate, seconds, steal)
    print(f"achieved: {achieved:.1f} auctions/s decided and posted (offered {rate:g}/s)")
    decisions = [r.decision_ms for r in results]
    return (
        f"{transport:6} decision p50 {statistics.median(decisions):.1f} p99 "
        f"{_pct(decisions, 0.99):.1f} ms (past the deadline p99 "
        f"{max(_pct(decisions, 0.99) - deadline_ms, 0.0):.1f})  sold "
        f"{sum(1 for r in results if r.sold)}/{len(results)}  CPU "
        f"{cpu / len(results) * 1000:.2f} ms/auction  {load}  {steal}"
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


@dataclass(frozen=True, slots=True)
class Summary:
    """What the report needs of one auction."""

    decision_ms: float
    sold: bool
    outcomes: tuple[str, ...]

    @classmethod
    def of(cls, result: AuctionResult) -> Summary:
        outcomes = tuple(bid.outcome for bid in result.bids)
        return cls(result.decision_ms, result.sold is not None, outcomes)


def _report(
    results: list[Summary],
    start_lag: list[float],
    cpu: float,
    deadline_ms: int,
    rate: float,
    seconds: float,
    steal: Steal,
) -> None:
    decisions = [r.decision_ms for r in results]
    late = [max(d - deadline_ms, 0.0) for d in decisions]
    sold = sum(1 for r in results if r.sold)
    outcomes: dict[str, int] = {}
    for r in results:
        for outcome in r.outcomes:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    p99 = _pct(decisions, 0.99)
    target = deadline_ms + 20
    print(f"auctions: {len(results)} at {rate:g}/s for {seconds:g} s, 10 buyers each; sold {sold}")
    print(f"pings: {dict(sorted(outcomes.items()))}")
    print(
        f"decision ms: p50 {statistics.median(decisions):.1f}  p99 {p99:.1f}  "
        f"max {max(decisions):.1f}  (deadline {deadline_ms}, target p99 <= {target}: "
        f"{'met' if p99 <= target else 'MISSED'})"
    )
    print(
        f"past the deadline ms: p99 {_pct(late, 0.99):.1f}  max {max(late):.1f}; "
        f"auction start behind schedule ms: p99 {_pct(start_lag, 0.99):.1f}  "
        f"max {max(start_lag):.1f}"
    )
    per_auction = cpu / len(results) * 1000
    print(f"CPU per auction: {per_auction:.2f} ms (this process; {os.cpu_count()} cores)")
    print(steal)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--deadline-ms", type=int, default=750)
    parser.add_argument(
        "--transport",
        default="wire",
        help="Delivery transports (wire, httpx, aiohttp), comma-separated: run in these turns.",
    )
    args = parser.parse_args()
    with buyers_serving() as ports:
        turns = [
            asyncio.run(drive(ports, args.rate, args.seconds, args.deadline_ms, transport))
            for transport in args.transport.split(",")
        ]
        print("\n== in turns\n" + "\n".join(turns))


if __name__ == "__main__":
    main()
