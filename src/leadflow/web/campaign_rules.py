"""A campaign's routing rules and disqualification conditions edited as rows: each rule's
name, priority, active flag, AND/OR and target (or reason), and its conditions as rows of
field, operator and value through the shared :mod:`leadflow.web.condition_rows`.

A rule is posted as ``<part>.<i>.name`` ... and its conditions as ``<part>.<i>.c<j>.field``,
``.operator`` and ``.value``. Rows left blank are dropped as the form is read, so the numbers
the API's 422 uses (``routingRules.1.conditions.0.value``) are the rows on the page. A group
nested inside a rule (the API allows one; rows cannot show it) rides along untouched in a
hidden field and is sent back after the rule's own conditions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from leadflow.submissions.conditions import Operator
from leadflow.web import condition_rows
from leadflow.web.campaign_rows import RowPart
from leadflow.web.condition_rows import ConditionDraft
from leadflow.web.form_errors import FieldErrors

MAX_RULES = 100
OPERATOR_CHOICES = condition_rows.operator_choices(get_args(Operator))
LOGIC_CHOICES = (("and", "all of the conditions"), ("or", "any of the conditions"))
# The rule's own fields, where an error about one of them is shown.
RULE_FIELDS = ("name", "priority", "active", "logic", "targetCampaignId", "reason")


@dataclass(frozen=True)
class RuleKind:
    """Routing rules name a target campaign; disqualification rules a reason."""

    path: str
    targeted: bool


ROUTING = RuleKind("routingRules", targeted=True)
DISQUALIFICATION = RuleKind("disqualificationRules", targeted=False)


@dataclass
class RuleDraft:
    name: str = ""
    priority: str = "0"
    active: bool = True
    logic: str = "and"
    target: str = ""
    reason: str = ""
    conditions: list[ConditionDraft] = field(default_factory=list)
    groups: str = ""  # nested condition groups, as JSON, sent back as they came

    @property
    def blank(self) -> bool:
        typed = (self.name, self.target, self.reason, self.groups)
        return not any(text.strip() for text in typed) and not self.conditions


def drafts_of(stored: Sequence[Mapping[str, Any]] | None) -> list[RuleDraft]:
    """Stored rules (as the API shows them) as rows."""
    drafts = []
    for rule in stored or []:
        items = list(rule.get("conditions") or [])
        flat = [item for item in items if "conditions" not in item]
        groups = [item for item in items if "conditions" in item]
        drafts.append(
            RuleDraft(
                name=str(rule.get("name") or ""),
                priority=condition_rows.value_text(rule.get("priority", 0)),
                active=bool(rule.get("active", True)),
                logic=str(rule.get("logic") or "and"),
                target=str(rule.get("targetCampaignId") or ""),
                reason=str(rule.get("reason") or ""),
                conditions=condition_rows.drafts_of(flat),
                groups=json.dumps(groups) if groups else "",
            )
        )
    return drafts


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _count(form: Mapping[str, Any], name: str, limit: int) -> int:
    text = _text(form, name)
    return min(int(text), limit) if text.isdigit() else 0


def posted(kind: RuleKind, form: Mapping[str, Any]) -> list[RuleDraft]:
    """The rules as posted; blank rules, rules ticked for removal and blank condition rows
    left out."""
    drafts = []
    for i in range(_count(form, f"{kind.path}.count", MAX_RULES)):
        prefix = f"{kind.path}.{i}"
        if form.get(f"{prefix}.remove") == "on":
            continue
        conditions = [c for c in condition_rows.posted(form, prefix) if not c.blank]
        draft = RuleDraft(
            name=_text(form, f"{prefix}.name"),
            priority=_text(form, f"{prefix}.priority"),
            active=form.get(f"{prefix}.active") == "on",
            logic=_text(form, f"{prefix}.logic") or "and",
            target=_text(form, f"{prefix}.targetCampaignId") if kind.targeted else "",
            reason=_text(form, f"{prefix}.reason") if not kind.targeted else "",
            conditions=conditions,
            groups=_text(form, f"{prefix}.groups"),
        )
        if not draft.blank:
            drafts.append(draft)
    return drafts


def body(kind: RuleKind, drafts: Sequence[RuleDraft]) -> tuple[list[dict[str, Any]], FieldErrors]:
    """The rules as the API takes them; the schema checks every value."""
    rules: list[dict[str, Any]] = []
    errors: FieldErrors = {}
    for i, draft in enumerate(drafts):
        try:
            groups = json.loads(draft.groups) if draft.groups.strip() else []
        except json.JSONDecodeError:
            errors[f"{kind.path}.{i}"] = ["its nested condition groups were damaged; reload"]
            groups = []
        rule: dict[str, Any] = {
            "name": draft.name.strip(),
            "active": draft.active,
            "logic": draft.logic,
            "conditions": condition_rows.bodies(draft.conditions) + list(groups),
        }
        if draft.priority.strip():
            rule["priority"] = draft.priority.strip()
        if kind.targeted:
            if draft.target.strip():
                rule["targetCampaignId"] = draft.target.strip()
        else:
            rule["reason"] = draft.reason.strip() or None
        rules.append(rule)
    return rules, errors


def locate(kind: RuleKind, drafts: Sequence[RuleDraft], rest: Sequence[str]) -> str | None:
    """The field of an API error at ``<part>.<rest>``: a condition's field, operator or value,
    a rule's own field, the rule (its nested groups, rule-wide checks), or None for an error
    about a group shape no row can have (pydantic tries each member of the union)."""
    if not rest or not rest[0].isdigit() or int(rest[0]) >= len(drafts):
        return kind.path
    i = int(rest[0])
    owner = f"{kind.path}.{i}"
    if len(rest) >= 3 and rest[1] == "conditions" and rest[2].isdigit():
        j = int(rest[2])
        if j >= len(drafts[i].conditions):
            return owner
        inner = list(rest[3:])
        if inner and inner[0] == "ConditionGroup":
            return None
        if inner and inner[0] == "Condition":
            inner = inner[1:]
        return condition_rows.locate(owner, drafts[i].conditions, (j, *inner))
    if len(rest) >= 2 and rest[1] in RULE_FIELDS:
        return f"{owner}.{rest[1]}"
    return owner


def _part(kind: RuleKind) -> RowPart:
    return RowPart(
        kind.path,
        drafts_of,
        lambda form: posted(kind, form),
        lambda drafts: body(kind, drafts),
        lambda drafts, rest: locate(kind, drafts, rest),
    )


ROUTING_RULES = _part(ROUTING)
DISQUALIFICATION_RULES = _part(DISQUALIFICATION)
