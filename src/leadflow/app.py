"""The application factory. Nothing is built at import time: the engine is made per app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import perf_counter

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from leadflow.app_state import AppState
from leadflow.clock import Clock, SystemClock
from leadflow.db.engine import create_engine, create_read_engine, make_sessionmaker
from leadflow.db.group_commit import GroupCommitter
from leadflow.kit import handlers
from leadflow.kit.auth import KeyCache
from leadflow.kit.body_limit import RequestLimits
from leadflow.leads import fast_path
from leadflow.leads.owner import OwnerCache
from leadflow.ops.metrics import flush_every_second, record_request, watch_pool
from leadflow.ops.request_id import HEADER, current_request_id, request_id_of
from leadflow.settings import Settings, get_settings
from leadflow.worker.context import worker_context
from leadflow.worker.process import WakeSender


class LeadflowApp(FastAPI):
    """FastAPI, with the request limits applied before anything reads a body (see
    ``kit.body_limit``) and TrackDrive's lead post answered before the framework's layers (see
    ``leads.fast_path`` for why and for what it hands on)."""

    limits: RequestLimits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # what the client saw if the app raised before answering
        request_id = request_id_of(scope["headers"])
        current_request_id.set(request_id)  # this request's task and what it starts

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, request_id.encode())]
            await send(message)

        fast = fast_path.takes(scope)
        try:
            admitted = await self.limits.admit(scope, receive, sending, fast)
            if admitted is None:
                return  # refused (413, 422) before anything read the body, or the client left
            if fast:
                await fast_path.serve(self, scope, admitted, sending)
            else:
                await super().__call__(scope, admitted, sending)
        finally:
            # The route's template bounds the label values; the fast path has no route object.
            route = fast_path.PATH if fast else getattr(scope.get("route"), "path", "other")
            record_request(route, scope["method"], status, perf_counter() - started)

    def prepare_to_serve(self) -> None:
        """Build now what FastAPI and Jinja would build on first use.

        FastAPI builds an included router's routes (their parameter and response models) the
        first time a request is matched against them, and Jinja compiles a template the first
        time it renders. In a served process that first use stalled the event loop for 300-800
        ms, so the first sign-in page delayed every other company's lead posts behind it
        (bench.abuse's sign-in burst). A path no route matches makes every router build all of
        its routes. Called by ``leadflow.asgi`` only: tests build hundreds of apps and use few
        of their routes."""
        from leadflow.web.rendering import compile_templates

        nowhere: Scope = {
            "type": "http",
            "method": "GET",
            "path": "/.leadflow/prepare-to-serve",
            "root_path": "",
            "query_string": b"",
            "headers": [],
            "app": self,
        }
        for route in self.router.routes:
            route.matches(nowhere)
        compile_templates()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> LeadflowApp:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    state = AppState(settings, clock, KeyCache(settings.auth_cache_seconds))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, settings.db_pool_size)
        state.engine = engine
        watch_pool(engine)
        metrics_flusher = asyncio.create_task(flush_every_second(), name="metrics-flush")
        state.sessionmaker = make_sessionmaker(engine)
        reader = create_read_engine(settings.database_url)
        state.read_sessionmaker = make_sessionmaker(reader or engine)
        state.committer = GroupCommitter(engine)
        state.owner_cache = OwnerCache(engine, settings.token_cache_seconds)
        wake = WakeSender(settings.worker_wake_socket) if settings.worker_wake_socket else None
        if wake is not None:
            # Work committed by a request (a submission) is picked up by the worker process
            # `serve` started at once, instead of at its next poll (see worker.process).
            state.wake_worker = wake
        async with worker_context(engine, state.committer, clock, settings) as context:
            state.worker_context = context
            try:
                yield
            finally:
                metrics_flusher.cancel()
                if wake is not None:
                    wake.close()
                await state.committer.close()
                await engine.dispose()
                if reader is not None:
                    await reader.dispose()

    app = LeadflowApp(
        title="Leadflow",
        version="0.1.0",
        description="Lead intake, schedules, outbound dialing and lead submission. "
        "TrackDrive-compatible company API (Basic auth) and LeadSail-compatible submission "
        "API (X-API-Key).",
        lifespan=lifespan,
    )
    app.state.leadflow = state
    app.limits = RequestLimits(settings.max_body_bytes, settings.max_json_depth)
    handlers.install(app)
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from leadflow import web
    from leadflow.api_keys.endpoints import router as api_keys_router
    from leadflow.calls.dialing.endpoints import router as dialing_router
    from leadflow.calls.endpoints import router as calls_router
    from leadflow.campaigns.endpoints import router as campaigns_router
    from leadflow.contacts.endpoints import router as contacts_router
    from leadflow.distributions.endpoints import router as distributions_router
    from leadflow.dnc.endpoints import router as dnc_router
    from leadflow.leads.endpoints import router as leads_router
    from leadflow.leads.records.endpoints import router as lead_records_router
    from leadflow.numbers.endpoints import router as numbers_router
    from leadflow.offers.endpoints import router as offers_router
    from leadflow.ops.endpoints import probes_router
    from leadflow.ops.endpoints import router as ops_router
    from leadflow.reports.endpoints import router as reports_router
    from leadflow.scheduled_callbacks.endpoints import router as scheduled_callbacks_router
    from leadflow.schedules.endpoints import router as schedules_router
    from leadflow.submissions.endpoints import router as submissions_router
    from leadflow.subscriptions.endpoints import router as subscriptions_router
    from leadflow.telephony.endpoints import router as telephony_router
    from leadflow.tokens.endpoints import router as tokens_router
    from leadflow.traffic_sources.endpoints import router as traffic_sources_router

    # Lead intake first: it is the hot path, and routes are matched in order.
    for router in (
        probes_router,
        submissions_router,
        leads_router,
        lead_records_router,
        offers_router,
        dialing_router,
        distributions_router,
        schedules_router,
        traffic_sources_router,
        numbers_router,
        subscriptions_router,
        api_keys_router,
        contacts_router,
        tokens_router,
        scheduled_callbacks_router,
        telephony_router,
        calls_router,
        campaigns_router,
        reports_router,
        dnc_router,
        ops_router,
    ):
        app.include_router(router)
    web.install(app)
