"""Connection limits for ``leadflow serve``: what uvicorn 0.54 lacks, added to its httptools
protocol.

Uvicorn closes a kept-alive connection once it has been idle ``timeout_keep_alive`` seconds
after a response, and answers 503 over ``limit_concurrency``; but a connection that never
completes its first request is never closed (the keep-alive timer starts only after a
response, and any byte received stops it), and every connection is accepted whatever the
count. So 1,100 idle sockets used up the 1,024 open files, and a client trickling its headers
or body one byte at a time held a connection forever. :class:`GuardedHttpToolsProtocol` adds:

- a header deadline (``LEADFLOW_HEADER_TIMEOUT_SECONDS``) from the connection's start, and
  from the first byte of every later request, until its headers are complete: else 408 and
  closed;
- a body deadline (``LEADFLOW_BODY_TIMEOUT_SECONDS``) from the end of the headers until the
  whole body is in: else 408 (if nothing was answered yet) and closed;
- a connection cap (``LEADFLOW_MAX_CONNECTIONS``, lowered by :func:`connection_cap` to fit
  the open-file limit): a connection over it is answered 503 and closed at once, before its
  request is read, so the process never runs out of file descriptors.

:func:`raise_open_file_limit` lifts the soft open-file limit to the hard one at start.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any, cast

from starlette.types import Scope
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from leadflow.kit.refusals import raw_response
from leadflow.settings import get_settings

log = logging.getLogger(__name__)

# File descriptors kept for everything that is not a client connection: the database pool,
# the worker's sockets, log files, the listening sockets, imported modules' files.
RESERVED_FILES = 256
# A deadline firing this much after its time means the loop was blocked (see _expire).
LATE_SECONDS = 0.5


def raise_open_file_limit() -> int:
    """Raise this process's soft open-file limit to its hard limit (children inherit it);
    returns the soft limit in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft if soft != resource.RLIM_INFINITY else 1 << 20
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        log.warning("could not raise the open-file limit from %s to %s", soft, wanted)
        return soft
    return wanted


def connection_cap(configured: int, open_files: int) -> int:
    """The connections one process may hold: the configured cap, lowered so that connections
    plus :data:`RESERVED_FILES` stay under the open-file limit."""
    return max(16, min(configured, open_files - RESERVED_FILES))


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with header and body deadlines and a connection cap."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 4096
    _configured = False

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not GuardedHttpToolsProtocol._configured:
            GuardedHttpToolsProtocol.configure()
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False
        self._reading_headers = False

    @staticmethod
    def configure() -> None:
        """Read the limits from the settings once per process (uvicorn builds one protocol per
        connection; ``serve`` put the cap fitting the open-file limit in the environment)."""
        settings = get_settings()
        cls = GuardedHttpToolsProtocol
        cls.header_timeout = settings.header_timeout_seconds
        cls.body_timeout = settings.body_timeout_seconds
        cls.max_connections = settings.max_connections
        cls._configured = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections:
            # Over the cap: refused before a byte is read, so the descriptor is freed at once.
            self._refused = True
            self.transport = transport
            transport.write(raw_response(None, 503, "base", "too many connections, retry"))
            transport.close()
            return
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True
        if self._deadline is None:
            # A later request on a kept-alive connection: its headers get the same time.
            self._arm(self.header_timeout, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._disarm()
        super().on_headers_complete()
        # The body deadline; disarmed when the message is complete (at once for no body).
        self._arm(self.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire, callback)

    def _expire(self, callback: Any) -> None:
        """Run ``callback`` unless the deadline fired late: then the event loop was busy, not
        the client slow, and bytes it sent may wait unread (uvloop runs timers before it polls
        sockets), so they get one more short look first."""
        late = self.loop.time() - self._deadline.when() if self._deadline is not None else 0.0
        if late > LATE_SECONDS:
            self._deadline = self.loop.call_later(LATE_SECONDS, callback)
            return
        callback()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_headers:
            # Part of a request came: say why it ends. A connection that sent nothing (an
            # idle or preconnected socket) is just closed.
            message = f"were not received within {self.header_timeout:g} seconds"
            self.transport.write(raw_response(None, 408, "headers", message))
        self.transport.close()

    def _body_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            message = f"was not received within {self.body_timeout:g} seconds"
            self.transport.write(raw_response(cast(Scope, self.scope), 408, "body", message))
            cycle.response_started = True  # the app's own answer, if any, must not follow
        self.transport.close()
