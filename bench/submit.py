"""Lead submission: how fast submissions are accepted, and how soon they reach the buyer.

Starts Leadflow as `make run` does (the API and its worker process, SQLite), with a campaign
whose endpoint is a local buyer answering at once, and prints, in one run:

1. requests/s for ``GET /api/v1/ping`` and for ``POST /api/v1/leads/submit`` (distinct phones,
   so no duplicates), driven by wrk, and their ratio;
2. after the backlog is delivered, an open-loop load of ``--rate`` submissions/s for
   ``--latency-seconds``: p50/p99 from sending the submit request to the buyer receiving the
   lead (both clocks are this machine's), and p50/p99 of the submit answer itself, with the
   worker process's CPU per delivery and the load average.

``--transport wire,httpx,wire,httpx`` measures the delivery transports in turns (a fresh server
for each, on the same database), each turn's open loops after the others', so the host's drift
falls on both alike; ``--no-burst`` skips the wrk burst.

    .venv/bin/python -m bench.submit [--seconds 10] [--rates 200,50] [--latency-seconds 15]
    .venv/bin/python -m bench.submit --no-burst --rates 200 --transport wire,httpx,wire,httpx
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

from bench.machine import Steal
from bench.serverproc import create_company, server
from bench.wrk import WrkResult, run_wrk

SUBMIT_LUA = """
-- JSON POST /api/v1/leads/submit, a distinct phone per request.
local key = os.getenv("API_KEY")
local counter = 0
local thread_id = 0
local next_thread = 0
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end
request = function()
  counter = counter + 1
  local n = thread_id * 1000000 + counter
  local phone = string.format("+1719%03d%04d", 200 + math.floor(n / 10000) % 800, n % 10000)
  local body = string.format(
    '{"campaignId":"bench","firstName":"Bench","lastName":"Lead","email":"b%d@example.com",'
    .. '"phone":"%s"}', n, phone)
  return wrk.format("POST", "/api/v1/leads/submit",
    {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end
"""
ACCEPTED = b'{"status":"success","leadId":"bench"}'


class Buyer:
    """An HTTP/1.1 buyer on loopback, on its own thread and loop, answering at once and
    noting when each lead (by e-mail) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.port = 0
        self._ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                email = orjson.loads(body).get("email") if body else None
                if email:
                    self.arrived.setdefault(email, time.time())
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(ACCEPTED)}\r\n\r\n".encode()
                    + ACCEPTED
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def make_campaign(base: str, key: str, buyer: Buyer) -> None:
    endpoint = {
        "url": f"http://127.0.0.1:{buyer.port}/buy",
        "payload": [
            {"clientKey": "email", "sourceKey": "email"},
            {"clientKey": "phone", "sourceKey": "phone"},
        ],
        "response": {"statusPath": "$.status", "leadIdPath": "$.leadId"},
    }
    answer = httpx.post(
        f"{base}/api/v1/campaigns",
        json={"name": "Bench", "code": "bench", "timeZone": "UTC", "endpoint": endpoint},
        headers={"X-API-Key": key},
    )
    answer.raise_for_status()


def wait_for_quiet(buyer: Buyer, seconds: float = 2.0, limit: float = 300.0) -> None:
    """Until the buyer has heard nothing new for ``seconds`` (the backlog is delivered)."""
    deadline = time.monotonic() + limit
    last, since = len(buyer.arrived), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if len(buyer.arrived) != last:
            last, since = len(buyer.arrived), time.monotonic()
        elif time.monotonic() - since >= seconds:
            return


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, one request at a time.

    The open loop speaks plain HTTP on raw sockets in a process of its own: a general client
    (httpx) spends enough CPU per request to be the bottleneck itself, and sharing the GIL with the
    buyer's thread would delay the answers it times."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, path: str, key: str, body: bytes) -> int:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return int(head.split(b" ", 2)[1])


async def open_loop(
    port: int, key: str, rate: float, seconds: float, run: int, connections: int = 64
) -> dict[str, Any]:
    """``rate`` submissions per second on a fixed timetable, whatever the answers' speed: a
    submission waiting for a free connection is late from its planned time, which counts."""
    sent: dict[str, float] = {}
    committed: dict[str, float] = {}
    answered: list[float] = []
    statuses: dict[int, int] = {}
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def client() -> None:
        connection = await Connection.open(port)
        while (item := await due.get()) is not None:
            n, planned = item
            email = f"open{run}-{n}@example.com"
            body = {
                "campaignId": "bench",
                "firstName": "Open",
                "lastName": "Loop",
                "email": email,
                "phone": f"+1303{200 + run * 100 + (n // 10000) % 100:03d}{n % 10000:04d}",
            }
            sent[email] = planned
            try:
                status = await connection.post("/api/v1/leads/submit", key, orjson.dumps(body))
            except (OSError, asyncio.IncompleteReadError):
                status = 0
                connection = await Connection.open(port)
            done = time.time()
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                answered.append(done - planned)
                committed[email] = done

    clients = [asyncio.create_task(client()) for _ in range(connections)]
    start_wall, start = time.time(), time.monotonic()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait((n, start_wall + n / rate))
    for _ in clients:
        due.put_nowait(None)
    await asyncio.gather(*clients)
    failures = sum(count for status, count in statuses.items() if status != 200)
    return {
        "sent": sent,
        "committed": committed,
        "answered": answered,
        "failures": failures,
        "statuses": statuses,
    }


def open_loop_process(port: int, key: str, rate: float, seconds: float, run: int) -> dict[str, Any]:
    """:func:`open_loop` in a fresh process (see :class:`Connection`)."""
    return asyncio.run(open_loop(port, key, rate, seconds, run))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def worker_cpu_seconds() -> float:
    """CPU (user + system) of the server's worker process, found among this process's
    descendants (``leadflow worker --lifeline-fd ...``)."""
    for child in psutil.Process().children(recursive=True):
        try:
            if "--lifeline-fd" in child.cmdline():
                times = child.cpu_times()
                return float(times.user + times.system)
        except psutil.NoSuchProcess:
            continue
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rates", default="200,50", help="Open-loop rates to measure, comma-separated."
    )
    parser.add_argument("--latency-seconds", type=float, default=15)
    parser.add_argument(
        "--transport",
        default="wire",
        help="Delivery transports (wire, httpx), comma-separated: measured in these turns.",
    )
    parser.add_argument("--no-burst", action="store_true", help="Skip the wrk burst.")
    args = parser.parse_args()
    buyer = Buyer()
    loops: list[tuple[float, dict[str, Any]]] = []
    bursts: list[tuple[WrkResult, WrkResult, float]] = []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
        url = f"sqlite:///{directory}/bench.db"
        company = create_company(url)
        key = f"{company['public_key']}.{company['private_key']}"
        lua = Path(directory) / "submit.lua"
        lua.write_text(SUBMIT_LUA)
        for turn, transport in enumerate(args.transport.split(",")):
            env = {
                "LEADFLOW_ALLOW_LOOPBACK_URLS": "1",
                # httpx logs each delivery at INFO, and bench.serverproc never reads the
                # server's stderr: past 64 KB of log the worker would block on its pipe.
                "LEADFLOW_LOG_LEVEL": "WARNING",
                "LEADFLOW_DELIVERY_TRANSPORT": transport,
            }
            with server(url, extra_env=env) as base:
                if turn == 0:
                    make_campaign(base, key, buyer)
                run_wrk(f"{base}/api/v1/ping", 2, args.connections)
                run_wrk(
                    f"{base}/api/v1/leads/submit", 2, args.connections, str(lua), {"API_KEY": key}
                )
                wait_for_quiet(buyer)
                if not args.no_burst:
                    bursts.append(burst(base, key, lua, args.seconds, args.connections, buyer))
                for rate in [float(r) for r in args.rates.split(",")]:
                    port = int(base.rsplit(":", 1)[1])
                    loop = measure_loop(port, key, rate, args.latency_seconds, len(loops), buyer)
                    loop["transport"] = transport
                    loops.append((rate, loop))
    for ping, submit, drained in bursts:
        report_burst(ping, submit, drained)
    report(loops, buyer)


def burst(
    base: str, key: str, lua: Path, seconds: int, connections: int, buyer: Buyer
) -> tuple[WrkResult, WrkResult, float]:
    """wrk against ping, then against submit; then how long the backlog took to deliver."""
    ping = run_wrk(f"{base}/api/v1/ping", seconds, connections)
    submit = run_wrk(
        f"{base}/api/v1/leads/submit", seconds, connections, str(lua), {"API_KEY": key}
    )
    backlog_started = time.monotonic()
    wait_for_quiet(buyer)
    drained = time.monotonic() - backlog_started
    print(f"burst: {submit.requests} submitted, {len(buyer.arrived)} delivered", flush=True)
    return ping, submit, drained


def measure_loop(
    port: int, key: str, rate: float, seconds: float, run: int, buyer: Buyer
) -> dict[str, Any]:
    """One open loop from a process of its own, with the load average over it and the
    worker's CPU until its last delivery (a worker behind the rate delivers after the loop
    ends; its idle polls in the 3 s of quiet that follow cost next to nothing)."""
    load_before = os.getloadavg()[0]
    cpu_before = worker_cpu_seconds()
    with Steal() as steal, ProcessPoolExecutor(1, mp_context=get_context("spawn")) as driver:
        loop = driver.submit(open_loop_process, port, key, rate, seconds, run).result()
    loop["load"] = (load_before, os.getloadavg()[0])
    loop["steal"] = steal
    wait_for_quiet(buyer, seconds=3.0)
    loop["worker_cpu"] = worker_cpu_seconds() - cpu_before
    return loop


def report_burst(ping: WrkResult, submit: WrkResult, drained: float) -> None:
    print("\n== SQLite, the API and its worker process")
    print(
        f"GET  /api/v1/ping          {ping.requests_per_second:8.0f} req/s   "
        f"p50 {ping.p50_ms:6.2f} ms   p99 {ping.p99_ms:6.2f} ms   {ping.steal}"
    )
    print(
        f"POST /api/v1/leads/submit  {submit.requests_per_second:8.0f} req/s   "
        f"p50 {submit.p50_ms:6.2f} ms   p99 {submit.p99_ms:6.2f} ms   "
        f"non-2xx {submit.non_2xx}   socket errors {submit.socket_errors}   {submit.steal}"
    )
    print(
        f"ratio submit/ping          {submit.requests_per_second / ping.requests_per_second:8.2f}"
    )
    print(f"backlog after the burst delivered in {drained:.1f} s (incl. 2 s of quiet)")


def report(loops: list[tuple[float, dict[str, Any]]], buyer: Buyer) -> None:
    summary: list[str] = []
    for rate, loop in loops:
        sent: dict[str, float] = loop["sent"]
        latencies = [
            (buyer.arrived[email] - started) * 1000
            for email, started in sent.items()
            if email in buyer.arrived
        ]
        answered = [seconds * 1000 for seconds in loop["answered"]]
        print(
            f"\n[{loop['transport']}] open loop at {rate:.0f} submissions/s: {len(sent)} sent, "
            f"{len(latencies)} delivered, {loop['failures']} not accepted "
            f"(answers by status: {loop['statuses']}); {loop['steal']}"
        )
        print(
            f"submit answer          p50 {percentile(answered, 0.5):8.2f} ms   "
            f"p99 {percentile(answered, 0.99):8.2f} ms"
        )
        committed: dict[str, float] = loop["committed"]
        after_answer = [
            (buyer.arrived[email] - at) * 1000
            for email, at in committed.items()
            if email in buyer.arrived
        ]
        print(
            f"answer -> buyer        p50 {percentile(after_answer, 0.5):8.2f} ms   "
            f"p99 {percentile(after_answer, 0.99):8.2f} ms   (the pipeline alone; negative: "
            "delivered before the answer reached the client)"
        )
        print(
            f"submit -> buyer        p50 {percentile(latencies, 0.5):8.2f} ms   "
            f"p99 {percentile(latencies, 0.99):8.2f} ms   "
            f"max {max(latencies, default=float('nan')):8.2f} ms"
        )
        per_delivery = loop["worker_cpu"] / max(len(latencies), 1) * 1000
        load = loop["load"]
        print(f"worker CPU per delivery {per_delivery:.3f} ms; load {load[0]:.2f}→{load[1]:.2f}")
        summary.append(
            f"{loop['transport']:6} {rate:5.0f}/s  submit→buyer p50 "
            f"{percentile(latencies, 0.5):6.2f} p99 {percentile(latencies, 0.99):7.2f} ms  "
            f"worker CPU {per_delivery:.3f} ms/delivery  load {load[0]:.2f}→{load[1]:.2f}"
        )
    print("\n== in turns")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
