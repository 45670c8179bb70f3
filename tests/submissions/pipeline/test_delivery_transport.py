"""The delivery client against real buyers on loopback: TLS verified against the URL's host
name, a redirect taken as the buyer's answer, a chunked answer read whole.

Buyers are named (``buyer.test``) and the name is resolved by the outbound policy's resolver
to 127.0.0.1, so the certificate check runs on the name while the socket goes to the checked
address, as it does for a real buyer."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from leadflow.campaigns.config import DeliveryEndpoint
from leadflow.kit.pinned_http import OutboundPolicy
from leadflow.submissions.payload import EncodedBody
from leadflow.submissions.pipeline.client import delivery_client
from leadflow.submissions.pipeline.delivery import Delivered, TokenCache, UrlPolicy, deliver

ACCEPTED = b'{"status": "success", "leadId": "B-7"}'
RESPONSE = {"statusPath": "$.status", "leadIdPath": "$.leadId"}


async def to_loopback(host: str, port: int) -> list[str]:
    """Every buyer name resolves to this machine."""
    return ["127.0.0.1"]


POLICY = OutboundPolicy(allow_private=False, allow_loopback=True, resolver=to_loopback)


@dataclass(frozen=True)
class Certificates:
    ca: Path
    """The test CA the client is told to trust."""
    buyer: tuple[Path, Path]
    """Certificate and key for ``buyer.test``, signed by the CA."""
    other: tuple[Path, Path]
    """Certificate and key for ``other.test``, signed by the same CA."""


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def sign(directory: Path, name: str) -> tuple[Path, Path]:
    key, csr, cert = (directory / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
    extensions = directory / f"{name}.ext"
    extensions.write_text(
        f"subjectAltName=DNS:{name}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}",
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(directory / "ca.pem"),
        "-CAkey", str(directory / "ca.key"), "-CAcreateserial", "-days", "2",
        "-out", str(cert), "-extfile", str(extensions),
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A test CA (the openssl command line: no test dependency) and two buyers' certificates."""
    directory = tmp_path_factory.mktemp("tls")
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(directory / "ca.key"), "-out", str(directory / "ca.pem"), "-days", "2",
        "-subj", "/CN=Leadflow test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return Certificates(
        directory / "ca.pem", sign(directory, "buyer.test"), sign(directory, "other.test")
    )


@dataclass
class RawBuyer:
    """A buyer speaking raw HTTP/1.1 bytes; notes each request's target line and SNI name."""

    port: int = 0
    targets: list[bytes] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)

    def url(self, path: str, scheme: str = "http", host: str = "buyer.test") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


@asynccontextmanager
async def raw_buyer(
    answers: dict[bytes, bytes], tls: ssl.SSLContext | None = None
) -> AsyncIterator[RawBuyer]:
    """Answers each path (the request line's target) with the bytes given, on one kept-alive
    connection per client."""
    buyer = RawBuyer()
    if tls is not None:

        def note_name(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
            buyer.server_names.append(name)

        tls.sni_callback = note_name

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                target = head.split(b" ", 2)[1]
                buyer.targets.append(target)
                writer.write(answers.get(target, b"HTTP/1.1 404 Not Found\r\n\r\n"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0, ssl=tls)
    buyer.port = server.sockets[0].getsockname()[1]
    try:
        yield buyer
    finally:
        server.close()


def json_answer(body: bytes, status: bytes = b"200 OK", *extra: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n" + b"".join(extra)
        + b"Content-Length: %d\r\n\r\n" % len(body) + body
    )  # fmt: skip


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificates: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates.ca))


@pytest.fixture(params=["wire", "httpx"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def send(url: str, engine: str, ssl_context: ssl.SSLContext | None = None) -> Delivered:
    """One delivery as the worker sends it: its client, the URL policy, no retries."""
    endpoint = DeliveryEndpoint.model_validate({"url": url, "response": RESPONSE, "maxRetries": 0})
    body = EncodedBody(b'{"email": "ada@example.com"}', "application/json")
    async with delivery_client(POLICY, 2.0, engine, ssl_context) as http:
        return await deliver(http, endpoint, body, UrlPolicy(False, True), TokenCache())


async def test_a_buyer_over_tls_gets_the_lead_with_its_host_name_verified(
    certificates: Certificates, engine: str
) -> None:
    tls = server_tls(certificates.buyer)
    async with raw_buyer({b"/buy": json_answer(ACCEPTED)}, tls) as buyer:
        delivered = await send(buyer.url("/buy", "https"), engine, trusting(certificates))
    assert (delivered.verdict.outcome, delivered.verdict.client_lead_id) == ("accepted", "B-7")
    assert buyer.targets == [b"/buy"]
    assert buyer.server_names == ["buyer.test"]  # SNI names the host, not the address


async def test_a_certificate_for_another_name_is_an_error_the_delivery_records(
    certificates: Certificates, engine: str
) -> None:
    tls = server_tls(certificates.other)  # trusted CA, but issued to other.test
    async with raw_buyer({b"/buy": json_answer(ACCEPTED)}, tls) as buyer:
        delivered = await send(buyer.url("/buy", "https"), engine, trusting(certificates))
    assert delivered.verdict.outcome == "error"
    assert delivered.status_code is None
    [attempt] = delivered.attempts
    assert attempt.error is not None
    assert "ConnectError" in attempt.error
    assert "certificate verify failed" in attempt.error.lower()
    assert "buyer.test" in attempt.error  # the name checked, as the operator will look for it
    assert buyer.targets == []  # not a byte of the lead was sent


async def test_a_certificate_from_an_untrusted_ca_is_an_error_the_delivery_records(
    certificates: Certificates, engine: str
) -> None:
    tls = server_tls(certificates.buyer)
    async with raw_buyer({b"/buy": json_answer(ACCEPTED)}, tls) as buyer:
        delivered = await send(buyer.url("/buy", "https"), engine)  # the system's CAs only
    assert delivered.verdict.outcome == "error"
    assert "certificate verify failed" in (delivered.attempts[0].error or "").lower()
    assert buyer.targets == []


async def test_a_redirect_is_the_buyers_answer_and_is_not_followed(engine: str) -> None:
    moved = json_answer(
        b'{"status": "moved"}', b"302 Found", b"Location: http://buyer.test/elsewhere\r\n"
    )
    answers = {b"/buy": moved, b"/elsewhere": json_answer(ACCEPTED)}
    async with raw_buyer(answers) as buyer:
        delivered = await send(buyer.url("/buy"), engine)
    assert buyer.targets == [b"/buy"]  # sent once, and never to the Location
    assert delivered.status_code == 302
    assert len(delivered.attempts) == 1
    assert delivered.verdict.outcome == "error"  # "moved" is none of the mapping's terms
    assert delivered.verdict.status_value == "moved"


async def test_a_chunked_answer_is_read_whole_and_mapped(engine: str) -> None:
    pieces = (ACCEPTED[:11], ACCEPTED[11:23], ACCEPTED[23:])
    chunked = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
        + b"0\r\n\r\n"
    )
    async with raw_buyer({b"/buy": chunked}) as buyer:
        first = await send(buyer.url("/buy"), engine)
    assert (first.verdict.outcome, first.verdict.client_lead_id) == ("accepted", "B-7")
    assert first.response_text == ACCEPTED.decode()


async def test_an_environment_proxy_is_not_used(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proxies are unsupported: a proxy would resolve the buyer's name again, out of the URL
    policy's sight, so the one the environment names is ignored and the buyer is reached
    directly, at the address the policy checked."""
    async with (
        raw_buyer({}) as proxy,
        raw_buyer({b"/buy": json_answer(ACCEPTED)}) as buyer,
    ):
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        delivered = await send(buyer.url("/buy"), engine)
    assert delivered.verdict.outcome == "accepted"
    assert buyer.targets == [b"/buy"]
    assert proxy.targets == []


async def test_an_operator_trusts_a_private_ca_with_ssl_cert_file(
    certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery client trusts certifi's CAs, or the bundle ``SSL_CERT_FILE`` names (a
    buyer behind a company's own CA)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    tls = server_tls(certificates.buyer)
    async with raw_buyer({b"/buy": json_answer(ACCEPTED)}, tls) as buyer:
        delivered = await send(buyer.url("/buy", "https"), "wire")
    assert delivered.verdict.outcome == "accepted"
    assert buyer.targets == [b"/buy"]
