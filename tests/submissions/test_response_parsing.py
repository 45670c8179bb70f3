"""Reading buyers' answers, in JSON and XML, into accepted, rejected, duplicate or error."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.submissions.response_parsing import BuyerVerdict, ResponseMapping, classify_response

JSON = "application/json"
XML = "application/xml"

JSON_MAPPING = ResponseMapping.model_validate(
    {
        "statusPath": "$.result.status",
        "acceptedTerms": ["success"],
        "rejectedTerms": ["rejected"],
        "duplicateTerms": ["duplicate"],
        "reasonPath": "$.result.message",
        "leadIdPath": "$.result.lead_id",
    }
)
XML_MAPPING = ResponseMapping.model_validate(
    {
        "statusPath": "/response/status",
        "acceptedTerms": ["Accepted"],
        "rejectedTerms": ["Rejected"],
        "duplicateTerms": ["Duplicate"],
        "reasonPath": "/response/reason",
        "leadIdPath": "/response/@id",
    }
)


def json_answer(status: str, message: str = "", **extra: Any) -> str:
    return orjson.dumps({"result": {"status": status, "message": message, **extra}}).decode()


def xml_answer(status: str, reason: str = "", lead_id: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<response id="{lead_id}"><status>{status}</status><reason>{reason}</reason></response>'
    )


def test_json_accepted_with_the_buyers_lead_id() -> None:
    verdict = classify_response(JSON_MAPPING, 200, JSON, json_answer("success", lead_id="B-77"))
    assert verdict == BuyerVerdict("accepted", "", "B-77", "success")


def test_json_rejected_with_the_buyers_reason() -> None:
    verdict = classify_response(
        JSON_MAPPING, 200, JSON, json_answer("rejected", "state not served")
    )
    assert (verdict.outcome, verdict.reason) == ("rejected", "state not served")


def test_json_duplicate() -> None:
    verdict = classify_response(JSON_MAPPING, 200, JSON, json_answer("Duplicate", "seen before"))
    assert (verdict.outcome, verdict.reason) == ("duplicate", "seen before")


def test_malformed_json_is_an_error_with_a_reason() -> None:
    verdict = classify_response(JSON_MAPPING, 200, JSON, '{"result": {"status": "succ')
    assert verdict.outcome == "error"
    assert verdict.reason is not None
    assert verdict.reason.startswith("the response is not valid JSON")


def test_status_path_that_finds_nothing_is_an_error() -> None:
    verdict = classify_response(JSON_MAPPING, 200, JSON, '{"ok": true}')
    assert verdict == BuyerVerdict(
        "error", "the status path $.result.status found nothing in the response"
    )


def test_unrecognised_status_is_an_error_not_a_rejection() -> None:
    verdict = classify_response(JSON_MAPPING, 200, JSON, json_answer("pending_review"))
    assert verdict.outcome == "error"
    assert verdict.reason == (
        "the response matched no accepted, rejected or duplicate term: status 'pending_review'"
    )


def test_invalid_json_path_is_an_error() -> None:
    mapping = ResponseMapping.model_validate({"statusPath": "$[?(", "acceptedTerms": ["x"]})
    verdict = classify_response(mapping, 200, JSON, "{}")
    assert verdict.outcome == "error"
    assert verdict.reason is not None
    assert verdict.reason.startswith("the JSON path $[?( is invalid")


def test_xml_accepted_with_the_buyers_lead_id() -> None:
    verdict = classify_response(XML_MAPPING, 200, XML, xml_answer("Accepted", lead_id="X-1"))
    assert (verdict.outcome, verdict.client_lead_id) == ("accepted", "X-1")


def test_xml_rejected_with_the_buyers_reason() -> None:
    verdict = classify_response(XML_MAPPING, 200, XML, xml_answer("Rejected", "too old"))
    assert (verdict.outcome, verdict.reason) == ("rejected", "too old")


def test_xml_duplicate() -> None:
    verdict = classify_response(XML_MAPPING, 200, "text/xml", xml_answer("Duplicate"))
    assert verdict.outcome == "duplicate"


def test_malformed_xml_is_an_error_with_a_reason() -> None:
    verdict = classify_response(XML_MAPPING, 200, XML, "<response><status>Accepted</response>")
    assert verdict.outcome == "error"
    assert verdict.reason is not None
    assert verdict.reason.startswith("the response is not valid XML")


def test_invalid_xpath_is_an_error() -> None:
    mapping = ResponseMapping.model_validate({"statusPath": "/response/[", "acceptedTerms": ["x"]})
    verdict = classify_response(mapping, 200, XML, xml_answer("Accepted"))
    assert verdict.outcome == "error"
    assert verdict.reason is not None
    assert verdict.reason.startswith("the XPath /response/[ is invalid")


def test_xml_entities_are_not_expanded() -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<response><status>Accepted</status><reason>&x;</reason></response>"
    )
    verdict = classify_response(XML_MAPPING, 200, XML, body)
    assert "root:" not in (verdict.reason or "")


def test_namespaced_xml_is_read_with_local_name() -> None:
    mapping = ResponseMapping.model_validate(
        {"statusPath": "//*[local-name()='status']", "acceptedTerms": ["Accepted"]}
    )
    body = '<r:response xmlns:r="urn:buyer"><r:status>Accepted</r:status></r:response>'
    assert classify_response(mapping, 200, XML, body).outcome == "accepted"


def test_body_format_is_sniffed_when_the_content_type_says_text() -> None:
    verdict = classify_response(JSON_MAPPING, 200, "text/plain", json_answer("success"))
    assert verdict.outcome == "accepted"


def test_terms_are_searched_in_the_body_without_a_status_path() -> None:
    mapping = ResponseMapping.model_validate(
        {"acceptedTerms": ["lead accepted"], "rejectedTerms": ["not accepted"]}
    )
    assert classify_response(mapping, 200, "text/plain", "Lead Accepted #123").outcome == "accepted"
    assert classify_response(mapping, 200, "text/plain", "Lead not accepted").outcome == "rejected"


def test_contains_match_on_a_status_value() -> None:
    mapping = ResponseMapping.model_validate(
        {"statusPath": "$.msg", "match": "contains", "acceptedTerms": ["accepted"]}
    )
    assert (
        classify_response(mapping, 200, JSON, '{"msg": "Lead accepted: 9"}').outcome == "accepted"
    )


def test_status_value_without_terms_is_read_with_common_words() -> None:
    mapping = ResponseMapping.model_validate({"statusPath": "$.success"})
    assert classify_response(mapping, 200, JSON, '{"success": true}').outcome == "accepted"
    assert classify_response(mapping, 200, JSON, '{"success": false}').outcome == "rejected"


def test_without_path_or_terms_a_2xx_is_accepted() -> None:
    assert classify_response(ResponseMapping(), 201, JSON, "{}").outcome == "accepted"


def test_without_path_or_terms_a_4xx_is_rejected_with_the_body_as_reason() -> None:
    verdict = classify_response(ResponseMapping(), 400, "text/plain", "bad   zip")
    assert verdict == BuyerVerdict("rejected", "bad zip")


def test_server_error_is_an_error_even_with_a_readable_body() -> None:
    verdict = classify_response(JSON_MAPPING, 503, JSON, json_answer("success"))
    assert verdict.outcome == "error"
    assert verdict.reason is not None
    assert verdict.reason.startswith("buyer answered HTTP 503")


def test_rate_limit_is_an_error() -> None:
    assert classify_response(ResponseMapping(), 429, JSON, "{}").outcome == "error"


def test_undecodable_bytes_do_not_raise() -> None:
    verdict = classify_response(JSON_MAPPING, 200, JSON, b"\xff\xfe\x00garbage")
    assert verdict.outcome == "error"


@settings(max_examples=200, deadline=None)
@given(
    status_code=st.integers(100, 599),
    content_type=st.sampled_from([JSON, XML, "text/plain", ""]),
    body=st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=10,
    ).map(orjson.dumps)
    | st.sampled_from([b"<a><b>ok</b></a>", b"<a x='1'/>", b"<?xml version='1.0'?><a>1</a>"]),
    path=st.sampled_from(["$.a", "$..b[0]", "/a/b", "//*", "count(//a)", "$[?(@.x>1)]", "$["]),
)
def test_no_answer_makes_classification_raise(
    status_code: int, content_type: str, body: bytes, path: str
) -> None:
    mapping = ResponseMapping.model_validate(
        {"statusPath": path, "reasonPath": path, "acceptedTerms": ["ok"]}
    )
    assert classify_response(mapping, status_code, content_type, body).outcome in (
        "accepted",
        "rejected",
        "duplicate",
        "error",
    )
