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

from leadflow.distributions.matching import OPERATORS
from leadflow.models import Distribution
from leadflow.web import condition_rows
from leadflow.web.condition_rows import MAX_CONDITION_ROWS, VALUE_HINT, ConditionDraft
from leadflow.web.form_errors import Locator

__all__ = ["VALUE_HINT", "ConditionDraft"]

MAX_DRAFTS = 200
OPERATOR_CHOICES = condition_rows.operator_choices(OPERATORS)


@dataclass
class DistributionDraft:
    """One distribution as the form shows it; ``id`` is empty until it is saved."""

    id: str = ""
    name: str = ""
    target_schedule_id: str = ""
    priority: str = "0"
    weight: str = "1"
    conditions: list[ConditionDraft] = field(default_factory=lambda: [ConditionDraft()])


def drafts_of(rows: Sequence[Distribution]) -> list[DistributionDraft]:
    """A router's stored distributions as the editor shows them, in id order."""
    return [
        DistributionDraft(
            id=str(row.id),
            name=row.name,
            target_schedule_id=str(row.target_schedule_id),
            priority=str(row.priority),
            weight=str(row.weight),
            conditions=condition_rows.drafts_of(row.conditions),
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

        drafts.append(
            DistributionDraft(
                id=text("id"),
                name=text("name"),
                target_schedule_id=text("target_schedule_id"),
                priority=text("priority"),
                weight=text("weight"),
                conditions=condition_rows.posted(form, f"d{i}"),
            )
        )
    return drafts


def body_of(draft: DistributionDraft) -> dict[str, Any]:
    """The ``DistributionCreate`` body; empty priority and weight take the schema's defaults,
    and condition rows left blank are dropped (an error finds its row by ``locator``)."""
    body: dict[str, Any] = {
        "name": draft.name.strip(),
        "target_schedule_id": draft.target_schedule_id.strip() or None,
        "conditions": condition_rows.bodies(draft.conditions),
    }
    if body["target_schedule_id"] is None:
        del body["target_schedule_id"]
    for name in ("priority", "weight"):
        text = getattr(draft, name).strip()
        if text:
            body[name] = text
    return body


def locator(index: int, draft: DistributionDraft) -> Locator:
    """Where an error of distribution ``index`` belongs: ``("conditions", 0, "value")`` →
    ``d2.c3.value`` (the kept condition's row on the page)."""

    def locate(loc: tuple[Any, ...]) -> tuple[str, str]:
        prefix = f"d{index}"
        if loc and loc[0] == "conditions" and len(loc) >= 2 and isinstance(loc[1], int):
            return condition_rows.locate(prefix, draft.conditions, loc[1:]), ""
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
