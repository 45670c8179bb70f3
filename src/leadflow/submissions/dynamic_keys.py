"""Dynamic keys: fields computed from the lead before qualification (pipeline step 3).

``age`` from a date of birth, ``state`` from a ZIP prefix, a value looked up in a table, or a
user-written template, in the engine's :data:`~leadflow.kit.templating.DATA` dialect (the
lead's fields are its variables, an undefined name is an error, loops are allowed), under the
engine's limits: a campaign's author never reaches Python, and a template that breaks a limit
stops the lead's trip (:attr:`DynamicKeyResult.broken`) instead of costing the worker. Keys are
computed in order, so a later key may read an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from leadflow.kit.templating import DATA, TemplateError, TemplateLimitError, TemplateLimits, check
from leadflow.kit.templating import render as render_data
from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.field_paths import MISSING, field_value, is_present, with_field
from leadflow.submissions.us_states import state_for_zip

KeyKind = Literal["age", "state_from_zip", "lookup", "template"]
DEFAULT_SOURCES: dict[str, str] = {"age": "dateOfBirth", "state_from_zip": "address.zip"}


class DynamicKey(CampaignConfigModel):
    """``key`` is the field path the value is written to (``age``, ``customFields.tier``)."""

    key: str = Field(min_length=1)
    kind: KeyKind
    source: str | None = None
    table: dict[str, Any] = Field(default_factory=dict)
    default: Any = None
    template: str | None = None

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> DynamicKey:
        if self.kind == "template" and not self.template:
            raise ValueError("a template key needs a template")
        if self.kind == "lookup" and not self.source:
            raise ValueError("a lookup key needs a source")
        return self


class SavedDynamicKey(DynamicKey):
    """A key as the campaigns API saves it: its template compiled and checked against the
    limits, so a broken one is refused with 422 naming ``dynamicKeys.N.template``. Keys read
    back from the database are plain :class:`DynamicKey`: one stored before a limit was
    lowered still loads, and fails its render instead."""

    @field_validator("template")
    @classmethod
    def _template_runs(cls, value: str | None) -> str | None:
        return None if value is None else check(value, DATA)


@dataclass(frozen=True)
class DynamicKeyResult:
    lead: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    broken: str | None = None
    """A template broke a limit: ``"key: why"``; the keys after it were not computed."""


def apply_dynamic_keys(
    keys: Iterable[DynamicKey],
    lead: Mapping[str, Any],
    today: date,
    limits: TemplateLimits | None = None,
) -> DynamicKeyResult:
    """The lead with each computable key set. A key whose input is absent is left unset; a
    template that fails is reported in ``errors`` and left unset, never raised; one that
    breaks a limit stops here, reported in ``broken``."""
    current = dict(lead)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in keys:
        try:
            value = compute_key(key, current, today, limits)
        except DynamicKeyLimitError as exc:
            return DynamicKeyResult(current, values, errors, f"{key.key}: {exc}")
        except DynamicKeyError as exc:
            errors[key.key] = str(exc)
            continue
        if value is not MISSING:
            current = with_field(current, key.key, value)
            values[key.key] = value
    return DynamicKeyResult(current, values, errors)


class DynamicKeyError(Exception):
    pass


class DynamicKeyLimitError(DynamicKeyError):
    """The key's template broke one of the template limits."""


def compute_key(
    key: DynamicKey, lead: Mapping[str, Any], today: date, limits: TemplateLimits | None = None
) -> Any:
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
            return render_template(key.template or "", lead, limits)
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


def render_template(
    template: str, lead: Mapping[str, Any], limits: TemplateLimits | None = None
) -> str:
    """Render a key's template; the lead's top-level fields are its variables, and ``lead``
    is the whole lead. An undefined name is an error, not an empty string."""
    try:
        return render_data(template, lead, DATA, limits).strip()
    except TemplateLimitError as exc:
        raise DynamicKeyLimitError(f"template broke a limit: {exc}") from None
    except TemplateError as exc:
        raise DynamicKeyError(f"template failed: {exc}") from None
