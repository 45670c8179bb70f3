"""The one template engine for everything a user writes: schedule SMS, e-mail and webhook
bodies, token edits, campaign dynamic keys. See :mod:`.engine` for the dialects,
:mod:`.sandbox` for what a template may do, :mod:`.limits` for what a render may cost, and
``docs/security/templates.md`` for the user's view."""

from leadflow.kit.templating.engine import DATA, MESSAGE, Dialect, check, render
from leadflow.kit.templating.limits import TemplateError, TemplateLimitError, TemplateLimits

__all__ = [
    "DATA",
    "MESSAGE",
    "Dialect",
    "TemplateError",
    "TemplateLimitError",
    "TemplateLimits",
    "check",
    "render",
]
