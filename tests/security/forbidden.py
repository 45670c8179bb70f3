# ruff: noqa: RUF001 (look-alike characters are the point of these URLs)
"""Forty URLs the outbound URL policy must refuse, shared by the policy and the API tests.

Each is a spelling a browser, httpx or the C library would turn into an address users must not
reach (loopback, link-local, metadata, private, unspecified, multicast, reserved) or a URL
that is not plain http(s) to a public host."""

from __future__ import annotations

FORBIDDEN_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:5432/",
    "http://127.1/",
    "http://127.0.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://0177.0.0.1/",
    "http://0177.1/",
    "http://127。0。0。1/",
    "http://127．0．0．1/",
    "http://127｡0｡0｡1/",
    "http://１２７.０.０.１/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://api.localhost/",
    "http://127.0.0.1./",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254./latest/meta-data/",
    "http://0xa9fea9fe/",
    "http://2852039166/",
    "http://169。254。169。254/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://100.100.100.200/",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://example.com@127.0.0.1/",
    "http://user:pass@example.com/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://999.1.1.1/",
]
