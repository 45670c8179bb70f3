"""The strict ``POST /api/v1/leads/submit`` request (LeadSail's documented schema).

Every model forbids unknown fields, so a misspelt key is named in the 422 instead of being
silently dropped. Validate with ``SubmitLeadRequest.model_validate(body, context={"today":
date})``, "today" read from the app's one clock (:mod:`leadflow.clock`): there is no clock of
this module's own, so a frozen or moved clock moves dateOfBirth's "future" with it.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.submissions.us_states import STATES

_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
MIN_PHONE_DIGITS = 10

# Tags naming the questionnaire's two forms; they appear in error locations and are dropped
# again by :func:`validation_details`, so the seller reads ``questionnaire.0.key``.
QUESTIONNAIRE_OBJECT = "questionnaire object form"
QUESTIONNAIRE_ARRAY = "questionnaire array form"
_UNION_TAGS = frozenset({QUESTIONNAIRE_OBJECT, QUESTIONNAIRE_ARRAY})


class StrictModel(BaseModel):
    """camelCase on the wire, snake_case in Python; only the wire names are accepted."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        str_strip_whitespace=True,
    )


def _nonblank(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    return value


def _title_name(value: str) -> str:
    return _nonblank(" ".join(value.split())).title()


def _email(value: str) -> str:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email", "is not a valid e-mail address: {reason}", {"reason": str(exc)}
        ) from None
    return checked.normalized.lower()


def _phone(value: str) -> str:
    digits = sum(1 for ch in value if ch in "0123456789")
    if digits < MIN_PHONE_DIGITS:
        raise PydanticCustomError("phone", "must have at least 10 digits")
    try:
        return to_e164(value, plausible=True)
    except InvalidPhoneNumberError as exc:
        raise PydanticCustomError("phone", "{reason}", {"reason": str(exc)}) from None


def _state(value: str) -> str:
    code = value.upper()
    if code not in STATES:
        raise PydanticCustomError("state", "must be a 2-letter US state code like CA or NY")
    return code


def _zip(value: str) -> str:
    match = _ZIP.match(value)
    if not match:
        raise PydanticCustomError("zip", "must be a 5 or 9 digit ZIP code like 90210 or 90210-1234")
    first, plus_four = match.groups()
    return f"{first}-{plus_four}" if plus_four else first


def _country(value: str) -> str:
    code = value.upper()
    if not _COUNTRY.match(code):
        raise PydanticCustomError("country", "must be a 2-letter ISO country code like US")
    return code


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("url", "must be an http or https URL")
    return value


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise PydanticCustomError("ip_address", "must be an IPv4 or IPv6 address") from None


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    if value not in _time_zones():
        raise PydanticCustomError("timezone", "must be an IANA time zone like America/New_York")
    return value


def _iso_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise PydanticCustomError("datetime", "must be an ISO 8601 date and time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError("datetime", "must be an ISO 8601 date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _today(info: ValidationInfo) -> date:
    """The caller's "today", from the app's clock; a caller that forgot it is a bug, said
    loudly (a TypeError, not a 422), rather than a second clock read in secret."""
    context = info.context if isinstance(info.context, dict) else {}
    today = context.get("today")
    if not isinstance(today, date):
        raise TypeError("validate SubmitLeadRequest with context={'today': clock.now().date()}")
    return today


Text = Annotated[str, Field(max_length=1000), AfterValidator(_nonblank)]
# Optional free text may be blank: sellers' forms send "" for fields nobody filled in.
OptionalText = Annotated[str, Field(max_length=1000)]
LongText = Annotated[str, Field(max_length=20_000)]
Name = Annotated[str, Field(max_length=100), AfterValidator(_title_name)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(_phone)]
StateCode = Annotated[str, AfterValidator(_state)]
ZipCode = Annotated[str, AfterValidator(_zip)]
CountryCode = Annotated[str, AfterValidator(_country)]
HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
IpAddress = Annotated[str, Field(max_length=64), AfterValidator(_ip_address)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
ConsentMethod = Literal["checkbox", "signature", "sms_optin", "voice_recording"]


class Address(StrictModel):
    street: Text
    unit: OptionalText | None = None
    city: Text
    state: StateCode
    zip: ZipCode
    country: CountryCode = "US"


class QuestionnaireAnswer(StrictModel):
    key: Text
    question: Text
    answer: Any


def _questionnaire_form(value: Any) -> str | None:
    if isinstance(value, dict):
        return QUESTIONNAIRE_OBJECT
    if isinstance(value, list):
        return QUESTIONNAIRE_ARRAY
    return None


Questionnaire = Annotated[
    Annotated[dict[str, Any], Tag(QUESTIONNAIRE_OBJECT)]
    | Annotated[list[QuestionnaireAnswer], Tag(QUESTIONNAIRE_ARRAY)],
    Discriminator(
        _questionnaire_form,
        custom_error_type="questionnaire",
        custom_error_message="must be an object or an array of {key, question, answer}",
    ),
]


class Attribution(StrictModel):
    params: dict[str, Any] = Field(default_factory=dict)
    capture_url: HttpUrl | None = None
    referrer: LongText | None = None
    ip_address: IpAddress | None = None
    user_agent: LongText | None = None
    gclid: OptionalText | None = None
    gbraid: OptionalText | None = None
    wbraid: OptionalText | None = None
    fbclid: OptionalText | None = None
    fbc: OptionalText | None = None
    fbp: OptionalText | None = None
    ttclid: OptionalText | None = None
    ttp: OptionalText | None = None
    msclkid: OptionalText | None = None
    tblci: OptionalText | None = None
    ad_platform: OptionalText | None = None
    capture_platform: OptionalText | None = None

    @model_validator(mode="after")
    def _detect_platform(self) -> Attribution:
        if not self.ad_platform:
            self.ad_platform = detect_ad_platform(self)
        return self


class Compliance(StrictModel):
    tcpa_consent: bool | None = None
    tcpa_consent_timestamp: IsoDateTime | None = None
    tcpa_consent_method: ConsentMethod | None = None
    tcpa_language: LongText | None = None
    trusted_form_cert_id: OptionalText | None = None
    trusted_form_cert_url: HttpUrl | None = None
    jornaya_lead_id: OptionalText | None = None
    privacy_policy_url: HttpUrl | None = None
    terms_url: HttpUrl | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class FileReference(StrictModel):
    source_key: Text
    file_url: HttpUrl
    type: OptionalText | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


CONTACT_FIELDS = ("firstName", "lastName", "email", "phone")


class SubmitLeadRequest(StrictModel):
    """A lead to qualify and deliver. Contact fields are required unless ``leadId`` re-submits
    an existing lead; each missing one is named on its own, next to every other problem."""

    campaign_id: Text
    lead_id: Text | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None
    date_of_birth: date | None = None
    country: CountryCode | None = None
    questionnaire: Questionnaire = Field(default_factory=dict)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    attribution: Attribution | None = None
    compliance: Compliance | None = None
    files: list[FileReference] = Field(default_factory=list, max_length=100)
    is_test: bool = False
    timezone: TimeZoneName | None = None
    notes: LongText | None = None

    # A model-level check would run only once every field is valid, so it could not report a
    # missing name next to a bad ZIP. Instead the absent contact fields of a new lead are made
    # explicit nulls here, and each field's own validator (which sees ``lead_id``, declared
    # before it) names itself.
    @model_validator(mode="before")
    @classmethod
    def _contact_fields_of_new_lead(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("leadId") is not None:
            return data
        return {key: None for key in CONTACT_FIELDS} | data

    @field_validator("first_name", "last_name", "email", "phone", mode="after")
    @classmethod
    def _required_for_new_lead(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("lead_id") is None:
            raise PydanticCustomError("required_for_new_lead", "is required unless leadId is given")
        return value

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _date_shape(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
            raise PydanticCustomError("date_format", "must be a date in YYYY-MM-DD format")
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("date", "is not a real date") from None

    @field_validator("date_of_birth", mode="after")
    @classmethod
    def _not_in_future(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and value > _today(info):
            raise PydanticCustomError("date_future", "must not be in the future")
        return value


# Checked in this order, so a lead with both a gclid and an fbclid counts as Google.
AD_PLATFORM_CLICK_IDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Google", ("gclid", "gbraid", "wbraid")),
    ("Meta", ("fbclid", "fbc", "fbp")),
    ("TikTok", ("ttclid", "ttp")),
    ("Microsoft", ("msclkid",)),
    ("Taboola", ("tblci",)),
)


def detect_ad_platform(attribution: Attribution) -> str | None:
    """The ad platform the seller named, else the one whose click id is present."""
    if attribution.ad_platform:
        return attribution.ad_platform
    for platform, click_ids in AD_PLATFORM_CLICK_IDS:
        if any(getattr(attribution, click_id) for click_id in click_ids):
            return platform
    return None


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
}


def validation_details(error: ValidationError) -> list[dict[str, str]]:
    """Every problem as ``{"field": "address.zip", "message": ...}`` for the 422 body."""
    details = []
    for problem in error.errors(include_url=False, include_input=False):
        path = [str(part) for part in problem["loc"] if part not in _UNION_TAGS]
        message = _MESSAGES.get(problem["type"], problem["msg"])
        details.append({"field": ".".join(path) or "body", "message": message})
    return details
