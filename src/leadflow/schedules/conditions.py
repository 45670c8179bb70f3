"""How a ``choice`` action tests its conditions against a lead's tokens and state.

The operators a choice offers are :data:`leadflow.schedules.actions.Operator`; what each
means is :mod:`leadflow.kit.conditions`, the one meaning schedules, distributions and
submission rules share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.kit.conditions import holds
from leadflow.schedules.actions import ChoiceAction, Condition


def condition_holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    """Test one condition; ``facts`` holds the tokens and ``lead.<name>`` entries."""
    return holds(condition.operator, facts.get(condition.field), condition.value)


def choice_holds(choice: ChoiceAction, facts: Mapping[str, Any]) -> bool:
    results = (condition_holds(c, facts) for c in choice.conditions)
    return all(results) if choice.match == "all" else any(results)
