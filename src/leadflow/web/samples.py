"""The code samples of "API Token & Examples", filled in with this server's URL and the
schedule's token, each runnable as pasted.

The caller ID is written ``%2B1...`` in query strings: a bare ``+`` means a space there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

CALLER_ID = "+18004506787"
LEAD_DATA = {"email": "john@example.com", "interest": "kittens"}


@dataclass(frozen=True)
class Sample:
    """One tab: its snippets, each with a caption and its own copy button."""

    key: str
    title: str
    snippets: tuple[tuple[str, str], ...]


def _intake(base: str) -> str:
    return f"{base}/api/v1/leads"


def query_url(base: str, token: str, **extra: str) -> str:
    params = {"lead_token": token, "caller_id": CALLER_ID, **extra}
    return f"{_intake(base)}?{urlencode(params)}"


def code_samples(base: str, token: str) -> list[Sample]:
    url = _intake(base)
    body = {"lead_token": token, "caller_id": CALLER_ID, "data": LEAD_DATA}
    body_json = json.dumps(body)
    curl_form = f'curl -X POST "{query_url(base, token, **LEAD_DATA)}"'
    curl_json = (
        f"curl -H \"Content-Type: application/json\" -X POST \\\n  -d '{body_json}' \\\n  {url}"
    )
    php = f"""<?php
$payload = json_encode([
    'lead_token' => '{token}',
    'caller_id' => '{CALLER_ID}',
    'data' => ['email' => 'john@example.com', 'interest' => 'kittens'],
]);
$ch = curl_init('{url}');
curl_setopt($ch, CURLOPT_POST, true);
curl_setopt($ch, CURLOPT_HTTPHEADER, ['Content-Type: application/json']);
curl_setopt($ch, CURLOPT_POSTFIELDS, $payload);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$response = curl_exec($ch);
echo curl_getinfo($ch, CURLINFO_HTTP_CODE) . "\\n" . $response . "\\n";
curl_close($ch);
"""
    instapage = f"""Instapage > Integrations > Webhook
URL:    {url}?lead_token={token}
Method: POST

Name the phone field caller_id (or map it to caller_id); every other form field
becomes a lead token. Nested form-builder fields are read as well."""
    javascript = f"""fetch("{url}", {{
  method: "POST",
  headers: {{ "Content-Type": "application/json" }},
  body: JSON.stringify({json.dumps(body, indent=2)})
}})
  .then((response) => response.json())
  .then((result) => console.log(result));"""
    return [
        Sample(
            "curl",
            "Bash & Curl",
            (("Form parameters on the query string", curl_form), ("JSON", curl_json)),
        ),
        Sample("php", "PHP", (("PHP with cURL", php),)),
        Sample("instapage", "Instapage", (("Webhook settings", instapage),)),
        Sample("javascript", "Javascript", (("fetch (server-side or same-origin)", javascript),)),
    ]


def webhook_url(base: str, token: str) -> str:
    """What a form builder's webhook setting takes: the form's fields arrive in the body."""
    return f"{_intake(base)}?{urlencode({'lead_token': token})}"


def attribution_url(base: str, token: str, traffic_source_id: int | None) -> str:
    extra = {"sub_id": "creative-42"}
    if traffic_source_id is not None:
        extra = {"traffic_source_id": str(traffic_source_id), **extra}
    return query_url(base, token, **extra)
