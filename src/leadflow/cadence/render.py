"""Templates as the cadence renders them: on the read snapshot, never under the write lock.

A user's template runs for up to its CPU budget (``LEADFLOW_TEMPLATE_CPU_SECONDS``), and
SQLite has one write lock that every API post needs: a template rendered while the worker
holds it makes another company's lead post wait. So on SQLite every render happens while the
batch is planned on a snapshot (:meth:`~leadflow.cadence.job.CadenceJob.plan`), outside the
lock, and its result (text or failure) is kept in :class:`Renders`, keyed by the template and
the tokens it was given. Under the lock the batch is only written, or, when something it
rested on changed, decided again: that decision finds each render it needs in the memo, since
a render is a pure function of template and tokens. One it does not find (a lead's tokens
changed meanwhile) is not rendered there: :class:`UnrenderedTemplateError` rolls the write
back, and the job plans again on a new snapshot, where the new render is made.

On PostgreSQL there is no database-wide write lock: the claim locks only the claimed leads'
rows (``FOR UPDATE SKIP LOCKED``), which no other company's request needs, and renders happen
in the claiming transaction, each bounded by the same limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from leadflow.kit.templating import MESSAGE, TemplateError, TemplateLimits
from leadflow.kit.templating import render as render_template

_MARKUP = frozenset("{[")


class UnrenderedTemplateError(Exception):
    """Under the write lock, a template that was not rendered on the snapshot."""


class Renders:
    """One batch's renders, made once per template and tokens; ``sealed`` under the lock."""

    def __init__(self, limits: TemplateLimits, *, sealed: bool = False) -> None:
        self.limits = limits
        self.sealed = sealed
        self._done: dict[tuple[str, bytes], str | TemplateError] = {}

    def sealed_copy(self) -> Renders:
        """The same renders, for a decision under the lock: looked up, never made."""
        copy = Renders(self.limits, sealed=True)
        copy._done = self._done
        return copy

    def render(self, source: str, tokens: Mapping[str, Any] | None) -> str:
        """``source`` with the lead's ``tokens``; :class:`TemplateError` when it fails."""
        if _MARKUP.isdisjoint(source) and len(source) <= self.limits.max_output_chars:
            return source  # no markup at all (most subjects): nothing is run
        key = (source, orjson.dumps(tokens or {}, option=orjson.OPT_SORT_KEYS, default=str))
        done = self._done.get(key)
        if done is None:
            if self.sealed:
                raise UnrenderedTemplateError(source[:80])
            try:
                done = render_template(source, tokens or {}, MESSAGE, self.limits)
            except TemplateError as exc:
                done = exc
            self._done[key] = done
        if isinstance(done, TemplateError):
            raise type(done)(str(done))
        return done
