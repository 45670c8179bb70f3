"""Reading a buyer's answer: accepted, rejected, duplicate or error, with its reason and id.

A campaign's :class:`ResponseMapping` names where the buyer puts its verdict (a JSON path for
JSON, an XPath for XML; for a namespaced document write ``//*[local-name()='status']``) and
the terms that mean each outcome. Without a path the terms are searched in the whole body;
a status value with no terms configured is read with common words (``success``, ``true``,
``duplicate`` ...); with neither, the HTTP status decides.

Nothing here raises: a malformed body, a broken path or an answer that matches no term is an
``error`` verdict with a reason an operator can act on. An unrecognised answer is never
recorded as ``rejected``, because a mis-set mapping would then silently lose good posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson
from jsonpath_ng.ext.parser import parse as parse_json_path
from lxml import etree
from pydantic import Field

from leadflow.submissions.campaign_config import CampaignConfigModel

Outcome = Literal["accepted", "rejected", "duplicate", "error"]
BodyKind = Literal["json", "xml", "text"]
DEFAULT_TERMS: dict[Outcome, tuple[str, ...]] = {
    "duplicate": ("duplicate", "dupe"),
    "rejected": ("false", "0", "no", "rejected", "reject", "declined", "failed", "failure"),
    "accepted": ("true", "1", "yes", "success", "accepted", "accept", "ok", "sold"),
}
# Checked in this order, so "not accepted" can be a rejected term next to "accepted".
OUTCOME_ORDER: tuple[Outcome, ...] = ("duplicate", "rejected", "accepted")
RETRYABLE_STATUSES = frozenset({408, 429})
SNIPPET = 200
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class ResponseMapping(CampaignConfigModel):
    body_format: Literal["auto", "json", "xml", "text"] = "auto"
    status_path: str | None = None
    match: Literal["equals", "contains"] = "equals"
    accepted_terms: list[str] = Field(default_factory=list)
    rejected_terms: list[str] = Field(default_factory=list)
    duplicate_terms: list[str] = Field(default_factory=list)
    reason_path: str | None = None
    lead_id_path: str | None = None

    def configured_terms(self) -> dict[Outcome, tuple[str, ...]]:
        return {
            "duplicate": tuple(self.duplicate_terms),
            "rejected": tuple(self.rejected_terms),
            "accepted": tuple(self.accepted_terms),
        }


@dataclass(frozen=True)
class BuyerVerdict:
    outcome: Outcome
    reason: str | None = None
    client_lead_id: str | None = None
    status_value: str | None = None


class _UnreadableResponseError(Exception):
    """The body or a path cannot be read; becomes an ``error`` verdict."""


def classify_response(
    mapping: ResponseMapping, status_code: int, content_type: str | None, body: bytes | str
) -> BuyerVerdict:
    """The buyer's verdict on one delivery."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    text = raw.decode("utf-8", "replace")
    try:
        return _classify(mapping, status_code, content_type or "", raw, text)
    except _UnreadableResponseError as exc:
        return BuyerVerdict("error", str(exc))


def _classify(
    mapping: ResponseMapping, status_code: int, content_type: str, raw: bytes, text: str
) -> BuyerVerdict:
    if status_code >= 500 or status_code in RETRYABLE_STATUSES:
        return BuyerVerdict("error", f"buyer answered HTTP {status_code}: {_snippet(text)}")
    kind = body_kind(mapping.body_format, content_type, text)
    document = _parse(kind, raw) if kind != "text" else text
    status_value = _read(kind, document, mapping.status_path) if mapping.status_path else None
    if mapping.status_path and status_value is None:
        raise _UnreadableResponseError(
            f"the status path {mapping.status_path} found nothing in the response"
        )
    reason = _read(kind, document, mapping.reason_path) if mapping.reason_path else None
    lead_id = _read(kind, document, mapping.lead_id_path) if mapping.lead_id_path else None
    outcome = _match_terms(mapping, status_code, status_value, text)
    if outcome is None and 400 <= status_code < 500:
        outcome = "rejected"
    if outcome is None:
        heard = f"status {status_value!r}" if status_value is not None else _snippet(text)
        return BuyerVerdict(
            "error",
            f"the response matched no accepted, rejected or duplicate term: {heard}",
            lead_id,
            status_value,
        )
    if outcome != "accepted" and reason is None:
        reason = status_value if status_value is not None else _snippet(text) or None
    return BuyerVerdict(outcome, reason, lead_id, status_value)


def read_paths(
    declared: str, content_type: str | None, body: bytes, paths: dict[str, str]
) -> tuple[dict[str, str | None], str | None]:
    """The first value at each of ``paths`` (JSON path or XPath, as the verdict's paths), and
    why the body could not be read, if it could not (then every value is None)."""
    text = body.decode("utf-8", "replace")
    kind = body_kind(declared, content_type or "", text)
    try:
        document = _parse(kind, body) if kind != "text" else text
        return {name: _read(kind, document, path) for name, path in paths.items()}, None
    except _UnreadableResponseError as exc:
        return dict.fromkeys(paths), str(exc)


def body_kind(declared: str, content_type: str, text: str) -> BodyKind:
    """The declared format, else the content type's, else what the body looks like."""
    if declared in ("json", "xml", "text"):
        return declared  # type: ignore[return-value]
    media = content_type.split(";")[0].strip().lower()
    if media.endswith("json"):
        return "json"
    if media.endswith("xml"):
        return "xml"
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return "json"
    if start == "<":
        return "xml"
    return "text"


def _parse(kind: BodyKind, raw: bytes) -> Any:
    if kind == "json":
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _UnreadableResponseError(f"the response is not valid JSON: {exc}") from None
    try:
        return etree.fromstring(raw, parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _UnreadableResponseError(f"the response is not valid XML: {exc}") from None


def _read(kind: BodyKind, document: Any, path: str) -> str | None:
    """The first value at ``path`` as text; None when the path matches nothing."""
    if kind == "json":
        return _read_json(document, path)
    if kind == "xml":
        return _read_xml(document, path)
    raise _UnreadableResponseError(f"cannot read {path} from a plain-text response")


@lru_cache(maxsize=256)
def _json_path(path: str) -> Any:
    try:
        return parse_json_path(path)
    except Exception as exc:  # jsonpath-ng raises bare Exception subclasses on syntax errors
        raise _UnreadableResponseError(f"the JSON path {path} is invalid: {exc}") from None


def _read_json(document: Any, path: str) -> str | None:
    expression = _json_path(path)
    try:
        found = expression.find(document)
    except Exception as exc:  # filters over unexpected shapes fail in many ways
        raise _UnreadableResponseError(f"the JSON path {path} cannot be applied: {exc}") from None
    return _value_text(found[0].value) if found else None


def _read_xml(document: etree._Element, path: str) -> str | None:
    try:
        found = document.xpath(path)
    except (etree.XPathError, ValueError) as exc:
        raise _UnreadableResponseError(f"the XPath {path} is invalid: {exc}") from None
    if isinstance(found, list):
        if not found:
            return None
        first = found[0]
        if isinstance(first, etree._Element):
            return str(first.xpath("string(.)")).strip()
        return _value_text(first)
    return _value_text(found)


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value).strip()


def _match_terms(
    mapping: ResponseMapping, status_code: int, status_value: str | None, text: str
) -> Outcome | None:
    """The outcome the terms name. The common words are matched only against a status value,
    whole; searching a body for ``ok`` or ``1`` would find them almost anywhere. With neither
    a path nor terms, a 2xx answer is accepted."""
    configured = mapping.configured_terms()
    has_terms = any(configured.values())
    if status_value is not None:
        terms = configured if has_terms else DEFAULT_TERMS
        haystack = status_value.strip().casefold()
        equals = mapping.match == "equals" or not has_terms
    elif has_terms:
        terms, haystack, equals = configured, text.casefold(), False
    else:
        return "accepted" if 200 <= status_code < 300 else None
    for outcome in OUTCOME_ORDER:
        for term in terms[outcome]:
            wanted = term.strip().casefold()
            if wanted and (haystack == wanted if equals else wanted in haystack):
                return outcome
    return None


def _snippet(text: str) -> str:
    return " ".join(text.split())[:SNIPPET]
