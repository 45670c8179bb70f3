"""Whatever JSON a seller sends, validation answers with a ValidationError or a request."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from leadflow.submissions.schemas import SubmitLeadRequest, validation_details

# Lone surrogates included: Python's json module lets "\ud800" through to the schema.
any_text = st.text(st.characters(exclude_categories=()))
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "campaignId", "leadId", "firstName", "lastName", "email", "phone", "address",
    "dateOfBirth", "country", "questionnaire", "customFields", "attribution", "compliance",
    "files", "isTest", "timezone", "notes",
]  # fmt: skip
NESTED = {
    "address": ["street", "unit", "city", "state", "zip", "country"],
    "attribution": ["params", "captureUrl", "ipAddress", "gclid", "adPlatform", "referrer"],
    "compliance": ["tcpaConsent", "tcpaConsentTimestamp", "tcpaConsentMethod", "termsUrl"],
}


@st.composite
def near_valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Documented keys with arbitrary values, so the deep validators see odd input too."""
    keys = draw(st.lists(st.sampled_from(FIELDS), unique=True))
    lead: dict[str, Any] = {}
    for key in keys:
        if key in NESTED and draw(st.booleans()):
            inner = draw(st.lists(st.sampled_from(NESTED[key]), unique=True))
            lead[key] = {name: draw(json_values) for name in inner}
        else:
            lead[key] = draw(json_values)
    return lead


def check(payload: Any) -> None:
    try:
        SubmitLeadRequest.model_validate(payload, context={"today": date(2026, 1, 5)})
    except ValidationError as error:
        for detail in validation_details(error):
            assert detail["field"]
            assert detail["message"]


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_raises_only_validation_errors(payload: Any) -> None:
    check(payload)


@settings(max_examples=300, deadline=None)
@given(near_valid_bodies())
def test_documented_keys_with_arbitrary_values_raise_only_validation_errors(
    payload: dict[str, Any],
) -> None:
    check(payload)
