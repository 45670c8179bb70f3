"""``bench.reports --intake-seconds``: what the report counters cost ``bench.intake``'s lead
post on SQLite, measured against a server with them dropped, in turns."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from statistics import median

import psutil
from sqlalchemy import text

from bench.intake import LUA, make_schedule, rate
from bench.intake_profile import cpu_seconds
from bench.serverproc import create_company, server
from bench.wrk import WrkResult, run_wrk
from leadflow.db.engine import create_engine


def drop_counter_triggers(database_url: str) -> None:
    """The report triggers (migrations 0009 and 0014) gone: intake as it was without them (the
    server's code does the rest: :func:`without_counters_env`)."""

    async def drop() -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                found = await conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'report%'"
                    )
                )
                for (name,) in found.all():
                    await conn.execute(text(f"DROP TRIGGER {name}"))
        finally:
            await engine.dispose()

    asyncio.run(drop())


def without_counters_env() -> dict[str, str]:
    """The "without" server's code leaves out the statements with which a batch of new leads
    counts itself on SQLite (see bench/without_counters/sitecustomize.py)."""
    folder = str(Path(__file__).with_name("without_counters"))
    return {"PYTHONPATH": os.pathsep.join(filter(None, [folder, os.environ.get("PYTHONPATH")]))}


def intake_with_and_without_counters(seconds: int, rounds: int, connections: int) -> None:
    """``bench.intake``'s lead post on SQLite against two databases, one with the report
    triggers and one without, taking turns (``rounds``, each other round the other first) so
    that the shared machine's drift weighs on both; prints each one's leads/s and their
    ratio. One server at a time (two side by side did not start within ``serverproc``'s 30 s
    on the loaded machine)."""
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
        urls = {
            "with counters": f"sqlite:///{directory}/with.db",
            "without": f"sqlite:///{directory}/without.db",
        }
        companies = {name: create_company(url) for name, url in urls.items()}
        drop_counter_triggers(urls["without"])
        share = max(1, round(seconds / rounds))
        results: dict[str, list[WrkResult]] = {name: [] for name in urls}
        cpu: dict[str, list[float]] = {name: [] for name in urls}
        tokens: dict[str, str] = {}
        for turn in range(rounds):
            # Every other round the other one goes first: the round's first server ran
            # slower in every earlier run (0.74 to 0.76 in round 1, with counters first).
            order = list(urls.items()) if turn % 2 == 0 else list(reversed(urls.items()))
            for name, url in order:
                with server(
                    url, extra_env=without_counters_env() if name == "without" else None
                ) as base:
                    if name not in tokens:
                        tokens[name] = make_schedule(base, companies[name])
                    warm = {"LEAD_TOKEN": tokens[name], "OFFSET": str(5_000_000 + turn * 20_000)}
                    run_wrk(f"{base}/api/v1/leads", 1, connections, LUA, warm)
                    env = {"LEAD_TOKEN": tokens[name], "OFFSET": str(turn * 200_000)}
                    tree = psutil.Process().children(recursive=True)  # the server's processes
                    before = cpu_seconds(tree)
                    found = run_wrk(f"{base}/api/v1/leads", share, connections, LUA, env)
                    cpu[name].append((cpu_seconds(tree) - before) / max(found.requests, 1))
                    results[name].append(found)
            with_rate = results["with counters"][-1].requests_per_second
            without_rate = results["without"][-1].requests_per_second
            print(
                f"round {turn + 1}: with counters {with_rate:6.0f} leads/s "
                f"({cpu['with counters'][-1] * 1e6:4.0f} µs CPU a lead), without "
                f"{without_rate:6.0f} leads/s ({cpu['without'][-1] * 1e6:4.0f} µs), "
                f"ratio {with_rate / without_rate:4.2f}",
                flush=True,
            )
    with_rate, without_rate = rate(results["with counters"]), rate(results["without"])
    print("\n== bench.intake's POST /api/v1/leads on SQLite, report triggers on and off")
    print(f"with counters {with_rate:7.0f} leads/s   without {without_rate:7.0f} leads/s")
    ratios = sorted(
        ours.requests_per_second / theirs.requests_per_second
        for ours, theirs in zip(results["with counters"], results["without"], strict=True)
    )
    print(f"ratio with/without {with_rate / without_rate:5.2f} (over all rounds)", flush=True)
    print(f"median of the rounds' ratios {median(ratios):5.2f}", flush=True)
    # The servers' own CPU a lead does not move with what else the machine runs, as their
    # rates do: the ratio a server held back by its CPU alone would show.
    with_cpu, without_cpu = median(cpu["with counters"]), median(cpu["without"])
    print(
        f"server CPU a lead (median of rounds): with counters {with_cpu * 1e6:.0f} µs, "
        f"without {without_cpu * 1e6:.0f} µs, ratio without/with {without_cpu / with_cpu:5.2f}",
        flush=True,
    )
