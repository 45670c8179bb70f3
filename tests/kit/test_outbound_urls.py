"""Users configure URLs that Leadflow will call; the policy keeps them off internal networks."""

from __future__ import annotations

import pytest

from leadflow.kit.outbound_urls import check_outbound_url, literal_address


def refusal(url: str, allow_private: bool = False) -> str:
    """The policy's message for a URL it must refuse."""
    try:
        check_outbound_url(url, allow_private)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"{url} was allowed")


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/leadflow",
        "http://example.com:8080/path?query=1#fragment",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        "https://xn--bcher-kva.example/hook",
        "https://bücher.example/hook",
        "HTTPS://Example.COM/",
        "https://example.com./trailing-dot",
    ],
)
def test_public_http_urls_are_allowed(url: str) -> None:
    check_outbound_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "example.com"]
)
def test_only_http_and_https_are_allowed(url: str) -> None:
    assert refusal(url) == "must start with http:// or https://"


@pytest.mark.parametrize("url", ["http://", "https:///path", "http://:80/"])
def test_a_host_is_required(url: str) -> None:
    assert refusal(url) == "must name a host"


@pytest.mark.parametrize(
    "url", ["https://user:pass@example.com/", "https://user@example.com/", "https://@example.com/"]
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    assert refusal(url) == "must not carry a user name or password"


@pytest.mark.parametrize(
    "url", ["https://exa mple.com/", "https://example.com/\n", "https://example.com/\x00"]
)
def test_spaces_and_control_characters_are_refused(url: str) -> None:
    assert refusal(url) == "must not contain spaces or control characters"


def test_a_bad_port_is_refused() -> None:
    assert refusal("https://example.com:99999/").startswith("is not a valid URL")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.000.000.001/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://localhost:8000/",
        "http://LOCALHOST./",
        "http://api.localhost/",
    ],
)
def test_loopback_is_refused_in_every_spelling(url: str) -> None:
    assert refusal(url, allow_private=True) == "points at a loopback address"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost/", "http://[::1]/"]
)
def test_loopback_is_allowed_only_when_the_operator_allows_it(url: str) -> None:
    check_outbound_url(url, allow_private=False, allow_loopback=True)


def test_allowing_loopback_still_refuses_metadata_and_private_networks() -> None:
    with pytest.raises(ValueError, match="metadata"):
        check_outbound_url("http://169.254.169.254/", allow_private=False, allow_loopback=True)
    with pytest.raises(ValueError, match="private network"):
        check_outbound_url("http://10.0.0.8/", allow_private=False, allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://169.254.170.2/v2/credentials",
    ],
)
def test_cloud_metadata_addresses_are_refused_even_when_private_is_allowed(url: str) -> None:
    assert refusal(url, allow_private=True) == "points at a cloud metadata address"


@pytest.mark.parametrize(
    "url", ["http://169.254.1.1/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/"]
)
def test_link_local_is_refused(url: str) -> None:
    assert refusal(url, allow_private=True) == "points at a link-local address"


@pytest.mark.parametrize("url", ["http://0.0.0.0/", "http://0/", "http://[::]/", "http://0.1.2.3/"])
def test_unspecified_addresses_are_refused(url: str) -> None:
    assert refusal(url, allow_private=True) == "points at an unspecified address"


@pytest.mark.parametrize("url", ["http://224.0.0.1/", "http://[ff02::1]/"])
def test_multicast_is_refused(url: str) -> None:
    assert refusal(url, allow_private=True) == "points at a multicast address"


@pytest.mark.parametrize("url", ["http://240.0.0.1/", "http://255.255.255.255/"])
def test_reserved_addresses_are_refused(url: str) -> None:
    assert refusal(url, allow_private=True) == "points at a reserved address"


PRIVATE = [
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://172.31.255.255/",
    "http://192.168.1.10:8080/",
    "http://3232235786/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::a00:1]/",
    "http://[2002:a00:1::]/",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_networks_are_refused_by_default(url: str) -> None:
    assert refusal(url) == (
        "points at a private network (allowed only when LEADFLOW_ALLOW_PRIVATE_URLS is set)"
    )


@pytest.mark.parametrize("url", PRIVATE)
def test_private_networks_are_allowed_when_the_setting_allows_them(url: str) -> None:
    check_outbound_url(url, allow_private=True)


def test_172_outside_the_private_block_is_public() -> None:
    check_outbound_url("http://172.32.0.1/", allow_private=False)


@pytest.mark.parametrize(
    "url", ["http://192.0.2.1/", "http://198.18.0.1/", "http://[2001:db8::1]/"]
)
def test_documentation_and_benchmark_ranges_are_not_routable(url: str) -> None:
    assert refusal(url, allow_private=True) == (
        "points at an address that is not publicly routable"
    )


@pytest.mark.parametrize(
    "url", ["http://1.2.3.4.5/", "http://256.1.1.1/", "http://1.2.3.09/", "http://1.0x1g.3.4/"]
)
def test_hosts_that_look_numeric_must_be_valid_addresses(url: str) -> None:
    assert refusal(url) == "looks like an IP address but is not a valid one"


@pytest.mark.parametrize("url", ["http://exa$mple.com/", "http://a..b/"])
def test_invalid_host_names_are_refused(url: str) -> None:
    assert refusal(url) == "has an invalid host name"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("10.1.258", "10.1.1.2"),
        ("0x7f.1", "127.0.0.1"),
        ("3232235786", "192.168.1.10"),
        ("example.com", None),
        ("1e100.net", None),
    ],
)
def test_literal_addresses_are_read_as_clients_read_them(host: str, address: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == address
