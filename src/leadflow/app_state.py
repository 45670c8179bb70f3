"""What one Leadflow app holds while it runs, typed, in one place.

Starlette's ``app.state`` is an untyped bag: every ``request.app.state.x`` read is ``Any`` to
mypy, so a renamed or missing attribute surfaced only at run time. The app keeps one
:class:`AppState` there instead, and code reaches it through :func:`app_state` (in a route or a
dependency) or :func:`state_of` (given the app). The parts the lifespan makes (the engine and
what hangs off it) exist from startup on; reading one before startup raises
``AttributeError``, as reading the bag did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from leadflow.clock import Clock
    from leadflow.db.group_commit import GroupCommitter
    from leadflow.dnc.registry import DncRegistry
    from leadflow.kit.auth import KeyCache
    from leadflow.leads.owner import OwnerCache
    from leadflow.settings import Settings
    from leadflow.web.session import SessionSigner
    from leadflow.worker.context import WorkerContext


@dataclass(eq=False)
class AppState:
    settings: Settings
    clock: Clock
    key_cache: KeyCache
    # Made by the lifespan, at startup.
    engine: AsyncEngine = field(init=False)
    sessionmaker: async_sessionmaker[AsyncSession] = field(init=False)
    # Read-only sessions for long reads (reports) and for key pairs the cache misses (anyone
    # can make it miss): db.engine.create_read_engine.
    read_sessionmaker: async_sessionmaker[AsyncSession] = field(init=False)
    committer: GroupCommitter = field(init=False)
    owner_cache: OwnerCache = field(init=False)
    worker_context: WorkerContext = field(init=False)
    # Set when the web app is mounted (leadflow.web.install).
    web_signer: SessionSigner = field(init=False)
    # Wakes the worker process ``serve`` started; None when no worker listens.
    wake_worker: Callable[[], None] | None = None

    @property
    def dnc(self) -> DncRegistry | None:
        """The do-not-call lists this process has open (its worker context's); None before
        startup or when none are configured."""
        context = getattr(self, "worker_context", None)
        return None if context is None else context.dnc

    def dnc_registry(self) -> DncRegistry:
        """:attr:`dnc` for a route: a started app always has its lists open."""
        registry = self.dnc
        if registry is None:
            raise RuntimeError("the do-not-call lists are not open: the app has not started")
        return registry


def state_of(app: Starlette) -> AppState:
    """The state of an app made by ``leadflow.app.create_app``."""
    return cast(AppState, app.state.leadflow)


def app_state(connection: HTTPConnection) -> AppState:
    """The state of the app serving this request (usable as a FastAPI dependency)."""
    return state_of(connection.app)
