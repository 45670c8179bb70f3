"""A real HTTP buyer on loopback: answers each path with a scripted response, records requests.

One server plays every part a pipeline test needs: buyer endpoints (JSON, XML, slow,
malformed), an OAuth token endpoint, an OpenAI-compatible chat endpoint and a pixel URL.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = ""
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Buyer:
    """``answers[path]`` is a list: each request takes the next answer, the last repeats."""

    host: str = "127.0.0.1"
    port: int = 0
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def on(self, path: str, *answers: Answer) -> str:
        self.answers[path] = list(answers)
        return self.url(path)

    def received(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def next_answer(self, path: str) -> Answer:
        with self.lock:
            scripted = self.answers.get(path.split("?")[0]) or [Answer(404, "no such path")]
            count = len(self.received(path.split("?")[0]))
            return scripted[min(count - 1, len(scripted) - 1)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET


@contextmanager
def serve(buyer: Buyer) -> Iterator[Buyer]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            with buyer.lock:
                buyer.requests.append(
                    Request(self.command, self.path, dict(self.headers.items()), body)
                )
            answer = buyer.next_answer(self.path)
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.body.encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def log_message(self, *args: object) -> None:
            pass

    server = _Server((buyer.host, 0), Handler)
    buyer.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield buyer
    finally:
        server.shutdown()
        server.server_close()
