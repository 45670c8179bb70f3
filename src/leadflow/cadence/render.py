"""Templates as the cadence renders them, once per action of every lead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.schedules.templates import MAX_TEMPLATE_CHARS
from leadflow.schedules.templates import render as render_template

_MARKUP = frozenset("{[")


def render(source: str, tokens: Mapping[str, Any]) -> str:
    """A text with no template markup at all (most subjects) is its own rendering; Jinja
    would only build a context per lead to say so."""
    if _MARKUP.isdisjoint(source) and len(source) <= MAX_TEMPLATE_CHARS:
        return source
    return render_template(source, tokens)
