"""Twilio's request signature, checked against the example Twilio's own helpers test with."""

from __future__ import annotations

from leadflow.telephony.signature import compute_signature, signature_matches

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]


def test_signature_is_hmac_sha1_of_url_and_sorted_params() -> None:
    assert compute_signature("12345", URL, list(reversed(PARAMS))) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_repeated_parameter_signs_each_distinct_value_in_order() -> None:
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678")]
    repeated += [("Digits", "1234"), ("Digits", "1234")]
    assert compute_signature("12345", URL, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_a_changed_parameter_or_url_no_longer_matches() -> None:
    good = compute_signature("12345", URL, PARAMS)
    assert signature_matches("12345", URL, PARAMS, good)
    assert not signature_matches("12345", URL, [*PARAMS[:-1], ("To", "+18005551213")], good)
    assert not signature_matches("12345", URL.replace("foo", "fob"), PARAMS, good)


def test_without_an_auth_token_or_a_signature_nothing_matches() -> None:
    assert not signature_matches("", URL, PARAMS, compute_signature("", URL, PARAMS))
    assert not signature_matches("12345", URL, PARAMS, None)
    assert not signature_matches("12345", URL, PARAMS, "")
