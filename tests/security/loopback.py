"""A real HTTP server on 127.0.0.1 that records every byte it is sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

BODY = b'{"access_token": "t", "expires_in": 3600}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


@dataclass
class LoopbackServer:
    port: int
    received: list[bytes] = field(default_factory=list)

    @property
    def requests(self) -> list[bytes]:
        return [data for data in self.received if data]


def _serve(listener: socket.socket, server: LoopbackServer, stop: threading.Event) -> None:
    listener.settimeout(0.1)
    while not stop.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            connection.settimeout(2)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                connection.sendall(ANSWER)
            except OSError:
                pass
            server.received.append(data)


@contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    """Started for one test; answers 200 with a small JSON body (an OAuth token will do)."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = LoopbackServer(listener.getsockname()[1])
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, server, stop), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join()
        listener.close()
