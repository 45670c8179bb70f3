"""User-written templates (SMS, e-mail, webhook bodies, token edits), rendered in a sandbox.

Two spellings render: Jinja's ``{{first_name}}`` and TrackDrive's ``[first_name]`` or
``[first_name]{there}`` (a default for a missing or blank token). The bracket form is turned
into a lookup of a value we compute in Python, so neither a token's name, its default nor its
value ever becomes template source: a lead cannot inject code through a form field.

Templates are text with substitutions and conditions, not programs. The sandbox refuses
underscore attributes (the ``''.__class__.__mro__`` escapes), loops, macros, imports, string
methods outside a short list, printf-style ``%`` and operators or filters that could build huge
strings, and caps the output. Every failure is one exception, :class:`TemplateError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARS = 10_000
MAX_OUTPUT_CHARS = 100_000
_MAX_POWER_DIGITS = 300

_BRACKET_VALUES = "_bracket"
_JINJA_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BRACKET_TOKEN = re.compile(r"\[([A-Za-z_][A-Za-z0-9_.\-]*)\](?:\{([^{}]*)\})?")
# JSON literals look like bracket tokens (``[true]``) but are never token names.
_NOT_TOKENS = frozenset({"true", "false", "null"})

_STATEMENTS = (nodes.Output, nodes.If, nodes.Assign, nodes.With)
_STR_METHODS = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "isdigit",
    }
)
_FILTERS = frozenset(
    {
        "abs", "capitalize", "d", "default", "e", "escape", "first", "float", "int", "join",
        "last", "length", "list", "lower", "max", "min", "replace", "round", "sort", "string",
        "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper",
        "urlencode", "wordcount",
    }
)  # fmt: skip


class TemplateError(ValueError):
    """A template that cannot be compiled or rendered; the message says why, for the user."""


class _LeadflowSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to what a message template needs."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, jinja2.Undefined):
            return isinstance(value, jinja2.Undefined)
        return isinstance(obj, str) and attr in _STR_METHODS

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is not allowed")

    def wrap_str_format(self, value: Any) -> None:
        # ``"{:>999999999}".format(x)`` would bypass the output cap; formatting is refused.
        return None

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            if isinstance(left, str):
                raise SecurityError("printf-style % formatting is not allowed")
            return left % right
        if operator == "**":
            if _power_digits(left, right) > _MAX_POWER_DIGITS:
                raise SecurityError("power too large")
            return left**right
        size = _repeated_size(left, right)
        if size is not None and size > MAX_OUTPUT_CHARS:
            raise SecurityError("repeated value too long")
        return left * right


def _repeated_size(left: Any, right: Any) -> int | None:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int):
            return len(sequence) * count
    return None


def _power_digits(base: Any, exponent: Any) -> float:
    """Roughly how many digits ``base ** exponent`` has, so huge powers are refused unbuilt."""
    if not isinstance(base, int | float) or not isinstance(exponent, int | float):
        return 0.0
    magnitude = abs(float(base))
    if magnitude in (0.0, 1.0) or exponent <= 0:
        return 0.0
    return abs(float(exponent) * math.log10(magnitude))


def _bounded_replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """``replace`` that refuses results over the output cap before building them."""
    text = str(value)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_OUTPUT_CHARS:
        raise SecurityError("replaced value too long")
    return text.replace(old, new, -1 if count is None else count)


def _environment() -> _LeadflowSandbox:
    env = _LeadflowSandbox(
        undefined=jinja2.ChainableUndefined,
        autoescape=False,
        finalize=lambda value: "" if value is None else value,
        keep_trailing_newline=True,
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in _FILTERS}
    env.filters["replace"] = _bounded_replace
    return env


_ENV = _environment()


def to_jinja(source: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Turn ``[name]{default}`` into lookups of a value list; returns the source and the
    ``(name, default)`` pair behind each lookup. Jinja's own ``{{ }}``, ``{% %}`` and ``{# #}``
    spans are left alone, so brackets inside an expression stay Jinja."""
    pairs: list[tuple[str, str]] = []

    def bracket(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in _NOT_TOKENS:
            return match.group(0)
        pairs.append((name, default or ""))
        return f"{{{{ {_BRACKET_VALUES}[{len(pairs) - 1}] }}}}"

    pieces: list[str] = []
    position = 0
    for span in _JINJA_SPAN.finditer(source):
        pieces.append(_BRACKET_TOKEN.sub(bracket, source[position : span.start()]))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(_BRACKET_TOKEN.sub(bracket, source[position:]))
    return "".join(pieces), tuple(pairs)


def _refuse_unsafe_syntax(tree: nodes.Template) -> None:
    """Refuse at save time what the sandbox would refuse anyway when the lead is worked."""
    for statement in tree.find_all(nodes.Stmt):
        if not isinstance(statement, _STATEMENTS):
            name = type(statement).__name__.lower()
            raise TemplateError(f"{name} blocks are not allowed in templates")
    names: list[Any] = [access.attr for access in tree.find_all(nodes.Getattr)]
    names += [
        access.arg.value
        for access in tree.find_all(nodes.Getitem)
        if isinstance(access.arg, nodes.Const)
    ]
    for name in names:
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateError(f"access to {name!r} is not allowed")


@lru_cache(maxsize=4096)
def _compile(source: str) -> tuple[jinja2.Template, tuple[tuple[str, str], ...]]:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"is longer than {MAX_TEMPLATE_CHARS} characters")
    jinja_source, pairs = to_jinja(source)
    try:
        _refuse_unsafe_syntax(_ENV.parse(jinja_source))
        return _ENV.from_string(jinja_source), pairs
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(exc.message or "is not a valid template") from None


def check_template(source: str) -> str:
    """Compile ``source`` to prove it renders later; used when a schedule is saved."""
    _compile(source)
    return source


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def render(source: str, tokens: Mapping[str, Any]) -> str:
    """Render a user template with a lead's tokens; missing tokens render empty (or their
    ``[name]{default}``). Raises :class:`TemplateError` for anything the sandbox refuses."""
    template, pairs = _compile(source)
    values = [_text(tokens.get(name)) or default for name, default in pairs]
    context = {str(key): value for key, value in tokens.items()}
    context[_BRACKET_VALUES] = values
    try:
        output = template.render(context)
    except SecurityError as exc:
        raise TemplateError(f"not allowed: {exc}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(exc.message or "could not be rendered") from None
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise TemplateError(f"could not be rendered: {exc}") from None
    if len(output) > MAX_OUTPUT_CHARS:
        raise TemplateError(f"renders longer than {MAX_OUTPUT_CHARS} characters")
    return output
