# ruff: noqa: RUF001 (look-alike characters are the point of these URLs)
"""The outbound URL policy as a table: every spelling of a forbidden target is refused."""

from __future__ import annotations

import pytest

from leadflow.kit.outbound_urls import check_outbound_url, check_templated_url, origin
from tests.security.forbidden import FORBIDDEN_URLS

REFUSAL = "must|points at|invalid|not a valid|looks like"

ALLOWED_URLS = [
    "https://example.com/hook",
    "http://hooks.example.com:8080/a?b=c",
    "https://EXAMPLE.com./x",
    "https://93.184.216.34/",
    "https://bücher.example/",
]


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
def test_forbidden_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=REFUSAL):
        check_outbound_url(url, allow_private=False)


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
def test_forbidden_url_is_refused_at_the_literal_host_of_a_template(url: str) -> None:
    with pytest.raises(ValueError, match=REFUSAL):
        check_templated_url(url + "[lead_id]?x={{ lead.caller_id }}", allow_private=False)


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_public_url_is_accepted(url: str) -> None:
    check_outbound_url(url, allow_private=False)
    check_templated_url(url.rstrip("/") + "/[lead_id]", allow_private=False)


@pytest.mark.parametrize(
    "url", ["https://[host]/x", "https://{{ lead.host }}/x", "{{ base }}/x", "https://x.example"]
)
def test_a_template_in_the_host_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=REFUSAL):
        check_templated_url(url + "{{ a }}", allow_private=False)


@pytest.mark.parametrize("spelling", ["127。0。0。1", "127．0．0．1", "127｡0｡0｡1"])
def test_ideographic_full_stops_are_dots(spelling: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        check_outbound_url(f"http://{spelling}/", allow_private=True)
    check_outbound_url(f"http://{spelling}/", allow_private=False, allow_loopback=True)


def test_origin_is_the_host_a_client_connects_to() -> None:
    assert origin("https://Buyer.example./a") == origin("https://buyer.example:443/b")
    assert origin("https://buyer.example/") != origin("https://buyer.example:8443/")
    assert origin("https://buyer.example/") != origin("http://buyer.example/")
    assert origin("https://buyer.example/") != origin("https://attacker.example/")
