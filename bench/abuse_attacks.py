"""The availability attacks bench.abuse runs against a live server, each a function that
returns one line saying what the server answered."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

MIB = 1024 * 1024


def stream(size: int) -> Iterator[bytes]:
    block = b"x" * MIB
    for _ in range(size // MIB):
        yield block


def huge_bodies(base: str) -> str:
    def one(_: int) -> str:
        try:
            response = httpx.post(
                f"{base}/api/v1/leads?lead_token=wrong",
                content=stream(200 * MIB),
                headers={"content-type": "application/json", "content-length": str(200 * MIB)},
                timeout=60,
            )
            return str(response.status_code)
        except httpx.HTTPError as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(4) as pool:
        return "4 x 200 MB wrong token: " + ", ".join(pool.map(one, range(4)))


def idle_sockets(base: str, port: int) -> str:
    held = []
    started = time.monotonic()
    for _ in range(1100):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    time.sleep(1)
    try:
        ping = str(httpx.get(f"{base}/api/v1/ping", timeout=5).status_code)
    except httpx.HTTPError as exc:
        ping = type(exc).__name__
    time.sleep(
        max(0.0, 12 - (time.monotonic() - started))
    )  # past the header deadline: the server should have closed them
    closed = 0
    for sock in held:
        sock.settimeout(0.01)
        with contextlib.suppress(TimeoutError, OSError):
            closed += sock.recv(1) == b""
        sock.close()
    return f"{len(held)} idle sockets: ping {ping}; closed by the server within 12 s: {closed}"


def slowloris(port: int) -> str:
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(50)]
    for sock in socks:
        sock.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    alive = len(socks)
    while alive and time.monotonic() - started < 15:
        alive = 0
        for sock in socks:
            try:
                sock.sendall(b"X")
                alive += 1
            except OSError:
                pass
        time.sleep(1)
    for sock in socks:
        sock.close()
    return f"50 slowloris sockets: {50 - alive} cut off within {time.monotonic() - started:.0f} s"


def deep_json(base: str, token: str) -> str:
    value: Any = "x"
    for _ in range(300):
        value = {"a": value}
    response = httpx.post(
        f"{base}/api/v1/leads",
        json={"lead_token": token, "caller_id": "+17193139000", "data": value},
        timeout=30,
    )
    return f"300-deep JSON: {response.status_code} {response.text[:90]}"


def many_tokens(base: str, token: str) -> str:
    answers = []
    for fields in (300, 60):
        form = {"lead_token": token, "caller_id": "+17193139001", "auto_format_nested_fields": "1"}
        form.update(
            {f"f{f}": json.dumps({f"f{f}k{k}": 1 for k in range(600)}) for f in range(fields)}
        )
        response = httpx.post(f"{base}/api/v1/leads", data=form, timeout=60)
        answers.append(f"{fields * 600} tokens: {response.status_code} {response.text[:80]}")
    return "; ".join(answers)


def wrong_sign_ins(base: str) -> str:
    def one(n: int) -> str:
        # verify=False: the server is plain HTTP, and twenty TLS contexts loading the CA
        # bundle at once were a second of the attacker's CPU on the server's two cores.
        with httpx.Client(base_url=base, timeout=60, verify=False) as browser:
            page = browser.get("/login").text
            csrf = page.split('name="csrf_token" value="', 1)[-1].split('"', 1)[0]
            form = {"email": "owner@example.com", "password": f"wrong-{n}", "csrf_token": csrf}
            return str(browser.post("/login", data=form).status_code)

    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        statuses = Counter(pool.map(one, range(20)))
    return f"20 wrong sign-ins: {dict(statuses)} in {time.monotonic() - started:.1f} s"


def hostile_templates(base: str, a: dict[str, str]) -> str:
    auth = (a["public_key"], a["private_key"])
    offer = httpx.post(f"{base}/api/v1/offers", json={"name": "T"}, auth=auth, timeout=30)
    body = "{% set a = 'xxxxxxxx' %}" + "{% set a = a ~ a %}" * 16 + "{{ a|length }}"
    schedule = httpx.post(
        f"{base}/api/v1/schedules",
        json={
            "name": "Doubling",
            "offer_id": offer.json()["offer"]["id"],
            "actions": [{"type": "email", "subject": "s", "body": body}],
        },
        auth=auth,
        timeout=30,
    )
    loops = "{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}"
    campaign = httpx.post(
        f"{base}/api/v1/campaigns",
        json={
            "name": "Loops",
            "code": "loops",
            "dynamicKeys": [{"key": "x", "kind": "template", "template": loops}],
        },
        headers={"X-API-Key": f"{a['public_key']}.{a['private_key']}"},
        timeout=30,
    )
    lines = []
    for what, response in (("e-mail template", schedule), ("dynamic key", campaign)):
        verdict = "PASS (refused at save)" if response.status_code >= 400 else "saved"
        lines.append(f"{what}: {response.status_code} {verdict}")
    if schedule.is_success:
        token = schedule.json()["schedule"]["leads_api_key"]
        lead = {"lead_token": token, "caller_id": "+17193139002", "email": "a@example.com"}
        httpx.post(f"{base}/api/v1/leads", json=lead, timeout=30)
    if campaign.is_success:
        httpx.post(
            f"{base}/api/v1/leads/submit",
            json={"campaignId": "loops", "firstName": "a", "phone": "(719) 313-2645"},
            headers={"X-API-Key": f"{a['public_key']}.{a['private_key']}"},
            timeout=30,
        )
    return "; ".join(lines)
