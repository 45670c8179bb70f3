"""The one meaning of a condition (``field operator value``), shared by schedule choices,
router distributions and submission routing/disqualification rules.

Each domain names the operators it offers and how it finds a field's value; what an operator
*means* is decided here only, so the same rule gives the same answer everywhere.

The rule, as a person filling a form expects it:

* **Presence.** A value that is missing, ``None``, blank text (spaces only) or an empty list
  does not exist. It fails every positive operator; ``exists`` tests for it.
* **Negation.** ``not_<op>`` is exactly ``not <op>``: a missing field satisfies
  ``not_equals``, ``not_in`` and ``not_contains``.
* **Text** compares trimmed and case-insensitively (``"ca"`` equals ``" CA "``); booleans read
  as ``true``/``false``.
* **Numbers.** A value is a number when it is an int or float (not a bool), or text written
  as a decimal, optionally signed, with ``$`` and thousands separators (``1,000``,
  ``$1,250.50``).
* **Equality** (``equals``, ``in``) is numeric when both sides are numbers and neither is a
  zero-padded digit string (``"12"`` equals ``12.0``, ``"1,000"`` equals ``1000``); otherwise
  it compares text, so ZIP code ``01234`` is not ``1234``.
* **Ordering** (``greater_than``, ``less_than``) is numeric when both sides are numbers
  (zero padding is only a width there), in text order when neither is (ISO dates order
  correctly), and never holds between a number and a non-number.
* ``contains``: a list contains a member equal to the value; text contains the value's text.
  ``starts_with``/``ends_with`` compare text.
* ``in``: the value is a list of options, or text of comma-separated options.
* A list answer (a multi-select) meets ``equals``, ``in``, ordering and the text operators
  when any one of its values does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Literal

CoreOperator = Literal[
    "equals",
    "contains",
    "starts_with",
    "ends_with",
    "greater_than",
    "less_than",
    "exists",
    "in",
]
CORE_OPERATORS: frozenset[str] = frozenset(
    {
        "equals",
        "contains",
        "starts_with",
        "ends_with",
        "greater_than",
        "less_than",
        "exists",
        "in",
    }
)

_NUMBER = re.compile(r"[+-]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\$?\.\d+")
_ZERO_PADDED = re.compile(r"[+-]?\$?0\d")


def is_present(value: Any) -> bool:
    """Whether a value counts as given: not None, not blank text, not an empty list/dict."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict | set | frozenset):
        return bool(value)
    return True


def as_number(value: Any) -> float | None:
    """The number a value is written as (``"$1,000.50"`` → 1000.5), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace("$", "").replace(",", ""))


def as_text(value: Any) -> str:
    """Trimmed, case-folded text; booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value).strip().casefold()


def _zero_padded(value: Any) -> bool:
    return isinstance(value, str) and bool(_ZERO_PADDED.match(value.strip()))


def values_equal(left: Any, right: Any) -> bool:
    """Equality under the rule above: numbers as numbers unless zero-padded, else text."""
    left_number, right_number = as_number(left), as_number(right)
    if (
        left_number is not None
        and right_number is not None
        and not (_zero_padded(left) or _zero_padded(right))
    ):
        return left_number == right_number
    return as_text(left) == as_text(right)


def compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 under the rule above; None when a number meets a non-number."""
    left_number, right_number = as_number(left), as_number(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    if left_number is not None or right_number is not None:
        return None
    left_text, right_text = as_text(left), as_text(right)
    return (left_text > right_text) - (left_text < right_text)


def members(expected: Any) -> list[Any]:
    """The options of ``in``: a list, or comma-separated text as typed into a form."""
    if isinstance(expected, list | tuple | set | frozenset):
        return list(expected)
    if isinstance(expected, str):
        return [part for part in (item.strip() for item in expected.split(",")) if part]
    return [] if expected is None else [expected]


def _any_value(actual: Any, test: Callable[[Any], bool]) -> bool:
    if isinstance(actual, list | tuple):
        return any(test(one) for one in actual)
    return test(actual)


def _positive(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "exists":
        return is_present(actual)
    if not is_present(actual):
        return False
    match operator:
        case "equals":
            return _any_value(actual, lambda one: values_equal(one, expected))
        case "in":
            options = members(expected)
            return _any_value(actual, lambda one: any(values_equal(one, o) for o in options))
        case "contains":
            if isinstance(actual, list | tuple):
                return any(values_equal(one, expected) for one in actual)
            return as_text(expected) in as_text(actual)
        case "starts_with":
            return _any_value(actual, lambda one: as_text(one).startswith(as_text(expected)))
        case "ends_with":
            return _any_value(actual, lambda one: as_text(one).endswith(as_text(expected)))
        case "greater_than":
            return _any_value(actual, lambda one: (compare(one, expected) or 0) > 0)
        case "less_than":
            return _any_value(actual, lambda one: (compare(one, expected) or 0) < 0)
    raise ValueError(f"unknown operator {operator}")


def holds(operator: str, actual: Any, expected: Any) -> bool:
    """Whether ``actual operator expected`` holds; ``operator`` is a core operator or
    ``not_`` before one. A domain maps its own spellings to these before calling."""
    if operator.startswith("not_"):
        return not _positive(operator.removeprefix("not_"), actual, expected)
    return _positive(operator, actual, expected)
