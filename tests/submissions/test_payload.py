"""The delivery payload: built from a campaign's payload tree, encoded in the buyer's format."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
from lxml import etree
from pydantic import TypeAdapter

from leadflow.submissions.payload import (
    PayloadError,
    PayloadNode,
    build_payload,
    encode_payload,
)

LEAD: dict[str, Any] = {
    "firstName": "Jane",
    "phone": "+17193132645",
    "address": {"state": "CA", "zip": "90210"},
    "questionnaire": {"debt": "12,500", "homeowner": "yes"},
    "files": [
        {"sourceKey": "id", "fileUrl": "https://f.example/1"},
        {"sourceKey": "bill", "fileUrl": "https://f.example/2"},
    ],
}
TREE = TypeAdapter(list[PayloadNode])


def build(nodes: list[dict[str, Any]], lead: dict[str, Any] = LEAD) -> dict[str, Any]:
    return build_payload(TREE.validate_python(nodes), lead)


def test_field_takes_its_value_from_the_source_path() -> None:
    assert build([{"clientKey": "state", "sourceKey": "address.state"}]) == {"state": "CA"}


def test_hard_coded_value_is_sent_as_is() -> None:
    assert build([{"clientKey": "vendor", "value": "leadflow"}]) == {"vendor": "leadflow"}


def test_hard_coded_value_is_the_fallback_for_an_absent_source() -> None:
    node = {"clientKey": "city", "sourceKey": "address.city", "value": "Unknown"}
    assert build([node]) == {"city": "Unknown"}


def test_absent_optional_field_is_left_out() -> None:
    assert build([{"clientKey": "city", "sourceKey": "address.city"}]) == {}


def test_number_type_reads_thousands_separators() -> None:
    node = {"clientKey": "debt", "sourceKey": "questionnaire.debt", "type": "number"}
    assert build([node]) == {"debt": 12500}


def test_boolean_type_reads_yes_and_no() -> None:
    node = {"clientKey": "owner", "sourceKey": "questionnaire.homeowner", "type": "boolean"}
    assert build([node]) == {"owner": True}


def test_value_that_is_not_a_number_is_named() -> None:
    with pytest.raises(PayloadError) as caught:
        build([{"clientKey": "name", "sourceKey": "firstName", "type": "number"}])
    assert caught.value.problems == ["name: 'Jane' is not a number"]


def test_every_missing_required_field_is_named() -> None:
    with pytest.raises(PayloadError) as caught:
        build(
            [
                {"clientKey": "email", "sourceKey": "email", "required": True},
                {
                    "node": "object",
                    "clientKey": "contact",
                    "children": [
                        {"clientKey": "city", "sourceKey": "address.city", "required": True}
                    ],
                },
            ]
        )
    assert caught.value.problems == [
        "email: required value is missing (from email)",
        "contact.city: required value is missing (from address.city)",
    ]


def test_objects_nest() -> None:
    tree = [
        {
            "node": "object",
            "clientKey": "contact",
            "children": [
                {"clientKey": "first_name", "sourceKey": "firstName"},
                {"clientKey": "phone", "sourceKey": "phone"},
            ],
        }
    ]
    assert build(tree) == {"contact": {"first_name": "Jane", "phone": "+17193132645"}}


def test_array_of_listed_items() -> None:
    tree = [
        {
            "node": "array",
            "clientKey": "phones",
            "items": [{"clientKey": "_", "sourceKey": "phone"}, {"clientKey": "_", "value": "n/a"}],
        }
    ]
    assert build(tree) == {"phones": ["+17193132645", "n/a"]}


def test_array_repeats_its_item_for_each_element_of_a_lead_list() -> None:
    tree = [
        {
            "node": "array",
            "clientKey": "documents",
            "sourceKey": "files",
            "items": [
                {
                    "node": "object",
                    "clientKey": "document",
                    "children": [
                        {"clientKey": "kind", "sourceKey": "sourceKey"},
                        {"clientKey": "url", "sourceKey": "fileUrl", "required": True},
                    ],
                }
            ],
        }
    ]
    assert build(tree) == {
        "documents": [
            {"kind": "id", "url": "https://f.example/1"},
            {"kind": "bill", "url": "https://f.example/2"},
        ]
    }


PAYLOAD: dict[str, Any] = {
    "first_name": "Jane",
    "debt": 12500,
    "owner": True,
    "contact": {"state": "CA"},
    "documents": [{"url": "https://f.example/1"}, {"url": "https://f.example/2"}],
}


def test_json_encoding() -> None:
    encoded = encode_payload(PAYLOAD, "json")
    assert encoded.content_type == "application/json"
    assert orjson.loads(encoded.content) == PAYLOAD


def test_xml_encoding_nests_elements_under_the_root() -> None:
    encoded = encode_payload(PAYLOAD, "xml", root_element="lead")
    root = etree.fromstring(encoded.content)
    assert encoded.content_type == "application/xml"
    assert root.tag == "lead"
    assert root.findtext("first_name") == "Jane"
    assert root.findtext("owner") == "true"
    assert root.findtext("contact/state") == "CA"
    assert [item.findtext("url") for item in root.findall("documents/item")] == [
        "https://f.example/1",
        "https://f.example/2",
    ]


def test_xml_drops_characters_xml_cannot_carry() -> None:
    root = etree.fromstring(encode_payload({"note": "a\x00b\x07c"}, "xml").content)
    assert root.findtext("note") == "abc"


def test_xml_refuses_a_client_key_that_is_no_element_name() -> None:
    with pytest.raises(PayloadError, match="first name: is not a valid XML element name"):
        encode_payload({"first name": "Jane"}, "xml")


def test_form_encoding_flattens_with_brackets() -> None:
    encoded = encode_payload(PAYLOAD, "form")
    assert encoded.content_type == "application/x-www-form-urlencoded"
    assert parse_qsl(encoded.content.decode()) == [
        ("first_name", "Jane"),
        ("debt", "12500"),
        ("owner", "true"),
        ("contact[state]", "CA"),
        ("documents[0][url]", "https://f.example/1"),
        ("documents[1][url]", "https://f.example/2"),
    ]


def multipart_fields(content: bytes, content_type: str) -> dict[str, str]:
    message: Message = message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + content
    )
    return {
        str(part.get_param("name", header="content-disposition")): str(part.get_payload())
        for part in message.get_payload()  # type: ignore[union-attr]
    }


def test_multipart_encoding_sends_one_part_per_field() -> None:
    encoded = encode_payload(
        {"first_name": "Jane", "contact": {"state": "CA"}}, "multipart", boundary="b0und"
    )
    assert encoded.content_type == "multipart/form-data; boundary=b0und"
    assert multipart_fields(encoded.content, encoded.content_type) == {
        "first_name": "Jane",
        "contact[state]": "CA",
    }
