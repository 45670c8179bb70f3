"""The router page's distributions editor: each distribution's fields and its conditions as
rows of field, operator and value, turned into the bodies the distributions API validates,
and that schema's errors back onto the fields.

A distribution is posted as ``d<i>.<field>`` and its conditions as ``d<i>.c<j>.field``,
``.operator`` and ``.value``. The editor does not validate: the API's own
``DistributionCreate`` does, so the rules (and what a condition means, in
:mod:`leadflow.kit.conditions`) are written once. Distributions and conditions are numbered
from 1 on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.distributions.matching import LIST_OPERATORS, OPERATORS, PRESENCE_OPERATORS
from leadflow.models import Distribution
from leadflow.web.form_errors import Locator

MAX_DRAFTS = 200
MAX_CONDITION_ROWS = 50
OPERATOR_LABELS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "in": "is one of",
    "not_in": "is none of",
    "exists": "is present",
    "not_exists": "is missing",
    "greater_than": "is greater than",
    "less_than": "is less than",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "contains": "contains",
    "not_contains": "does not contain",
}
OPERATOR_CHOICES = tuple((name, OPERATOR_LABELS[name]) for name in OPERATORS)
VALUE_HINT = (
    "For “is one of” and “is none of”, separate values with commas; leave it empty for "
    "“is present” and “is missing”."
)


@dataclass
class ConditionDraft:
    field: str = ""
    operator: str = "equals"
    value: str = ""

    @property
    def blank(self) -> bool:
        return not self.field.strip() and not self.value.strip()


@dataclass
class DistributionDraft:
    """One distribution as the form shows it; ``id`` is empty until it is saved."""

    id: str = ""
    name: str = ""
    target_schedule_id: str = ""
    priority: str = "0"
    weight: str = "1"
    conditions: list[ConditionDraft] = field(default_factory=lambda: [ConditionDraft()])


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def drafts_of(rows: Sequence[Distribution]) -> list[DistributionDraft]:
    """A router's stored distributions as the editor shows them, in id order."""
    return [
        DistributionDraft(
            id=str(row.id),
            name=row.name,
            target_schedule_id=str(row.target_schedule_id),
            priority=str(row.priority),
            weight=str(row.weight),
            conditions=[
                ConditionDraft(
                    str(c.get("field", "")),
                    str(c.get("operator", "equals")),
                    _value_text(c.get("value")),
                )
                for c in row.conditions or []
            ],
        )
        for row in sorted(rows, key=lambda r: r.id)
    ]


def _count(form: Mapping[str, Any], name: str, limit: int) -> int:
    text = str(form.get(name) or "")
    return min(int(text), limit) if text.isdigit() else 0


def posted_drafts(form: Mapping[str, Any]) -> list[DistributionDraft]:
    """The distributions as posted, in page order."""
    drafts = []
    for i in range(_count(form, "distribution_count", MAX_DRAFTS)):

        def text(name: str, index: int = i) -> str:
            return str(form.get(f"d{index}.{name}") or "")

        rows = _count(form, f"d{i}.condition_count", MAX_CONDITION_ROWS)
        drafts.append(
            DistributionDraft(
                id=text("id"),
                name=text("name"),
                target_schedule_id=text("target_schedule_id"),
                priority=text("priority"),
                weight=text("weight"),
                conditions=[
                    ConditionDraft(text(f"c{j}.field"), text(f"c{j}.operator"), text(f"c{j}.value"))
                    for j in range(rows)
                ],
            )
        )
    return drafts


def _condition_value(operator: str, text: str) -> Any:
    """What a value field means for its operator: a list for in/not_in, nothing for the
    presence operators (text typed there is passed on, for the schema to refuse), else text."""
    text = text.strip()
    if operator in LIST_OPERATORS:
        return [item.strip() for item in text.split(",") if item.strip()]
    if not text:
        return None
    return text


def body_of(draft: DistributionDraft) -> dict[str, Any]:
    """The ``DistributionCreate`` body; empty priority and weight take the schema's defaults,
    and condition rows left blank are dropped (their page numbers are kept in ``c_index``)."""
    body: dict[str, Any] = {
        "name": draft.name.strip(),
        "target_schedule_id": draft.target_schedule_id.strip() or None,
        "conditions": [
            {
                "field": c.field.strip(),
                "operator": c.operator,
                "value": _condition_value(c.operator, c.value),
            }
            for c in draft.conditions
            if not c.blank
        ],
    }
    if body["target_schedule_id"] is None:
        del body["target_schedule_id"]
    for name in ("priority", "weight"):
        text = getattr(draft, name).strip()
        if text:
            body[name] = text
    for condition in body["conditions"]:
        if condition["operator"] in PRESENCE_OPERATORS and condition["value"] is None:
            del condition["value"]
    return body


def condition_rows(draft: DistributionDraft) -> list[int]:
    """The page index of each condition the body keeps (blank rows are dropped)."""
    return [j for j, c in enumerate(draft.conditions) if not c.blank]


def locator(index: int, draft: DistributionDraft) -> Locator:
    """Where an error of distribution ``index`` belongs: ``("conditions", 0, "value")`` →
    ``d2.c3.value`` (the kept condition's row on the page)."""
    rows = condition_rows(draft)

    def locate(loc: tuple[Any, ...]) -> tuple[str, str]:
        prefix = f"d{index}"
        if loc and loc[0] == "conditions" and len(loc) >= 2 and isinstance(loc[1], int):
            row = rows[loc[1]] if loc[1] < len(rows) else loc[1]
            if len(loc) >= 3 and loc[2] in ("field", "operator"):
                return f"{prefix}.c{row}.{loc[2]}", ""
            # value errors, and the condition-wide checks (a value that does not fit its
            # operator), belong to the value field.
            return f"{prefix}.c{row}.value", ""
        return ".".join([prefix, *(str(part) for part in loc)]), ""

    return locate


def apply_operation(drafts: list[DistributionDraft], operation: str) -> bool:
    """Add a distribution, add a condition row, or take a distribution or condition off the
    page; False when ``operation`` is none of those (a save)."""
    if operation == "add":
        drafts.append(DistributionDraft())
        return True
    verb, _, where = operation.partition(":")
    parts = where.split(".")
    if verb not in ("delete", "add_condition", "delete_condition") or not all(
        part.isdigit() for part in parts
    ):
        return False
    index = int(parts[0])
    if not 0 <= index < len(drafts):
        return True
    if verb == "delete":
        del drafts[index]
    elif verb == "add_condition" and len(drafts[index].conditions) < MAX_CONDITION_ROWS:
        drafts[index].conditions.append(ConditionDraft())
    elif verb == "delete_condition" and len(parts) == 2:
        conditions = drafts[index].conditions
        if 0 <= int(parts[1]) < len(conditions):
            del conditions[int(parts[1])]
    return True
