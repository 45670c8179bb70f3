"""A real HTTP receiver for webhook tests, on this host.

It prefers an address of a local interface in a private range (fc00::/7, 10/8, 172.16/12,
192.168/16, 100.64/10), which the outbound URL policy lets through only with
``allow_private_urls``; a host with none uses loopback, which the policy lets through only with
``allow_loopback_urls``. Either way connections never leave the host and the real policy
check runs.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path

from leadflow.kit.outbound_urls import check_outbound_url


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of ``statuses`` (the last one repeats)."""

    host: str
    port: int = 0
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        written = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{written}:{self.port}{path}"

    def answer(self) -> int:
        index = min(len(self.requests) - 1, len(self.statuses) - 1)
        return self.statuses[index]


def _local_addresses() -> Iterator[str]:
    inet6 = Path("/proc/net/if_inet6")
    if inet6.exists():
        for line in inet6.read_text().splitlines():
            yield str(ipaddress.IPv6Address(int(line.split()[0], 16)))
    fib = Path("/proc/net/fib_trie")
    if fib.exists():
        last = ""
        for line in fib.read_text().splitlines():
            text = line.strip()
            if text.startswith(("|--", "+--")):
                last = text[3:].strip().split("/")[0]
            elif "/32 host LOCAL" in text and last:
                yield last
    for info in socket.getaddrinfo(socket.gethostname(), None):
        yield str(info[4][0])


def private_address() -> str | None:
    """A local address that the policy allows only when private networks are allowed."""
    for address in dict.fromkeys(_local_addresses()):
        written = f"[{address}]" if ":" in address else address
        try:
            check_outbound_url(f"http://{written}/", allow_private=True)
        except ValueError:
            continue
        try:
            check_outbound_url(f"http://{written}/", allow_private=False)
        except ValueError:
            return address
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def serve(receiver: Receiver) -> HTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(receiver.answer())
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server_class = type(
        "Server",
        (_Server,),
        {"address_family": socket.AF_INET6 if ":" in receiver.host else socket.AF_INET},
    )
    server = server_class((receiver.host, 0), Handler)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
