"""Conditions edited as rows of field, operator and value, shared by the router's
distributions editor and the schedule's choice actions.

A condition list owned by ``owner`` (``d0`` for a distribution, ``a2`` for an action) is posted
as ``<owner>.condition_count`` rows of ``<owner>.c<j>.field``, ``.operator`` and ``.value``. The
rows only turn text into the condition JSON both APIs take; which operators apply and what they
mean stay with each domain's schema and :mod:`leadflow.kit.conditions`, so nothing is checked
twice. Rows left blank are dropped, and errors are mapped back to the row a person typed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CONDITION_ROWS = 50
OPERATOR_LABELS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "in": "is one of",
    "not_in": "is none of",
    "in_set": "is one of",
    "not_in_set": "is none of",
    "exists": "is present",
    "not_exists": "is missing",
    "greater_than": "is greater than",
    "less_than": "is less than",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "contains": "contains",
    "not_contains": "does not contain",
}
VALUE_HINT = (
    "For “is one of” and “is none of”, separate values with commas; leave it empty for "
    "“is present” and “is missing”."
)


def operator_choices(operators: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The ``(value, label)`` options of a domain's operators, in the domain's order."""
    return tuple((name, OPERATOR_LABELS.get(name, name)) for name in operators)


def _bare(operator: str) -> str:
    return operator.removeprefix("not_")


def takes_list(operator: str) -> bool:
    """``in`` and its negation (``in_set`` in campaign rules) compare against a list of
    options."""
    return _bare(operator) in ("in", "in_set")


def takes_no_value(operator: str) -> bool:
    """``exists`` and its negation test presence only."""
    return _bare(operator) == "exists"


@dataclass
class ConditionDraft:
    field: str = ""
    operator: str = "equals"
    value: str = ""

    @property
    def blank(self) -> bool:
        return not self.field.strip() and not self.value.strip()


def value_text(value: Any) -> str:
    """A stored condition value as its field shows it (a list comma-separated)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def drafts_of(stored: Sequence[Mapping[str, Any]] | None) -> list[ConditionDraft]:
    """Stored conditions as rows."""
    return [
        ConditionDraft(
            str(c.get("field", "")), str(c.get("operator", "equals")), value_text(c.get("value"))
        )
        for c in stored or []
    ]


def _count(form: Mapping[str, Any], name: str, limit: int) -> int:
    text = str(form.get(name) or "")
    return min(int(text), limit) if text.isdigit() else 0


def posted(form: Mapping[str, Any], owner: str) -> list[ConditionDraft]:
    """The rows of ``owner`` as posted, blank ones included (their numbers stay the page's)."""

    def text(j: int, name: str) -> str:
        return str(form.get(f"{owner}.c{j}.{name}") or "")

    return [
        ConditionDraft(text(j, "field"), text(j, "operator"), text(j, "value"))
        for j in range(_count(form, f"{owner}.condition_count", MAX_CONDITION_ROWS))
    ]


def _value(operator: str, text: str) -> Any:
    """What a value field means for its operator: a list for in/not_in, nothing for the
    presence operators (text typed there is passed on, for the schema to refuse), else text."""
    text = text.strip()
    if takes_list(operator):
        return [item.strip() for item in text.split(",") if item.strip()]
    if not text:
        return None
    return text


def bodies(drafts: Sequence[ConditionDraft]) -> list[dict[str, Any]]:
    """The condition JSON of the rows that are not blank."""
    conditions = []
    for draft in drafts:
        if draft.blank:
            continue
        condition: dict[str, Any] = {
            "field": draft.field.strip(),
            "operator": draft.operator,
            "value": _value(draft.operator, draft.value),
        }
        if takes_no_value(draft.operator) and condition["value"] is None:
            del condition["value"]
        conditions.append(condition)
    return conditions


def kept_rows(drafts: Sequence[ConditionDraft]) -> list[int]:
    """The page index of each condition :func:`bodies` keeps."""
    return [j for j, c in enumerate(drafts) if not c.blank]


def locate(owner: str, drafts: Sequence[ConditionDraft], loc: tuple[Any, ...]) -> str:
    """The field of an error at ``loc`` inside the conditions list (``(0, "value")`` →
    ``<owner>.c<row>.value``, the kept condition's row on the page); a list-wide error (too
    few) belongs to ``<owner>.conditions``."""
    if not loc or not isinstance(loc[0], int):
        return f"{owner}.conditions"
    rows = kept_rows(drafts)
    row = rows[loc[0]] if loc[0] < len(rows) else loc[0]
    if len(loc) >= 2 and loc[1] in ("field", "operator"):
        return f"{owner}.c{row}.{loc[1]}"
    # value errors, and the condition-wide checks (a value that does not fit its operator),
    # belong to the value field.
    return f"{owner}.c{row}.value"
