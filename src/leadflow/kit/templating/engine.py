"""Compile, check and render a user template: the only way Leadflow runs one.

Two dialects over the same sandbox and the same limits:

* :data:`MESSAGE` (schedule SMS, e-mail and webhook bodies, token edits): Jinja's
  ``{{first_name}}`` and TrackDrive's ``[first_name]`` or ``[first_name]{there}`` (a default for
  a missing or blank token); a missing token renders empty; conditions, ``set`` and ``with``,
  no loops. The bracket form is turned into a lookup of a value computed in Python, so
  neither a token's name, its default nor its value ever becomes template source: a lead
  cannot inject code through a form field.
* :data:`DATA` (campaign dynamic keys): Jinja only; the lead's fields are the variables and
  ``lead`` is the whole lead; an undefined name is an error; ``for`` loops and ``range``.

:func:`check` runs when a template is saved: it compiles it and refuses, naming why, what
would only fail later (syntax, statements, filters, underscores, a literal ``range`` or a
nest of literal loops over the limits, a literal width over the output cap).
:func:`render` enforces the limits while it runs (:mod:`.limits`); every failure is one
:class:`TemplateError`, a broken limit a :class:`TemplateLimitError`. Where each caller
renders (never under SQLite's write lock) is said in ``cadence/render.py`` and
``submissions/pipeline/job.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError

from leadflow.kit.templating.limits import (
    TemplateError,
    TemplateLimitError,
    TemplateLimits,
    metered,
)
from leadflow.kit.templating.sandbox import (
    FILTERS,
    WIDTH_FILTERS,
    LeadflowSandbox,
    capped_range,
    filters,
    rewrite,
)
from leadflow.settings import get_settings


@dataclass(frozen=True)
class Dialect:
    """How a product area's templates read; the sandbox and limits are the same for all."""

    name: str
    brackets: bool
    """TrackDrive's ``[token]{default}`` spelling is understood."""
    strict: bool
    """An undefined name is an error (else it renders empty)."""
    loops: bool
    """``for`` loops and ``range`` are allowed."""


MESSAGE = Dialect("message", brackets=True, strict=False, loops=False)
DATA = Dialect("data", brackets=False, strict=True, loops=True)

_MARKUP = frozenset("{[")
_BRACKET_VALUES = "_bracket"
_JINJA_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BRACKET_TOKEN = re.compile(r"\[([A-Za-z_][A-Za-z0-9_.\-]*)\](?:\{([^{}]*)\})?")
# JSON literals look like bracket tokens (``[true]``) but are never token names.
_NOT_TOKENS = frozenset({"true", "false", "null"})
_STATEMENTS: dict[bool, tuple[type[nodes.Node], ...]] = {
    False: (nodes.Output, nodes.If, nodes.Assign, nodes.With),
    True: (nodes.Output, nodes.If, nodes.Assign, nodes.With, nodes.For),
}


def _environment(dialect: Dialect) -> LeadflowSandbox:
    env = LeadflowSandbox(
        undefined=jinja2.StrictUndefined if dialect.strict else jinja2.ChainableUndefined,
        autoescape=False,
        keep_trailing_newline=not dialect.strict,
    )
    if not dialect.strict:
        env.finalize = lambda value: "" if value is None else value
    env.globals.clear()
    if dialect.loops:
        env.globals.update(range=capped_range, dict=dict, namespace=jinja2.utils.Namespace)
    env.filters = filters(env.filters)
    return env


_ENVIRONMENTS = {dialect: _environment(dialect) for dialect in (MESSAGE, DATA)}


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


@dataclass(frozen=True)
class _Compiled:
    template: jinja2.Template
    tree: nodes.Template
    pairs: tuple[tuple[str, str], ...]


@lru_cache(maxsize=4096)
def _compile(source: str, dialect: Dialect) -> _Compiled:
    env = _ENVIRONMENTS[dialect]
    jinja_source, pairs = to_jinja(source) if dialect.brackets else (source, ())
    try:
        tree = env.parse(jinja_source)
        _refuse_unsafe_syntax(tree, dialect)
        runnable = rewrite(env.parse(jinja_source))
        code = env.compile(runnable)
        template = env.template_class.from_code(env, code, env.make_globals(None), None)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(exc.message or "is not a valid template") from None
    return _Compiled(template, tree, pairs)


def _refuse_unsafe_syntax(tree: nodes.Template, dialect: Dialect) -> None:
    """Refuse at save time what the sandbox would refuse anyway when the template runs."""
    allowed = _STATEMENTS[dialect.loops]
    for statement in tree.find_all(nodes.Stmt):
        if not isinstance(statement, allowed):
            name = type(statement).__name__.lower()
            raise TemplateError(f"{name} blocks are not allowed in templates")
        if isinstance(statement, nodes.For) and statement.recursive:
            raise TemplateError("recursive loops are not allowed in templates")
    names: list[Any] = [access.attr for access in tree.find_all(nodes.Getattr)]
    names += [
        access.arg.value
        for access in tree.find_all(nodes.Getitem)
        if isinstance(access.arg, nodes.Const)
    ]
    names += [name.name for name in tree.find_all(nodes.Name)]
    for name in names:
        if isinstance(name, str) and name.startswith("_") and name != _BRACKET_VALUES:
            raise TemplateError(f"access to {name!r} is not allowed")
    for used in tree.find_all(nodes.Filter):
        if used.name not in FILTERS:
            raise TemplateError(f"the filter {used.name!r} is not allowed in templates")


def check(source: str, dialect: Dialect, limits: TemplateLimits | None = None) -> str:
    """Compile ``source`` to prove it renders later, and refuse the limits it breaks on its
    face; used when a template is saved. Returns the source."""
    limits = limits or _settings_limits()
    if len(source) > limits.max_source_chars:
        raise TemplateLimitError(f"is longer than {limits.max_source_chars} characters")
    compiled = _compile(source, dialect)
    _check_literals(compiled.tree, limits)
    return source


def _check_literals(tree: nodes.Template, limits: TemplateLimits) -> None:
    for call in tree.find_all(nodes.Call):
        size = _literal_range(call)
        if size is not None and size > limits.max_range:
            raise TemplateLimitError(
                f"range of {size} items is over the limit of {limits.max_range}"
            )
    _check_loop_nest(tree, 1, limits)
    for used in tree.find_all(nodes.Filter):
        if used.name in WIDTH_FILTERS and used.args and isinstance(used.args[0], nodes.Const):
            width = used.args[0].value
            if isinstance(width, int) and width > limits.max_output_chars:
                raise TemplateLimitError(
                    f"{used.name} width {width} is over the output limit of "
                    f"{limits.max_output_chars} characters"
                )


def _literal_range(call: nodes.Call) -> int | None:
    """The length of ``range(...)`` written with constant arguments, else None."""
    if not isinstance(call.node, nodes.Name) or call.node.name != "range":
        return None
    if call.kwargs or call.dyn_args or call.dyn_kwargs:
        return None
    if not all(isinstance(arg, nodes.Const) and isinstance(arg.value, int) for arg in call.args):
        return None
    try:
        return len(range(*(arg.value for arg in call.args if isinstance(arg, nodes.Const))))
    except (TypeError, ValueError):
        return None


def _check_loop_nest(node: nodes.Node, outer: int, limits: TemplateLimits) -> None:
    """Loops over literal ranges nested so that they would run more than the limit."""
    for child in node.iter_child_nodes():
        runs = outer
        if isinstance(child, nodes.For) and isinstance(child.iter, nodes.Call):
            size = _literal_range(child.iter)
            if size is not None:
                runs = outer * max(size, 1)
                if runs > limits.max_loop_iterations:
                    raise TemplateLimitError(
                        f"loops would run {runs} times, over the limit of "
                        f"{limits.max_loop_iterations}"
                    )
        _check_loop_nest(child, runs, limits)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def render(
    source: str,
    values: Mapping[str, Any],
    dialect: Dialect,
    limits: TemplateLimits | None = None,
) -> str:
    """Render ``source`` with ``values`` (a lead's tokens, or a lead's data) under the
    limits. Raises :class:`TemplateError` for anything the template cannot do, never
    anything else: a user's template may fail in any way, and none may escape."""
    limits = limits or _settings_limits()
    if dialect.brackets and _MARKUP.isdisjoint(source):
        if len(source) > limits.max_output_chars:
            raise TemplateLimitError(f"renders longer than {limits.max_output_chars} characters")
        return source  # no markup at all (most subjects): its own rendering
    if len(source) > limits.max_source_chars:
        raise TemplateLimitError(f"is longer than {limits.max_source_chars} characters")
    compiled = _compile(source, dialect)
    context = {str(key): value for key, value in values.items()}
    if dialect.brackets:
        context[_BRACKET_VALUES] = [
            _text(values.get(name)) or default for name, default in compiled.pairs
        ]
    else:
        context["lead"] = values
    with metered(limits) as running:
        try:
            chunks: list[str] = []
            for chunk in compiled.template.generate(context):
                running.emit(chunk)
                chunks.append(chunk)
            running.check_clock()
            return "".join(chunks)
        except TemplateError:
            raise
        except SecurityError as exc:
            raise TemplateError(f"not allowed: {exc}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(exc.message or "could not be rendered") from None
        except (MemoryError, RecursionError):
            raise TemplateLimitError("ran out of memory or stack while rendering") from None
        except Exception as exc:  # ArithmeticError, TypeError ... from the user's expression
            raise TemplateError(f"could not be rendered: {exc}") from None


@lru_cache(maxsize=1)
def _settings_limits() -> TemplateLimits:
    """The limits of this process's settings (save-time checks have no other way to ask)."""
    return TemplateLimits.from_settings(get_settings())
