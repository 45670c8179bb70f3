"""Dynamic keys: fields computed from the lead before qualification (pipeline step 3).

``age`` from a date of birth, ``state`` from a ZIP prefix, a value looked up in a table, or a
user-written Jinja2 template. Templates run only in the sandbox: a campaign's author must
never reach Python. Keys are computed in order, so a later key may read an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, model_validator

from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.field_paths import MISSING, field_value, is_present, with_field
from leadflow.submissions.us_states import state_for_zip

KeyKind = Literal["age", "state_from_zip", "lookup", "template"]
DEFAULT_SOURCES: dict[str, str] = {"age": "dateOfBirth", "state_from_zip": "address.zip"}
MAX_TEMPLATE_OUTPUT = 10_000


class DynamicKey(CampaignConfigModel):
    """``key`` is the field path the value is written to (``age``, ``customFields.tier``)."""

    key: str = Field(min_length=1)
    kind: KeyKind
    source: str | None = None
    table: dict[str, Any] = Field(default_factory=dict)
    default: Any = None
    template: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> DynamicKey:
        if self.kind == "template" and not self.template:
            raise ValueError("a template key needs a template")
        if self.kind == "lookup" and not self.source:
            raise ValueError("a lookup key needs a source")
        return self


@dataclass(frozen=True)
class DynamicKeyResult:
    lead: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


_sandbox = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)


def apply_dynamic_keys(
    keys: Iterable[DynamicKey], lead: Mapping[str, Any], today: date
) -> DynamicKeyResult:
    """The lead with each computable key set. A key whose input is absent is left unset; a
    template that fails is reported in ``errors`` and left unset, never raised."""
    current = dict(lead)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in keys:
        try:
            value = compute_key(key, current, today)
        except DynamicKeyError as exc:
            errors[key.key] = str(exc)
            continue
        if value is not MISSING:
            current = with_field(current, key.key, value)
            values[key.key] = value
    return DynamicKeyResult(current, values, errors)


class DynamicKeyError(Exception):
    pass


def compute_key(key: DynamicKey, lead: Mapping[str, Any], today: date) -> Any:
    """The key's value, or :data:`MISSING` when its input is absent or unusable."""
    source = key.source or DEFAULT_SOURCES.get(key.kind, "")
    raw = field_value(lead, source) if source else MISSING
    match key.kind:
        case "age":
            born = _as_date(raw)
            return MISSING if born is None or born > today else age_on(born, today)
        case "state_from_zip":
            state = state_for_zip(str(raw)) if is_present(raw) else None
            return MISSING if state is None else state
        case "lookup":
            found = _lookup(key.table, raw) if is_present(raw) else MISSING
            return key.default if found is MISSING and key.default is not None else found
        case "template":
            return render_template(key.template or "", lead)
    raise DynamicKeyError(f"unknown kind {key.kind}")


def age_on(born: date, today: date) -> int:
    """Whole years: someone born on 29 February turns a year older on 1 March."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _as_date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip()[:10])
        except ValueError:
            return None
    return None


def _lookup(table: Mapping[str, Any], raw: Any) -> Any:
    """Exact key first, then ignoring case and spaces."""
    text = str(raw).strip()
    if text in table:
        return table[text]
    folded = text.casefold()
    for entry, value in table.items():
        if entry.strip().casefold() == folded:
            return value
    return MISSING


def render_template(template: str, lead: Mapping[str, Any]) -> str:
    """Render a user template in the sandbox; the lead's top-level fields are its variables,
    and ``lead`` is the whole lead. An undefined name is an error, not an empty string."""
    try:
        rendered = _sandbox.from_string(template).render({**lead, "lead": lead})
    except Exception as exc:  # a user's template may fail in any way; none may escape
        raise DynamicKeyError(f"template failed: {exc}") from None
    if len(rendered) > MAX_TEMPLATE_OUTPUT:
        raise DynamicKeyError(f"template output is longer than {MAX_TEMPLATE_OUTPUT} characters")
    return rendered.strip()
