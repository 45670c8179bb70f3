"""The delivery payload: built from the campaign's payload tree, encoded in the buyer's format.

A tree is a list of nodes. A **field** writes one value under its client key, read from a
field path of the lead (``sourceKey``) or hard-coded (``value``), as a string, number or
boolean. An **object** nests nodes. An **array** either lists its items, or repeats its first
item for every element of a list in the lead (``sourceKey: files``), reading paths relative
to that element; an item's own ``clientKey`` is not used. Every missing required value is
named in one :class:`PayloadError`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from lxml import etree
from pydantic import Discriminator, Field, Tag

from leadflow.kit.values import parse_bool
from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.conditions import as_number
from leadflow.submissions.field_paths import field_value, is_present

BodyFormat = Literal["json", "xml", "form", "multipart"]
ValueType = Literal["string", "number", "boolean"]
_XML_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
# Characters XML 1.0 cannot carry at all; they are dropped rather than failing a delivery.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class PayloadField(CampaignConfigModel):
    node: Literal["field"] = "field"
    client_key: str = Field(min_length=1)
    source_key: str | None = None
    type: ValueType = "string"
    required: bool = False
    value: Any = None


class PayloadObject(CampaignConfigModel):
    node: Literal["object"]
    client_key: str = Field(min_length=1)
    children: list[PayloadNode] = Field(default_factory=list)


class PayloadArray(CampaignConfigModel):
    node: Literal["array"]
    client_key: str = Field(min_length=1)
    source_key: str | None = None
    items: list[PayloadNode] = Field(default_factory=list)


def _node_kind(value: Any) -> str:
    """A node without ``node`` is a field, the common case in a hand-written tree."""
    if isinstance(value, Mapping):
        return str(value.get("node", "field"))
    return str(getattr(value, "node", "field"))


PayloadNode = Annotated[
    Annotated[PayloadField, Tag("field")]
    | Annotated[PayloadObject, Tag("object")]
    | Annotated[PayloadArray, Tag("array")],
    Discriminator(_node_kind),
]


class PayloadError(ValueError):
    """The payload cannot be built; ``problems`` name each client key and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EncodedBody:
    content: bytes
    content_type: str


_ABSENT = object()


def build_payload(tree: Sequence[PayloadNode], lead: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as plain data; absent optional fields are left out."""
    problems: list[str] = []
    built = _build_object(tree, lead, "", problems)
    if problems:
        raise PayloadError(problems)
    return built


def _build_object(
    nodes: Sequence[PayloadNode], scope: Any, prefix: str, problems: list[str]
) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for node in nodes:
        value = _build_node(node, scope, f"{prefix}{node.client_key}", problems)
        if value is not _ABSENT:
            built[node.client_key] = value
    return built


def _build_node(node: PayloadNode, scope: Any, name: str, problems: list[str]) -> Any:
    if isinstance(node, PayloadObject):
        return _build_object(node.children, scope, f"{name}.", problems)
    if isinstance(node, PayloadArray):
        return _build_array(node, scope, name, problems)
    return _build_field(node, scope, name, problems)


def _build_array(node: PayloadArray, scope: Any, name: str, problems: list[str]) -> Any:
    if node.source_key is None:
        return [
            _build_node(item, scope, f"{name}.{i}", problems) for i, item in enumerate(node.items)
        ]
    elements = field_value(scope, node.source_key)
    if not isinstance(elements, list):
        return []
    if not node.items:
        return list(elements)
    template = node.items[0]
    return [
        _build_node(template, element, f"{name}.{i}", problems)
        for i, element in enumerate(elements)
    ]


def _build_field(node: PayloadField, scope: Any, name: str, problems: list[str]) -> Any:
    if node.source_key is None:
        raw = node.value
    else:
        raw = field_value(scope, node.source_key)
        if not is_present(raw):
            raw = node.value
    if not is_present(raw):
        if node.required:
            source = f" (from {node.source_key})" if node.source_key else ""
            problems.append(f"{name}: required value is missing{source}")
        return _ABSENT
    try:
        return coerce(raw, node.type)
    except ValueError as exc:
        problems.append(f"{name}: {exc}")
        return _ABSENT


def coerce(raw: Any, value_type: ValueType) -> Any:
    """A lead value as the buyer's declared type; ValueError when it cannot be."""
    if value_type == "number":
        number = as_number(raw)
        if number is None:
            raise ValueError(f"{raw!r} is not a number")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if value_type == "boolean":
        return parse_bool(raw)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (date, datetime)):
        return raw.isoformat()
    if isinstance(raw, (dict, list)):
        return orjson.dumps(raw).decode()
    return str(raw)


def encode_payload(
    payload: Mapping[str, Any],
    body_format: BodyFormat,
    root_element: str = "lead",
    boundary: str | None = None,
) -> EncodedBody:
    """``payload`` in the buyer's format. XML lists repeat an ``item`` element inside their
    key; form and multipart flatten nesting as ``contact[phone]`` and ``files[0][url]``."""
    if body_format == "json":
        return EncodedBody(orjson.dumps(payload), "application/json")
    if body_format == "xml":
        return EncodedBody(encode_xml(payload, root_element), "application/xml")
    pairs = flatten_form(payload)
    if body_format == "form":
        return EncodedBody(urlencode(pairs).encode(), "application/x-www-form-urlencoded")
    return encode_multipart(pairs, boundary or secrets.token_hex(16))


def encode_xml(payload: Mapping[str, Any], root_element: str = "lead") -> bytes:
    root = etree.Element(_xml_name(root_element))
    _append_xml(root, payload)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _append_xml(parent: etree._Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _append_xml(etree.SubElement(parent, _xml_name(str(key))), child)
    elif isinstance(value, list):
        for child in value:
            _append_xml(etree.SubElement(parent, "item"), child)
    elif value is not None:
        parent.text = _XML_INVALID.sub("", _scalar_text(value))


def _xml_name(name: str) -> str:
    if not _XML_NAME.match(name) or name.lower().startswith("xml"):
        raise PayloadError([f"{name}: is not a valid XML element name"])
    return name


def flatten_form(payload: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in payload.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_flatten_form_value(name, value))
    return pairs


def _flatten_form_value(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return flatten_form(value, name)
    if isinstance(value, list):
        return [
            pair for i, one in enumerate(value) for pair in _flatten_form_value(f"{name}[{i}]", one)
        ]
    return [(name, "" if value is None else _scalar_text(value))]


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_multipart(pairs: Sequence[tuple[str, str]], boundary: str) -> EncodedBody:
    """``multipart/form-data`` text parts (file references travel as their URLs)."""
    body = bytearray()
    for name, value in pairs:
        quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        body += f"--{boundary}\r\n".encode()
        body += f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode()
        body += value.encode("utf-8", "replace") + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return EncodedBody(bytes(body), f"multipart/form-data; boundary={boundary}")
