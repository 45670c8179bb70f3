"""The strict LeadSail submit request: normalisation, and every rule naming its field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.submissions.schemas import (
    Attribution,
    SubmitLeadRequest,
    detect_ad_platform,
    validation_details,
)

TODAY = date(2026, 1, 5)


def body(**fields: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "campaignId": "cmp_abc123",
        "firstName": "Jane",
        "lastName": "Smith",
        "email": "jane@example.com",
        "phone": "+17193132645",
    }
    lead.update(fields)
    return {key: value for key, value in lead.items() if value is not ...}


def submit(payload: dict[str, Any]) -> SubmitLeadRequest:
    return SubmitLeadRequest.model_validate(payload, context={"today": TODAY})


def problems(payload: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        submit(payload)
    return {detail["field"]: detail["message"] for detail in validation_details(caught.value)}


def test_documented_example_is_accepted() -> None:
    lead = submit(
        body(
            address={"street": "123 Main St", "city": "Los Angeles", "state": "CA", "zip": "90210"}
        )
    )
    assert lead.campaign_id == "cmp_abc123"
    assert lead.address is not None
    assert lead.address.country == "US"
    assert lead.questionnaire == {}
    assert lead.is_test is False


def test_names_are_trimmed_and_title_cased() -> None:
    lead = submit(body(firstName="  mary   jane ", lastName="o'BRIEN"))
    assert (lead.first_name, lead.last_name) == ("Mary Jane", "O'Brien")


def test_email_is_lowercased() -> None:
    assert submit(body(email=" Jane.Smith@Example.COM ")).email == "jane.smith@example.com"


def test_phone_is_stored_as_e164() -> None:
    assert submit(body(phone="(719) 313-2645")).phone == "+17193132645"


def test_phone_with_fewer_than_ten_digits_is_refused() -> None:
    assert problems(body(phone="313-2645")) == {"phone": "must have at least 10 digits"}


def test_phone_that_is_not_a_real_number_is_refused() -> None:
    assert problems(body(phone="+1 000 000 0000"))["phone"]


def test_invalid_email_is_named() -> None:
    assert problems(body(email="jane@"))["email"].startswith("is not a valid e-mail address")


def test_blank_first_name_is_refused() -> None:
    assert problems(body(firstName="   ")) == {"firstName": "must not be blank"}


def test_new_lead_needs_every_contact_field() -> None:
    missing = body(firstName=..., lastName=..., email=..., phone=...)
    assert problems(missing) == {
        "firstName": "is required unless leadId is given",
        "lastName": "is required unless leadId is given",
        "email": "is required unless leadId is given",
        "phone": "is required unless leadId is given",
    }


def test_explicit_null_contact_field_counts_as_missing() -> None:
    assert problems(body(email=None)) == {"email": "is required unless leadId is given"}


def test_resubmission_with_lead_id_needs_no_contact_fields() -> None:
    lead = submit({"campaignId": "cmp_abc123", "leadId": "lead_1"})
    assert lead.lead_id == "lead_1"
    assert lead.first_name is None


def test_missing_campaign_id_is_named() -> None:
    assert problems(body(campaignId=...)) == {"campaignId": "is required"}


def test_unknown_top_level_field_is_named() -> None:
    assert problems(body(favouriteColour="blue")) == {"favouriteColour": "is not a known field"}


def test_snake_case_spelling_is_an_unknown_field() -> None:
    assert problems(body(first_name="Jane")) == {"first_name": "is not a known field"}


def test_unknown_nested_fields_are_named_with_their_path() -> None:
    payload = body(
        address={"street": "1 Main", "city": "LA", "state": "CA", "zip": "90210", "floor": 2},
        attribution={"utm_source": "fb"},
        compliance={"consent": True},
        files=[{"sourceKey": "id", "fileUrl": "https://files.example/1", "size": 3}],
        questionnaire=[{"key": "a", "question": "A", "answer": 1, "extra": 1}],
    )
    assert problems(payload) == {
        "address.floor": "is not a known field",
        "attribution.utm_source": "is not a known field",
        "compliance.consent": "is not a known field",
        "files.0.size": "is not a known field",
        "questionnaire.0.extra": "is not a known field",
    }


def test_every_problem_is_reported_at_once() -> None:
    payload = body(
        firstName=...,
        phone="123",
        address={"street": "1 Main", "city": "LA", "state": "ZZ", "zip": "9021"},
        timezone="Mars/Olympus",
    )
    assert set(problems(payload)) == {
        "firstName",
        "phone",
        "address.state",
        "address.zip",
        "timezone",
    }


def address(**fields: Any) -> dict[str, Any]:
    given = {"street": "123 Main St", "city": "Los Angeles", "state": "CA", "zip": "90210"}
    given.update(fields)
    return {key: value for key, value in given.items() if value is not ...}


@pytest.mark.parametrize("field", ["street", "city", "state", "zip"])
def test_address_field_is_required_when_address_is_given(field: str) -> None:
    assert problems(body(address=address(**{field: ...}))) == {f"address.{field}": "is required"}


def test_address_unit_and_country_are_optional() -> None:
    lead = submit(body(address=address(unit="4B")))
    assert lead.address is not None
    assert (lead.address.unit, lead.address.country) == ("4B", "US")


def test_address_state_must_be_a_real_code() -> None:
    assert problems(body(address=address(state="XX"))) == {
        "address.state": "must be a 2-letter US state code like CA or NY"
    }


def test_address_state_is_uppercased() -> None:
    lead = submit(body(address=address(state="ny")))
    assert lead.address is not None
    assert lead.address.state == "NY"


def test_territory_state_code_is_accepted() -> None:
    lead = submit(body(address=address(state="PR", zip="00901")))
    assert lead.address is not None
    assert lead.address.state == "PR"


@pytest.mark.parametrize(("given", "stored"), [("90210", "90210"), ("90210-1234", "90210-1234")])
def test_zip_of_five_or_nine_digits_is_accepted(given: str, stored: str) -> None:
    lead = submit(body(address=address(zip=given)))
    assert lead.address is not None
    assert lead.address.zip == stored


def test_nine_digit_zip_without_hyphen_is_written_with_one() -> None:
    lead = submit(body(address=address(zip="902101234")))
    assert lead.address is not None
    assert lead.address.zip == "90210-1234"


@pytest.mark.parametrize("zip_code", ["9021", "902101", "90210-12", "ABCDE", "90210 1234"])
def test_malformed_zip_is_named(zip_code: str) -> None:
    assert set(problems(body(address=address(zip=zip_code)))) == {"address.zip"}


def test_address_country_must_be_two_letters() -> None:
    assert problems(body(address=address(country="USA"))) == {
        "address.country": "must be a 2-letter ISO country code like US"
    }


def test_date_of_birth_is_read_as_a_date() -> None:
    assert submit(body(dateOfBirth="1990-01-15")).date_of_birth == date(1990, 1, 15)


@pytest.mark.parametrize("given", ["01/15/1990", "1990-1-15", "19900115", 19900115])
def test_date_of_birth_in_another_format_is_refused(given: Any) -> None:
    assert problems(body(dateOfBirth=given)) == {
        "dateOfBirth": "must be a date in YYYY-MM-DD format"
    }


def test_date_of_birth_must_be_a_real_date() -> None:
    assert problems(body(dateOfBirth="1990-02-30")) == {"dateOfBirth": "is not a real date"}


def test_date_of_birth_today_is_accepted() -> None:
    assert submit(body(dateOfBirth="2026-01-05")).date_of_birth == TODAY


def test_date_of_birth_in_the_future_is_refused() -> None:
    assert problems(body(dateOfBirth="2026-01-06")) == {"dateOfBirth": "must not be in the future"}


def test_without_a_today_from_the_clock_validation_refuses_to_guess() -> None:
    with pytest.raises(TypeError, match="context"):
        SubmitLeadRequest.model_validate(body(dateOfBirth="2000-01-02"))


def test_country_is_uppercased() -> None:
    assert submit(body(country="ca")).country == "CA"


def test_country_must_be_two_letters() -> None:
    assert set(problems(body(country="Canada"))) == {"country"}


def test_questionnaire_object_form_is_kept() -> None:
    lead = submit(body(questionnaire={"dob": "1990-01-15", "injury_type": "car_accident"}))
    assert lead.questionnaire == {"dob": "1990-01-15", "injury_type": "car_accident"}


def test_questionnaire_array_form_keeps_the_labels() -> None:
    lead = submit(
        body(questionnaire=[{"key": "dob", "question": "Date of Birth", "answer": "1990-01-15"}])
    )
    assert isinstance(lead.questionnaire, list)
    assert lead.questionnaire[0].question == "Date of Birth"


def test_questionnaire_array_item_needs_key_question_and_answer() -> None:
    assert problems(body(questionnaire=[{}])) == {
        "questionnaire.0.key": "is required",
        "questionnaire.0.question": "is required",
        "questionnaire.0.answer": "is required",
    }


def test_questionnaire_of_another_type_is_refused() -> None:
    assert problems(body(questionnaire="yes")) == {
        "questionnaire": "must be an object or an array of {key, question, answer}"
    }


def test_custom_fields_must_be_an_object() -> None:
    assert set(problems(body(customFields=["a"]))) == {"customFields"}


def test_attribution_params_default_to_empty() -> None:
    lead = submit(body(attribution={"captureUrl": "https://example.com/landing"}))
    assert lead.attribution is not None
    assert lead.attribution.params == {}


def test_attribution_capture_url_must_be_http() -> None:
    assert problems(body(attribution={"captureUrl": "javascript:alert(1)"})) == {
        "attribution.captureUrl": "must be an http or https URL"
    }


def test_attribution_ip_address_must_be_an_address() -> None:
    assert set(problems(body(attribution={"ipAddress": "300.1.1.1"}))) == {"attribution.ipAddress"}


def test_attribution_detects_the_ad_platform_from_the_click_id() -> None:
    lead = submit(body(attribution={"fbclid": "fbclid_xyz789"}))
    assert lead.attribution is not None
    assert lead.attribution.ad_platform == "Meta"


@pytest.mark.parametrize(
    ("click_id", "platform"),
    [
        ("gclid", "Google"),
        ("gbraid", "Google"),
        ("wbraid", "Google"),
        ("fbclid", "Meta"),
        ("fbc", "Meta"),
        ("fbp", "Meta"),
        ("ttclid", "TikTok"),
        ("ttp", "TikTok"),
        ("msclkid", "Microsoft"),
        ("tblci", "Taboola"),
    ],
)
def test_each_click_id_names_its_platform(click_id: str, platform: str) -> None:
    attribution = Attribution.model_validate({click_id: "abc"})
    assert detect_ad_platform(attribution) == platform


def test_given_ad_platform_wins_over_click_ids() -> None:
    attribution = Attribution.model_validate({"gclid": "abc", "adPlatform": "Bing"})
    assert detect_ad_platform(attribution) == "Bing"


def test_no_click_id_means_no_platform() -> None:
    assert detect_ad_platform(Attribution.model_validate({"params": {"utm": "x"}})) is None


def test_blank_click_id_is_not_a_click() -> None:
    assert detect_ad_platform(Attribution.model_validate({"gclid": ""})) is None


def test_compliance_fields_are_read() -> None:
    lead = submit(
        body(
            compliance={
                "tcpaConsent": True,
                "tcpaConsentTimestamp": "2024-01-15T10:30:00Z",
                "tcpaConsentMethod": "checkbox",
                "trustedFormCertUrl": "https://cert.trustedform.com/abc",
                "jornayaLeadId": "LL-1",
            }
        )
    )
    assert lead.compliance is not None
    assert lead.compliance.tcpa_consent_timestamp == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


def test_consent_timestamp_must_be_iso_8601() -> None:
    assert problems(body(compliance={"tcpaConsentTimestamp": "yesterday"})) == {
        "compliance.tcpaConsentTimestamp": "must be an ISO 8601 date and time"
    }


def test_consent_method_must_be_one_of_four() -> None:
    assert set(problems(body(compliance={"tcpaConsentMethod": "fax"}))) == {
        "compliance.tcpaConsentMethod"
    }


def test_trusted_form_url_must_be_http() -> None:
    assert set(problems(body(compliance={"trustedFormCertUrl": "cert-abc"}))) == {
        "compliance.trustedFormCertUrl"
    }


def test_file_needs_source_key_and_url() -> None:
    assert problems(body(files=[{"type": "id"}])) == {
        "files.0.sourceKey": "is required",
        "files.0.fileUrl": "is required",
    }


def test_file_with_metadata_is_accepted() -> None:
    lead = submit(
        body(files=[{"sourceKey": "id", "fileUrl": "https://f.example/1", "metadata": {"a": 1}}])
    )
    assert lead.files[0].metadata == {"a": 1}


def test_timezone_must_be_an_iana_zone() -> None:
    assert problems(body(timezone="EST5")) == {
        "timezone": "must be an IANA time zone like America/New_York"
    }


def test_iana_timezone_is_accepted() -> None:
    assert submit(body(timezone="America/New_York")).timezone == "America/New_York"


def test_is_test_must_be_a_boolean() -> None:
    assert set(problems(body(isTest="perhaps"))) == {"isTest"}


def test_body_that_is_not_an_object_is_reported_as_body() -> None:
    assert set(problems(["not", "an", "object"])) == {"body"}  # type: ignore[arg-type]
