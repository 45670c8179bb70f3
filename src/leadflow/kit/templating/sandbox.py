"""The Jinja sandbox every user template runs in, with the hooks that enforce the limits.

Jinja's immutable sandbox already refuses what would reach Python (underscore attributes,
unsafe callables, changing lists and dicts). On top of it this sandbox:

* allows attributes only on strings, and only a short list of harmless methods;
* intercepts ``+ * ** %`` and, through a rewrite of the compiled tree, every ``~`` and every
  ``for`` loop's iterable, so that string growth and loop iterations are metered;
* offers a capped ``range`` and a short list of filters, those that can grow a string
  (``center``, ``indent``, ``wordwrap``, ``format``, ``join``, ``replace``) checked before
  they build anything, every filter's result checked after;
* meters every call, attribute and item lookup (:mod:`.limits`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from leadflow.kit.templating.limits import TemplateLimitError, meter

_MAX_POWER_DIGITS = 300
_STR_METHODS = frozenset(
    {
        "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
        "endswith", "split", "isdigit",
    }
)  # fmt: skip
FILTERS = frozenset(
    {
        "abs", "capitalize", "center", "d", "default", "dictsort", "e", "escape", "first",
        "float", "format", "indent", "int", "join", "last", "length", "list", "lower", "map",
        "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select",
        "selectattr", "sort", "string", "striptags", "sum", "title", "tojson", "trim",
        "truncate", "unique", "upper", "urlencode", "wordcount", "wordwrap",
    }
)  # fmt: skip
"""The filters a template may use; any other is refused when the template is saved."""

WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap"})
"""Filters whose first argument is a width, checked against the output cap when saved."""

_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class LeadflowSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to what a user template needs, and metered."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, jinja2.Undefined):
            return isinstance(value, jinja2.Undefined)
        if isinstance(obj, Namespace):
            return True
        return isinstance(obj, str) and attr in _STR_METHODS

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is not allowed")

    def wrap_str_format(self, value: Any) -> None:
        # ``"{:>999999999}".format(x)`` builds its string in C: str.format is refused.
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        meter().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        meter().tick()
        return super().getitem(obj, argument)

    def call(
        __self,  # noqa: N805 -- Jinja's own spelling, so that no keyword can collide
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        running = meter()
        running.tick()
        return running.check_value(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        running = meter()
        running.tick()
        if operator == "%":
            if isinstance(left, str):
                raise SecurityError("printf-style % formatting is not allowed; use | format")
            return left % right
        if operator == "**":
            if _power_digits(left, right) > _MAX_POWER_DIGITS:
                raise TemplateLimitError("power too large")
            return left**right
        if operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                running.grow(len(left) + len(right))
            return left + right
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                running.grow(len(sequence) * max(count, 0))
        return left * right

    # -- called by the compiled template, see rewrite() ----------------------------------

    def metered_loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """A ``for`` loop's iterable: each iteration counted against the whole render."""
        running = meter()
        for item in iterable:
            running.iteration()
            yield item

    def metered_concat(self, *parts: Any) -> str:
        """``a ~ b``: refused before it is built when it would be too long."""
        texts = [str(part) for part in parts]
        meter().grow(sum(len(text) for text in texts))
        return "".join(texts)


def rewrite(tree: nodes.Template) -> nodes.Template:
    """Route every ``~`` and every loop's iterable through the sandbox's meters."""
    for loop in tree.find_all(nodes.For):
        loop.iter = _call("metered_loop", [loop.iter], loop.lineno)
    for concat in list(tree.find_all(nodes.Concat)):
        _replace(tree, concat, _call("metered_concat", concat.nodes, concat.lineno))
    return tree


def _call(method: str, args: list[Any], lineno: int) -> nodes.Call:
    call = nodes.Call(nodes.EnvironmentAttribute(method), args, [], None, None)
    call.set_lineno(lineno)
    return call


def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    """Swap ``old`` for ``new`` wherever a node of ``tree`` holds it (field or list item)."""
    for node in [tree, *tree.find_all(nodes.Node)]:
        for name in node.fields:
            value = getattr(node, name, None)
            if value is old:
                setattr(node, name, new)
            elif isinstance(value, list):
                setattr(node, name, [new if item is old else item for item in value])


def _power_digits(base: Any, exponent: Any) -> float:
    """Roughly how many digits ``base ** exponent`` has, so huge powers are refused unbuilt."""
    if not isinstance(base, int | float) or not isinstance(exponent, int | float):
        return 0.0
    magnitude = abs(float(base))
    if magnitude in (0.0, 1.0) or exponent <= 0:
        return 0.0
    return abs(float(exponent) * math.log10(magnitude))


def capped_range(*args: int) -> range:
    """``range`` no longer than the limit."""
    values = range(*args)
    meter().check_range(len(values))
    return values


# -- filters that can grow a string, checked before they build it -----------------------


def _center(value: Any, width: int = 80) -> str:
    meter().grow(int(width))
    return jinja_filters.do_center(str(value), width)


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = str(value)
    pad = len(width) if isinstance(width, str) else int(width)
    meter().grow(len(text) + (text.count("\n") + 1) * max(pad, 0))
    return jinja_filters.do_indent(text, width, first, blank)


@jinja2.pass_environment
def _wordwrap(
    environment: jinja2.Environment,
    value: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    text = str(value)
    joint = len(wrapstring if wrapstring is not None else environment.newline_sequence)
    meter().grow(len(text) + (len(text) // max(int(width), 1) + 1) * joint)
    return jinja_filters.do_wordwrap(
        environment, text, width, break_long_words, wrapstring, break_on_hyphens
    )


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    """printf-style ``format``: widths and precisions over the cap (or ``*``) refused."""
    text = str(value)
    running = meter()
    for match in _PRINTF_SPEC.finditer(text):
        for number in match.groups():
            if number == "*":
                raise TemplateLimitError("a * width in format is not allowed")
            if number is not None:
                running.grow(int(number))
    return jinja_filters.do_format(text, *args, **kwargs)


@jinja2.pass_environment
def _join(
    environment: jinja2.Environment, value: Iterable[Any], d: str = "", attribute: Any = None
) -> str:
    items = list(value)
    if attribute is not None:
        items = [environment.getitem(item, attribute) for item in items]
    texts = [str(item) for item in items]
    separator = str(d)
    meter().grow(sum(len(text) for text in texts) + len(separator) * max(len(texts) - 1, 0))
    return separator.join(texts)


def _replace_filter(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    meter().grow(len(text) + hits * (len(new) - len(old)))
    return text.replace(old, new, -1 if count is None else count)


_GROWING: dict[str, Callable[..., Any]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "join": _join,
    "replace": _replace_filter,
}


def _metered_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose every call is metered and whose result is checked against the cap."""

    @wraps(function)  # keeps Jinja's pass_environment / pass_context marks
    def metered(*args: Any, **kwargs: Any) -> Any:
        running = meter()
        running.tick()
        return running.check_value(function(*args, **kwargs))

    return metered


def filters(builtin: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The allowed filters, each metered."""
    return {name: _metered_filter(_GROWING.get(name, builtin[name])) for name in FILTERS}
