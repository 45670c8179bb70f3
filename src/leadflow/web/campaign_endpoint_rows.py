"""The delivery endpoint's authentication and response mapping edited as named fields.

Authentication is none, static headers (rows of name and value, every value a secret) or an
OAuth client-credentials grant. A secret is never put on the page: a stored one shows as
``********`` with a blank field, and is posted back as the mask (the API's own ``PUT``
semantics keep the stored value) unless something is typed over it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from leadflow.campaigns.schemas import MASK
from leadflow.submissions.response_parsing import ResponseMapping
from leadflow.web.campaign_rows import RowPart, count, terms, text
from leadflow.web.form_errors import FieldErrors

AUTH_KINDS = (
    ("", "None"),
    ("static", "Fixed headers"),
    ("oauth2_client_credentials", "OAuth 2 client credentials (a token fetched for each post)"),
)
OAUTH_FIELDS = ("tokenUrl", "clientId", "clientSecret", "scope")
RESPONSE_FORMATS = tuple(get_args(ResponseMapping.model_fields["body_format"].annotation))
RESPONSE_MATCHES = (("equals", "equals the term"), ("contains", "contains the term"))
RESPONSE_PATHS = ("statusPath", "reasonPath", "leadIdPath")
RESPONSE_TERMS = ("acceptedTerms", "rejectedTerms", "duplicateTerms")


@dataclass
class SecretRow:
    name: str = ""
    value: str = ""
    kept: bool = False  # the stored value is kept while the field stays blank


@dataclass
class AuthDraft:
    kind: str = ""
    headers: list[SecretRow] = field(default_factory=list)
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    secret_kept: bool = False
    scope: str = ""


def _secret(value: Any) -> tuple[str, bool]:
    """A stored (masked) secret as its field shows it: blank, and whether one is kept."""
    return ("", True) if value == MASK else (str(value or ""), False)


def auth_shown(stored: Mapping[str, Any] | None) -> AuthDraft:
    if not stored:
        return AuthDraft()
    secret, kept = _secret(stored.get("clientSecret"))
    headers = []
    for name, value in (stored.get("headers") or {}).items():
        typed, header_kept = _secret(value)
        headers.append(SecretRow(str(name), typed, header_kept))
    return AuthDraft(
        kind=str(stored.get("kind") or ""),
        headers=headers,
        token_url=str(stored.get("tokenUrl") or ""),
        client_id=str(stored.get("clientId") or ""),
        client_secret=secret,
        secret_kept=kept,
        scope=str(stored.get("scope") or ""),
    )


def auth_posted(form: Mapping[str, Any]) -> AuthDraft:
    rows = [
        SecretRow(
            text(form, f"endpoint.auth.h{i}.name"),
            text(form, f"endpoint.auth.h{i}.value"),
            form.get(f"endpoint.auth.h{i}.value.kept") == "1",
        )
        for i in range(count(form, "endpoint.auth.header_count"))
    ]
    return AuthDraft(
        kind=text(form, "endpoint.auth.kind"),
        headers=[row for row in rows if row.name or row.value],
        token_url=text(form, "endpoint.auth.tokenUrl"),
        client_id=text(form, "endpoint.auth.clientId"),
        client_secret=text(form, "endpoint.auth.clientSecret"),
        secret_kept=form.get("endpoint.auth.clientSecret.kept") == "1",
        scope=text(form, "endpoint.auth.scope"),
    )


def _typed_or_kept(typed: str, kept: bool) -> str:
    return MASK if kept and not typed else typed


def auth_body(draft: AuthDraft) -> tuple[dict[str, Any] | None, FieldErrors]:
    if draft.kind == "static":
        headers = {row.name: _typed_or_kept(row.value, row.kept) for row in draft.headers}
        return {"kind": "static", "headers": headers}, {}
    if draft.kind == "oauth2_client_credentials":
        return {
            "kind": draft.kind,
            "tokenUrl": draft.token_url,
            "clientId": draft.client_id,
            "clientSecret": _typed_or_kept(draft.client_secret, draft.secret_kept),
            "scope": draft.scope or None,
        }, {}
    if draft.kind:
        return None, {"endpoint.auth.kind": [f"Choose one of the listed kinds, not {draft.kind}."]}
    return None, {}


def auth_locate(draft: AuthDraft, rest: Sequence[str]) -> str:
    """``static.headers.Authorization`` → that header's row; ``oauth2_client_credentials.
    tokenUrl`` → the token URL field (the union's tag is not a field on the page)."""
    inner = [part for part in rest if part not in ("static", "oauth2_client_credentials")]
    if len(inner) >= 2 and inner[0] == "headers":
        names = [row.name for row in draft.headers]
        if inner[1] in names:
            return f"endpoint.auth.h{names.index(inner[1])}.value"
    if inner and inner[0] in (*OAUTH_FIELDS, "kind"):
        return f"endpoint.auth.{inner[0]}"
    return "endpoint.auth"


AUTH = RowPart("endpoint.auth", auth_shown, auth_posted, auth_body, auth_locate)


@dataclass
class ResponseDraft:
    """The response mapping's fields by their API names; terms comma-separated."""

    values: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")


def response_shown(stored: Mapping[str, Any] | None) -> ResponseDraft:
    stored = stored or {}
    values = {name: str(stored.get(name) or "") for name in RESPONSE_PATHS}
    values.update({name: ", ".join(stored.get(name) or []) for name in RESPONSE_TERMS})
    values["bodyFormat"] = str(stored.get("bodyFormat") or "auto")
    values["match"] = str(stored.get("match") or "equals")
    return ResponseDraft(values)


def response_posted(form: Mapping[str, Any]) -> ResponseDraft:
    names = ("bodyFormat", "match", *RESPONSE_PATHS, *RESPONSE_TERMS)
    return ResponseDraft({name: text(form, f"endpoint.response.{name}") for name in names})


def response_body(draft: ResponseDraft) -> tuple[dict[str, Any], FieldErrors]:
    body: dict[str, Any] = {
        "bodyFormat": draft["bodyFormat"] or "auto",
        "match": draft["match"] or "equals",
    }
    body.update({name: draft[name] or None for name in RESPONSE_PATHS})
    body.update({name: terms(draft[name]) for name in RESPONSE_TERMS})
    return body, {}


def response_locate(draft: ResponseDraft, rest: Sequence[str]) -> str:
    known = ("bodyFormat", "match", *RESPONSE_PATHS, *RESPONSE_TERMS)
    if rest and rest[0] in known:
        return f"endpoint.response.{rest[0]}"
    return "endpoint.response"


RESPONSE = RowPart(
    "endpoint.response", response_shown, response_posted, response_body, response_locate
)
