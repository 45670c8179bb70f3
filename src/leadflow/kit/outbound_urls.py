"""The policy for URLs that users configure and Leadflow later calls (webhooks, buyer endpoints).

A user who could point a webhook at ``http://169.254.169.254/`` or ``http://127.0.0.1:5432/``
would make Leadflow fetch the cloud's credentials or poke services that trust the local
network. So a configured URL must be plain http(s), carry no credentials, and name a host
that is not loopback, link-local, a metadata service, unspecified, multicast or reserved.
Private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) are refused unless the
operator allows them (``LEADFLOW_ALLOW_PRIVATE_URLS``), as a self-hosted install may deliver
to its own LAN on purpose.

This checks the host **as written**, after mapping it the way browsers, httpx and IDNA
(UTS #46) do, so ``127。0。0。1`` (ideographic full stops), full-width digits and upper case
are judged as the ``127.0.0.1`` a client would connect to: IP literals in every spelling a
client would accept (dotted, decimal ``2130706433``, hex ``0x7f000001``, octal
``0177.0.0.1``, short ``127.1``, bracketed IPv6, IPv4-mapped and other IPv6 forms that embed
an IPv4 address) and a few well-known names. A public name may still resolve to a private
address (or be re-pointed later, DNS rebinding); :mod:`leadflow.kit.pinned_http` checks every
address a name resolves to when connecting, and connects only to an address it checked.

A templated URL (a schedule webhook's ``https://x.example/[token]`` or ``{{ lead.x }}``) is
checked on its literal host by :func:`check_templated_url`; a host that is itself a template
cannot be judged at save and is judged at send.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = frozenset({"http", "https"})
PRIVATE_SETTING = "LEADFLOW_ALLOW_PRIVATE_URLS"

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "instance-data"})

PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_OCTAL = re.compile(r"0[0-7]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_NUMERIC = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


def check_outbound_url(url: str, allow_private: bool, *, allow_loopback: bool = False) -> None:
    """Raise ``ValueError`` saying what is wrong unless Leadflow may call ``url``."""
    if _CONTROL_OR_SPACE.search(url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parsing the port raises for a bad one)
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError("must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    host = normalised_host(parts.hostname or "")
    if not host:
        raise ValueError("must name a host")
    address = literal_address(host)
    if address is None:
        _check_name(host, allow_loopback)
    else:
        _check_address(address, allow_private, allow_loopback)


def normalised_host(host: str) -> str:
    """The host as a client resolves it: UTS #46 mapped (U+3002, U+FF0E and U+FF61 become
    ``.``, full-width characters narrow, letters lower-case), without trailing dots."""
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except idna.IDNAError:
        raise ValueError("has an invalid host name") from None
    return mapped.rstrip(".")


_TEMPLATE = re.compile(r"\{\{|\{%|\[[^\]]*\]")


def check_templated_url(url: str, allow_private: bool, *, allow_loopback: bool = False) -> None:
    """Like :func:`check_outbound_url` for a URL that holds template tags: the part before the
    first tag is judged when it already contains the whole host (``https://x.example/[id]``);
    a URL whose scheme or host is itself templated is refused, as no one can say where it
    would go until it is sent."""
    start = url.find("://") + 3 if "://" in url else 0
    if url.startswith("[", start):  # a bracketed IPv6 host, not a token
        start = max(url.find("]", start) + 1, start)
    found = _TEMPLATE.search(url, start)
    if found is None:
        check_outbound_url(url, allow_private, allow_loopback=allow_loopback)
        return
    literal = url[: found.start()]
    _scheme, sep, rest = literal.partition("://")
    if not sep or not any(mark in rest for mark in "/?#"):
        raise ValueError("must name its host literally (a template may follow the host)")
    check_outbound_url(literal, allow_private, allow_loopback=allow_loopback)


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal means, in any spelling; None for a name.

    A host whose last label is numeric is an IPv4 address to browsers and most HTTP clients
    (WHATWG URL), so one that does not parse as such is refused rather than treated as a name.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        raise ValueError("is not a valid IPv6 address")
    labels = host.split(".")
    if not _NUMERIC.fullmatch(labels[-1]):
        return None
    numbers = [_number(label) for label in labels]
    if len(labels) > 4 or any(n is None for n in numbers):
        raise ValueError("looks like an IP address but is not a valid one")
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(labels)):
        raise ValueError("looks like an IP address but is not a valid one")
    value = last
    for index, n in enumerate(leading):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _number(label: str) -> int | None:
    """A label as an IPv4 part: ``0x1f`` hex, ``017`` octal, ``17`` decimal; None otherwise."""
    if _HEX.fullmatch(label):
        return int(label[2:] or "0", 16)
    if _OCTAL.fullmatch(label):
        return int(label, 8)
    if _DECIMAL.fullmatch(label):
        return int(label, 10)
    return None


def _check_name(host: str, allow_loopback: bool = False) -> None:
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("has an invalid host name") from None
    if not _HOST_NAME.fullmatch(name):
        raise ValueError("has an invalid host name")
    if (name == "localhost" or name.endswith(".localhost")) and not allow_loopback:
        raise ValueError("points at a loopback address")
    if name in METADATA_NAMES:
        raise ValueError("points at a cloud metadata address")


def _check_address(address: IPAddress, allow_private: bool, allow_loopback: bool = False) -> None:
    embedded = _embedded_ipv4(address)
    if embedded:
        # The wrapper's own range is reserved; where the packet goes is what matters.
        for inner in embedded:
            _check_address(inner, allow_private, allow_loopback)
        return
    if address in METADATA_ADDRESSES:
        raise ValueError("points at a cloud metadata address")
    if address.is_loopback:
        if allow_loopback:
            return
        raise ValueError("points at a loopback address")
    if address.is_link_local:
        raise ValueError("points at a link-local address")
    if address.is_unspecified or address in THIS_NETWORK:
        raise ValueError("points at an unspecified address")
    if address.is_multicast:
        raise ValueError("points at a multicast address")
    if any(address in network for network in PRIVATE_NETWORKS):
        if allow_private:
            return
        raise ValueError(
            f"points at a private network (allowed only when {PRIVATE_SETTING} is set)"
        )
    if address.is_reserved:
        raise ValueError("points at a reserved address")
    if not address.is_global:
        raise ValueError("points at an address that is not publicly routable")


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo), which a
    dual-stack host or a translator would reach instead."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: object) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` as a client would connect (host normalised, default port
    filled in); None for what is not an http(s) URL. Secrets are bound to an origin: one
    stored for a URL must not follow that URL to another host."""
    try:
        parts = urlsplit(str(url))
        scheme = parts.scheme.lower()
        host = normalised_host(parts.hostname or "")
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return None
    if scheme not in SCHEMES or not host:
        return None
    return scheme, host, port
