"""The ``leadflow`` command: serve, worker, database upgrades, companies and the demo; the
``users`` and ``dnc`` commands live with their domains."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path

import typer

from leadflow.clock import SystemClock
from leadflow.dnc.commands import dnc_app
from leadflow.settings import get_settings
from leadflow.users.cli import users_app

app = typer.Typer(
    help="Leadflow: lead intake, schedules, dialing and lead submission.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
companies_app = typer.Typer(help="Tenants and their key pairs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(companies_app, name="companies")
app.add_typer(users_app, name="users")
reports_app = typer.Typer(help="Report counters.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")
app.add_typer(dnc_app, name="dnc")


def _default_port() -> int:
    return int(os.environ.get("PORT", "8000"))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(None, help="Port; defaults to $PORT, then 8000."),
    workers: int = typer.Option(1, help="API processes (use PostgreSQL for more than one)."),
    migrate: bool = typer.Option(True, help="Run `db upgrade` before serving."),
) -> None:
    """Serve the API, with a worker process beside it (unless LEADFLOW_EMBEDDED_WORKER=false)."""
    # Imported by the commands that use them: `leadflow --help` took 3.6 s when every command
    # loaded alembic, uvicorn and the DNC importer (0.8 s now).
    import uvicorn

    from leadflow.db.migrate import upgrade
    from leadflow.kit.connections import connection_cap, raise_open_file_limit
    from leadflow.ops.multiprocess import (
        prepare_multiprocess_directory,
        remove_multiprocess_directory,
    )
    from leadflow.worker.process import WorkerProcess

    # Before any process imports prometheus-client: every process below shares /metrics.
    metrics_directory = prepare_multiprocess_directory()
    settings = get_settings()
    if migrate:
        upgrade(settings.database_url)
    worker_process = WorkerProcess() if settings.embedded_worker else None
    if worker_process is not None:
        # Read by every API process's settings (uvicorn's worker processes inherit it).
        os.environ["LEADFLOW_WORKER_WAKE_SOCKET"] = worker_process.wake_socket
        get_settings.cache_clear()
    # Connection limits (docs/security/requests.md): as many open files as the OS allows, and
    # a connection cap under that, read by every API process from the environment.
    cap = connection_cap(settings.max_connections, raise_open_file_limit())
    os.environ["LEADFLOW_MAX_CONNECTIONS"] = str(cap)
    get_settings.cache_clear()
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    announce_when_ready(port or _default_port())
    try:
        uvicorn.run(
            "leadflow.asgi:app",
            host=host,
            port=port or _default_port(),
            workers=workers,
            # uvicorn's 5 s kills an API process still importing on a loaded host (52 s seen
            # on the shared 2-core build host) and restarts it for ever: --workers 2 never up.
            timeout_worker_healthcheck=120,
            loop="uvloop",
            http="leadflow.kit.connections:GuardedHttpToolsProtocol",
            access_log=False,
            log_level="warning",
            log_config=None,  # uvicorn's records go through ours (leadflow.ops.logging)
            # X-Forwarded-For/-Proto only from the proxies the operator names; none by default
            # (uvicorn would otherwise believe any local process, 127.0.0.1).
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or [],
            timeout_keep_alive=settings.keepalive_timeout_seconds,
            # The protocol refuses connections over the cap; this bounds requests in flight.
            limit_concurrency=cap + 1,
        )
    finally:
        if worker_process is not None:
            worker_process.stop()
        remove_multiprocess_directory(metrics_directory)


@app.command()
def worker(
    lifeline_fd: int = typer.Option(None, hidden=True, help="Stop when this pipe closes."),
    wake_socket: str = typer.Option(None, hidden=True, help="Unix socket API processes wake."),
) -> None:
    """Run only the worker (scale-out: as many as you like, on PostgreSQL)."""
    from leadflow.db.engine import create_engine
    from leadflow.db.group_commit import GroupCommitter
    from leadflow.db.migrate import upgrade
    from leadflow.heap import freeze_startup_objects
    from leadflow.ops.logging import configure_logging
    from leadflow.ops.metrics import flush_every_second, watch_pool
    from leadflow.ops.worker_metrics import serve_worker_metrics
    from leadflow.worker.context import worker_context
    from leadflow.worker.jobs import default_jobs
    from leadflow.worker.process import STOP_SIGNALS, listen_for_wakes, watch_lifeline
    from leadflow.worker.runner import Worker

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    upgrade(settings.database_url)

    async def main() -> None:
        engine = create_engine(settings.database_url, settings.db_pool_size)
        watch_pool(engine)  # /metrics' pool use counts the worker's connections too
        committer = GroupCommitter(engine)
        async with worker_context(engine, committer, SystemClock(), settings) as context:
            runner = Worker(context, default_jobs())
            loop = asyncio.get_running_loop()
            stop = asyncio.Event()
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, stop.set)
            # Blocked by ``serve`` until now; one that came meanwhile is handled now.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            if lifeline_fd is not None:
                watch_lifeline(loop, lifeline_fd, stop.set)
            listener = listen_for_wakes(loop, wake_socket, runner.wake) if wake_socket else None
            freeze_startup_objects()
            runner.start()
            metrics_flusher = asyncio.create_task(flush_every_second())
            # Started by `serve` (lifeline): its API processes' /metrics count this worker.
            alone = lifeline_fd is None and settings.worker_metrics_port
            metrics_server = await serve_worker_metrics(settings) if alone else None
            await stop.wait()
            if metrics_server is not None:
                metrics_server.close()
            metrics_flusher.cancel()
            if listener is not None:
                loop.remove_reader(listener.fileno())
                listener.close()
            await runner.stop()
            await committer.close()
        await engine.dispose()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (safe to run on every deploy)."""
    from leadflow.db.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is at the latest revision")


@db_app.command("backup")
def db_backup(
    path: Path = typer.Argument(..., help="File to write (replaced if it exists)."),
) -> None:
    """Write a consistent copy of the database to PATH while it keeps serving.

    SQLite: the online backup API. PostgreSQL: pg_dump's custom format (docs/operations.md)."""
    from leadflow.ops.backup import BackupError, backup

    try:
        backup(get_settings().database_url, path)
    except BackupError as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up to {path}")


@db_app.command("restore")
def db_restore(
    path: Path = typer.Argument(..., help="A file written by `leadflow db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before replacing the data."),
    force: bool = typer.Option(
        False, "--force", help="Restore even though a worker's heartbeat is recent."
    ),
) -> None:
    """Replace everything in the database with the backup at PATH, then migrate it.

    Stop `serve` and every `worker` first: a worker heard from within
    LEADFLOW_HEALTH_HEARTBEAT_STALE_SECONDS makes it refuse (exit 1) unless --force."""
    from leadflow.db.migrate import upgrade
    from leadflow.ops.backup import BackupError, restore

    settings = get_settings()
    if not force:
        live = asyncio.run(_live_workers())
        if live:
            typer.echo(
                f"restore refused: {live} is still running against this database; stop "
                "`serve` and every `worker` first (or pass --force)",
                err=True,
            )
            raise typer.Exit(1)
    if not yes:
        typer.confirm("Replace everything in the database with this backup?", abort=True)
    try:
        restore(settings.database_url, path)
    except BackupError as exc:
        typer.echo(f"restore failed: {exc}", err=True)
        raise typer.Exit(1) from None
    upgrade(settings.database_url)
    typer.echo(f"restored from {path}")


async def _live_workers() -> str:
    """The workers whose heartbeat is recent, named for the operator ("" when none): a
    restore under them would be overwritten, or would pull tables from under them."""
    from leadflow.db.engine import create_engine
    from leadflow.ops.health import HealthLimits, check_health

    settings = get_settings()
    limits = HealthLimits(settings.health_heartbeat_stale_seconds, settings.health_max_lag_seconds)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        health = await check_health(engine, SystemClock().now(), limits)
    finally:
        await engine.dispose()
    return ", ".join(f"worker {b.pid} on {b.host}" for b in health.live_workers())


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Print what /healthz answers."),
) -> None:
    """The database, the workers' heartbeats and the cadence's lag, as /healthz reports them.

    Exits 0 when all is well, 1 when degraded (no live worker, or lag over its limit), 2 when
    the database cannot be reached."""
    from leadflow.db.engine import create_engine
    from leadflow.dnc.checks import list_warnings
    from leadflow.dnc.registry import DncRegistry
    from leadflow.ops.health import Health, HealthLimits, check_health, describe

    settings = get_settings()
    limits = HealthLimits(settings.health_heartbeat_stale_seconds, settings.health_max_lag_seconds)

    async def read() -> tuple[Health, list[str]]:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            now = SystemClock().now()
            health = await check_health(engine, now, limits)
            if not health.dnc:
                return health, []
            # /healthz's warnings: the federal list's age, files this node cannot read.
            registry = DncRegistry(engine, settings.dnc_dir, 0)
            try:
                max_age = settings.dnc_federal_max_age_days
                return health, await list_warnings(registry, now, max_age)
            finally:
                registry.close()
        finally:
            await engine.dispose()

    health, warnings = asyncio.run(read())
    report = health.as_dict()
    if warnings:
        report["warnings"] = warnings
    typer.echo(json.dumps(report) if as_json else describe(report))
    raise typer.Exit({"ok": 0, "degraded": 1}.get(health.status, 2))


@companies_app.command("create")
def companies_create(
    name: str = typer.Option(..., help="The company's name."),
    region: str = typer.Option("US", help="Region for numbers written without +country."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a company and its first key pair. The private key is shown only now."""
    import phonenumbers

    from leadflow.db.migrate import upgrade
    from leadflow.demo import create_company_now

    if not name.strip():
        raise typer.BadParameter("must not be blank", param_hint="--name")
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise typer.BadParameter(
            "must be a two-letter region such as US or GB", param_hint="--region"
        )
    settings = get_settings()
    upgrade(settings.database_url)
    created = asyncio.run(create_company_now(settings.database_url, name.strip(), region))
    out = {
        "id": created.company.id,
        "name": created.company.name,
        "public_key": created.keys.public_key,
        "private_key": created.keys.private_key,
    }
    typer.echo(json.dumps(out) if as_json else "\n".join(f"{k}: {v}" for k, v in out.items()))


@app.command()
def demo(
    port: int = typer.Option(
        None,
        help="Port shown in the examples; $PORT, then (with --env) the port of the last"
        " `leadflow demo` run, then 8000.",
    ),
    env: bool = typer.Option(
        False, "--env", help='Print only `export` lines, for eval "$(leadflow demo --env)".'
    ),
    credentials: Path = typer.Option(
        Path("var/demo-credentials.json"), help="Where the demo's key pair and password are kept."
    ),
) -> None:
    """Create the demo company (once) and print its keys, sign-in, lead token and examples.

    A re-run reuses the stored key pair and password while they still work."""
    from leadflow.db.migrate import upgrade
    from leadflow.demo import demo_env, demo_text, ensure_demo, remember_port, remembered_port

    settings = get_settings()
    upgrade(settings.database_url)
    served_on = remembered_port(credentials)  # read first: ensure_demo rewrites the file
    made = asyncio.run(ensure_demo(settings.database_url, credentials))
    if env:
        explicit = port or (int(os.environ["PORT"]) if os.environ.get("PORT") else None)
        if served_on is not None:
            remember_port(credentials, served_on)
        typer.echo(demo_env(made, explicit or served_on or 8000))
        return
    shown_port = port or _default_port()
    remember_port(credentials, shown_port)
    typer.echo(demo_text(made, shown_port, credentials))


@reports_app.command("rebuild")
def reports_rebuild(
    company: int = typer.Option(None, help="Only this company's id; omitted: every company."),
) -> None:
    """Recount the report counters from the leads, calls, messages and submissions."""
    from leadflow.db.migrate import upgrade
    from leadflow.reports.rebuild import rebuild_now

    settings = get_settings()
    upgrade(settings.database_url)
    done = rebuild_now(settings.database_url, company)
    typer.echo(f"report counters rebuilt for {done} compan{'y' if done == 1 else 'ies'}")


def announce_when_ready(port: int) -> threading.Thread:
    """Print one line once the server answers, so `make run` says where it is listening.

    A daemon thread that polls ``/api/v1/ping`` for up to a minute; it never holds up
    serving or shutting down."""
    import httpx

    def wait_then_print() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=1).is_success:
                    base = f"http://localhost:{port}"
                    typer.echo(f"Leadflow is listening on {base} (web app: {base}/login)")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)

    thread = threading.Thread(target=wait_then_print, name="announce-ready", daemon=True)
    thread.start()
    return thread


from leadflow.imports.command import leads_app  # noqa: E402

app.add_typer(leads_app, name="leads")
