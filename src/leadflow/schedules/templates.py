"""Schedule templates (SMS, e-mail and webhook bodies, token edits) are the engine's
:data:`~leadflow.kit.templating.MESSAGE` dialect: TrackDrive's ``[token]{default}`` beside
Jinja's ``{{token}}``, a missing token rendering empty. This module only names that choice for
the schedules' models; the engine, its sandbox and its limits live in
:mod:`leadflow.kit.templating`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.kit.templating import MESSAGE, TemplateError, TemplateLimits, check
from leadflow.kit.templating import render as render_template

__all__ = ["TemplateError", "check_template", "render"]


def check_template(source: str) -> str:
    """Compile ``source`` and refuse the limits it breaks on its face; used when a schedule is
    saved (the message names the action's field)."""
    return check(source, MESSAGE)


def render(source: str, tokens: Mapping[str, Any], limits: TemplateLimits | None = None) -> str:
    """Render a schedule template with a lead's tokens, under ``limits`` (the settings')."""
    return render_template(source, tokens, MESSAGE, limits)
