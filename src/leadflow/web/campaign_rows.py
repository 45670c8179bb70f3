"""Parts of a campaign edited as rows of fields instead of JSON: dynamic keys, field
qualification and value sets here; rules in :mod:`campaign_rules`, the endpoint's
authentication and response mapping in :mod:`campaign_endpoint_rows`.

Each part is a :class:`RowPart`: the stored value (as the API shows it) as rows, the rows as
posted, the rows as the API's JSON, and an API error path back to the row and field it is
about. Rows only turn text into JSON; the campaign's Pydantic schema checks every value, so
nothing is validated twice. Rows left blank (or ticked for removal) are dropped as the form
is read, so the API's list indexes are the rows on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from leadflow.submissions.dynamic_keys import KeyKind
from leadflow.web.condition_rows import value_text
from leadflow.web.form_errors import FieldErrors

MAX_ROWS = 200
_KIND_LABELS = {
    "template": "a template",
    "lookup": "looked up in a table",
    "age": "age from a date of birth",
    "state_from_zip": "state from a ZIP code",
}
# In the schema's order; a kind added there without a label here fails at import.
KEY_KINDS = tuple((kind, _KIND_LABELS[kind]) for kind in get_args(KeyKind))


@dataclass(frozen=True)
class RowPart:
    """One part of the campaign document edited as rows, at ``path``."""

    path: str
    shown: Callable[[Any], Any]
    posted: Callable[[Mapping[str, Any]], Any]
    body: Callable[[Any], tuple[Any, FieldErrors]]
    locate: Callable[[Any, Sequence[str]], str | None]


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def count(form: Mapping[str, Any], name: str, limit: int = MAX_ROWS) -> int:
    typed = text(form, name)
    return min(int(typed), limit) if typed.isdigit() else 0


def lines(typed: str) -> list[str]:
    return [line.strip() for line in typed.splitlines() if line.strip()]


def terms(typed: str) -> list[str]:
    """Comma-separated words as a list."""
    return [item.strip() for item in typed.split(",") if item.strip()]


def _pairs(typed: str, separator: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``left <separator> right`` a line, or the lines that are not."""
    pairs, problems = [], []
    for number, line in enumerate(typed.splitlines(), start=1):
        if not line.strip():
            continue
        left, found, right = line.partition(separator)
        if not found or not left.strip():
            problems.append(f"line {number}: write it as “something {separator} its value”")
        else:
            pairs.append((left.strip(), right.strip()))
    return pairs, problems


def _number_text(value: Any) -> str:
    """85.0 reads 85."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value_text(value)


def _row_index(rest: Sequence[str], rows: Sequence[Any]) -> int | None:
    if rest and rest[0].isdigit() and int(rest[0]) < len(rows):
        return int(rest[0])
    return None


# Dynamic keys --------------------------------------------------------------------------------


@dataclass
class KeyDraft:
    key: str = ""
    kind: str = "template"
    source: str = ""
    template: str = ""
    table: str = ""  # one "answer = value" a line
    default: str = ""

    @property
    def blank(self) -> bool:
        typed = (self.key, self.source, self.template, self.table, self.default)
        return not any(part.strip() for part in typed)


def keys_shown(stored: Sequence[Mapping[str, Any]] | None) -> list[KeyDraft]:
    return [
        KeyDraft(
            key=str(key.get("key") or ""),
            kind=str(key.get("kind") or "template"),
            source=str(key.get("source") or ""),
            template=str(key.get("template") or ""),
            table="\n".join(f"{k} = {value_text(v)}" for k, v in (key.get("table") or {}).items()),
            default=value_text(key.get("default")),
        )
        for key in stored or []
    ]


def keys_posted(form: Mapping[str, Any]) -> list[KeyDraft]:
    drafts = []
    for i in range(count(form, "dynamicKeys.count")):
        prefix = f"dynamicKeys.{i}"
        if form.get(f"{prefix}.remove") == "on":
            continue
        draft = KeyDraft(
            key=text(form, f"{prefix}.key"),
            kind=text(form, f"{prefix}.kind") or "template",
            source=text(form, f"{prefix}.source"),
            template=text(form, f"{prefix}.template"),
            table=text(form, f"{prefix}.table"),
            default=text(form, f"{prefix}.default"),
        )
        if not draft.blank:
            drafts.append(draft)
    return drafts


def keys_body(drafts: Sequence[KeyDraft]) -> tuple[list[dict[str, Any]], FieldErrors]:
    keys: list[dict[str, Any]] = []
    errors: FieldErrors = {}
    for i, draft in enumerate(drafts):
        key: dict[str, Any] = {"key": draft.key, "kind": draft.kind}
        for name, typed in (("source", draft.source), ("template", draft.template)):
            if typed:
                key[name] = typed
        table, problems = _pairs(draft.table, "=")
        if problems:
            errors[f"dynamicKeys.{i}.table"] = problems
        if table:
            key["table"] = dict(table)
        if draft.default:
            key["default"] = draft.default
        keys.append(key)
    return keys, errors


def keys_locate(drafts: Sequence[KeyDraft], rest: Sequence[str]) -> str:
    i = _row_index(rest, drafts)
    if i is None:
        return "dynamicKeys"
    if len(rest) >= 2 and rest[1] in ("key", "kind", "source", "template", "table", "default"):
        return f"dynamicKeys.{i}.{rest[1]}"
    return f"dynamicKeys.{i}"


DYNAMIC_KEYS = RowPart("dynamicKeys", keys_shown, keys_posted, keys_body, keys_locate)


# Field qualification -------------------------------------------------------------------------

QUALIFICATION_FIELDS = (
    "field",
    "required",
    "acceptedValues",
    "valueSet",
    "synonyms",
    "fuzzyThreshold",
    "formattingInstructions",
)


@dataclass
class QualificationDraft:
    field: str = ""
    required: bool = False
    accepted: str = ""  # one accepted value a line
    value_set: str = ""
    synonyms: str = ""  # one "accepted: other, spellings" a line
    threshold: str = ""
    instructions: str = ""

    @property
    def blank(self) -> bool:
        typed = (self.field, self.accepted, self.value_set, self.synonyms, self.instructions)
        return not any(part.strip() for part in typed)


def qualification_shown(stored: Sequence[Mapping[str, Any]] | None) -> list[QualificationDraft]:
    return [
        QualificationDraft(
            field=str(rule.get("field") or ""),
            required=bool(rule.get("required", False)),
            accepted="\n".join(str(v) for v in rule.get("acceptedValues") or []),
            value_set=str(rule.get("valueSet") or ""),
            synonyms="\n".join(
                f"{value}: {', '.join(str(s) for s in spellings)}"
                for value, spellings in (rule.get("synonyms") or {}).items()
            ),
            threshold=_number_text(rule.get("fuzzyThreshold")),
            instructions=str(rule.get("formattingInstructions") or ""),
        )
        for rule in stored or []
    ]


def qualification_posted(form: Mapping[str, Any]) -> list[QualificationDraft]:
    drafts = []
    for i in range(count(form, "fieldQualification.count")):
        prefix = f"fieldQualification.{i}"
        if form.get(f"{prefix}.remove") == "on":
            continue
        draft = QualificationDraft(
            field=text(form, f"{prefix}.field"),
            required=form.get(f"{prefix}.required") == "on",
            accepted=text(form, f"{prefix}.acceptedValues"),
            value_set=text(form, f"{prefix}.valueSet"),
            synonyms=text(form, f"{prefix}.synonyms"),
            threshold=text(form, f"{prefix}.fuzzyThreshold"),
            instructions=text(form, f"{prefix}.formattingInstructions"),
        )
        if not draft.blank:
            drafts.append(draft)
    return drafts


def qualification_body(
    drafts: Sequence[QualificationDraft],
) -> tuple[list[dict[str, Any]], FieldErrors]:
    rules: list[dict[str, Any]] = []
    errors: FieldErrors = {}
    for i, draft in enumerate(drafts):
        synonyms, problems = _pairs(draft.synonyms, ":")
        if problems:
            errors[f"fieldQualification.{i}.synonyms"] = problems
        rule: dict[str, Any] = {
            "field": draft.field,
            "required": draft.required,
            "acceptedValues": lines(draft.accepted),
            "valueSet": draft.value_set or None,
            "synonyms": {value: terms(spellings) for value, spellings in synonyms},
            "formattingInstructions": draft.instructions or None,
        }
        if draft.threshold:
            rule["fuzzyThreshold"] = draft.threshold
        rules.append(rule)
    return rules, errors


def qualification_locate(drafts: Sequence[QualificationDraft], rest: Sequence[str]) -> str:
    i = _row_index(rest, drafts)
    if i is None:
        return "fieldQualification"
    if len(rest) >= 2 and rest[1] in QUALIFICATION_FIELDS:
        return f"fieldQualification.{i}.{rest[1]}"
    return f"fieldQualification.{i}"


FIELD_QUALIFICATION = RowPart(
    "fieldQualification",
    qualification_shown,
    qualification_posted,
    qualification_body,
    qualification_locate,
)


# Value sets ----------------------------------------------------------------------------------


@dataclass
class ValueSetDraft:
    name: str = ""
    values: str = ""  # one value a line

    @property
    def blank(self) -> bool:
        return not self.name.strip() and not self.values.strip()


def value_sets_shown(stored: Mapping[str, Sequence[Any]] | None) -> list[ValueSetDraft]:
    return [
        ValueSetDraft(name, "\n".join(str(v) for v in values))
        for name, values in (stored or {}).items()
    ]


def value_sets_posted(form: Mapping[str, Any]) -> list[ValueSetDraft]:
    drafts = [
        ValueSetDraft(text(form, f"valueSets.{i}.name"), text(form, f"valueSets.{i}.values"))
        for i in range(count(form, "valueSets.count"))
    ]
    return [draft for draft in drafts if not draft.blank]


def value_sets_body(drafts: Sequence[ValueSetDraft]) -> tuple[dict[str, Any], FieldErrors]:
    sets: dict[str, Any] = {}
    errors: FieldErrors = {}
    for i, draft in enumerate(drafts):
        if not draft.name:
            errors[f"valueSets.{i}.name"] = ["Name the value set."]
        elif draft.name in sets:
            errors[f"valueSets.{i}.name"] = ["Another value set has this name."]
        else:
            sets[draft.name] = lines(draft.values)
    return sets, errors


def value_sets_locate(drafts: Sequence[ValueSetDraft], rest: Sequence[str]) -> str:
    names = [draft.name for draft in drafts]
    if rest and rest[0] in names:
        return f"valueSets.{names.index(rest[0])}.values"
    return "valueSets"


VALUE_SETS = RowPart(
    "valueSets", value_sets_shown, value_sets_posted, value_sets_body, value_sets_locate
)
